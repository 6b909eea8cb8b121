/**
 * What every controller folder's registration (`<folder>/controller.ts`) is handed: the store and
 * journal, the node runtime's ports, the shared informers, and the few objects controllers share —
 * the session queues, the status writer (and the Run's on top of it), the approval gate.
 */
import type { Store } from '../api/store/store.js';
import type { Journal } from '../api/journal/journal.js';
import type { EventRecorder } from '../api/events/recorder.js';
import type { ArtifactContent, DriverLauncher, Workspaces } from '../node/ports.js';
import type { DriverProbe } from './agent/probe.js';
import type { ModelRelayEndpoint } from '../node/model-relay.js';
import type { MountInspector } from './repomount/reconciler.js';
import type { Clock } from './runtime/clock.js';
import type { Informers } from './runtime/builder.js';
import type { SessionQueue } from './run/session-queue.js';
import type { RunWriter } from './run/run-writer.js';
import type { ApprovalGate } from './approval/gate.js';
import type { StatusWriter } from './runtime/status-writer.js';
import type { ControllerMetrics } from '../api/metrics.js';

/**
 * What the cluster controllers (session, approval, channel, workflow, notification, scheduler, node
 * lifecycle) are given: no driver, no mount inspector, no probe — the control plane never executes
 * agent code.
 */
export interface ClusterControllerOptions {
  store: Store;
  journal: Journal;
  recorder?: EventRecorder;
  /** Worktrees of workflow command steps (quality checks). */
  workspaces: Workspaces;
  env?: NodeJS.ProcessEnv;
  /** Informer resync period (default 5 min). */
  resyncMs?: number;
  /** Time for every controller (default: the system clock). */
  clock?: Clock;
  log?: (line: string) => void;
  /** Receives reconcile and work-queue measurements (the API server's /metrics). */
  metrics?: ControllerMetrics;
  /** How long after its last Lease renewal a runtime node is still Ready (default 40 s; `--node-monitor-grace`). */
  nodeMonitorGraceMs?: number;
  /** How long a runtime node may stay not Ready before its started runs fail with reason NodeLost (default 5 min; `--node-lost-grace`). */
  nodeLostGraceMs?: number;
}

/** What buildControllers (controller-set.ts) is given: the cluster's options and the node runtime's ports. */
export interface ControllerSetOptions extends ClusterControllerOptions {
  artifacts: ArtifactContent;
  launcher: DriverLauncher;
  inspector: MountInspector;
  probe: DriverProbe;
  /**
   * On a runtime node (`sidekick serve`): the loopback relay to the control plane's model proxy,
   * used by agents whose endpoint credentials are kept on the control plane. Unset on the daemon.
   */
  modelRelay?: ModelRelayEndpoint;
}

/** What a cluster controller's registration is handed. */
export interface ClusterContext extends ClusterControllerOptions {
  log: (line: string) => void;
  /** One list+watch per resource, shared by every controller that reads it. */
  informers: Informers;
  /** The session queues (admission, positions, whom to wake), fed by the runs informer and `writer`. */
  queue: SessionQueue;
  /** Commits any object's status with its journal events; one per daemon, so its per-object lock is shared. */
  status: StatusWriter;
  /** The one path a Run's status is written by (status + journal events in one transaction). */
  writer: RunWriter;
  /** Gated tool calls and questions, as Approvals. */
  gate: ApprovalGate;
}

/** What every controller's registration is handed on a machine that executes runs (the daemon, a node). */
export interface ControllerContext extends ClusterContext, ControllerSetOptions {
  log: (line: string) => void;
}
