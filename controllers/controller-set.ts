/**
 * Builds the local controllers: each controller folder registers itself (`<folder>/controller.ts`,
 * declared with controllers/runtime/builder.ts), and the list below names them all. They share
 * one informer per resource, the session queues, the Run status writer and the approval gate.
 * Everything returned is a Runnable for the Manager; the daemon and `sidekick serve` share this.
 */
import type { Run } from '../resources/kinds/run.js';
import type { Session } from '../resources/kinds/session.js';
import type { Informer } from './runtime/informer.js';
import type { Runnable } from './runtime/manager.js';
import { Informers, onChange } from './runtime/builder.js';
import { StatusWriter } from './runtime/status-writer.js';
import { RunWriter } from './run/run-writer.js';
import { SessionQueue } from './run/session-queue.js';
import type { DriverFleet } from '../node/fleet.js';
import { ApprovalGate } from './approval/gate.js';
import { classifyToolCall } from './approval/classify.js';
import { evaluatePolicies } from './approval/policy.js';
import type { ClusterContext, ClusterControllerOptions, ControllerContext, ControllerSetOptions } from './context.js';
import { registerRunController } from './run/controller.js';
import { registerSessionController } from './session/controller.js';
import { registerAgentController } from './agent/controller.js';
import { registerRepoMountController } from './repomount/controller.js';
import { gateHearsApprovals, registerApprovalController } from './approval/controller.js';
import { registerInterventionController } from './intervention/controller.js';
import { registerChannelController } from './channel/controller.js';
import { registerWorkflowController } from './workflow/controller.js';
import { registerNotificationController } from './notification/controller.js';
import { registerScheduler } from './scheduler/controller.js';
import { registerNodeLifecycleController } from './nodelifecycle/controller.js';

export type { ClusterControllerOptions, ControllerSetOptions } from './context.js';

export interface ControllerSet {
  runnables: Runnable[];
  fleet: DriverFleet;
  runs: Informer<Run>;
  /** Stops every driver process (runs keep their phase and recover at the next start). */
  stopDrivers(): Promise<void>;
  /** True once every informer has listed: the controllers decide on a full cache from then on. */
  synced(): boolean;
}

/** The informers, queues and writers every controller of one process shares. */
function sharedContext<O extends ClusterControllerOptions>(o: O): O & ClusterContext {
  const log = o.log ?? (() => undefined);
  const resyncMs = o.resyncMs ?? 300_000;
  const informers = new Informers(o.store, { resyncMs, log }, o.metrics);
  const runs = informers.of<Run>('runs');
  const sessions = informers.of<Session>('sessions');
  // The queue counts every run change before any controller hears of it (its handler is first).
  const queue = new SessionQueue((ns, name) => sessions.get(`${ns}/${name}`));
  onChange(runs, (ch) => (ch.type === 'delete' ? queue.forget(ch.obj) : queue.observe(ch.obj)));
  const status = new StatusWriter(o.store, o.journal);
  const writer = new RunWriter(status, (run) => queue.observe(run));
  const gate = new ApprovalGate({ store: o.store, journal: o.journal, writer, status, assess: classifyToolCall, evaluate: evaluatePolicies, ...(o.clock ? { clock: o.clock } : {}), log });
  return { ...o, log, resyncMs, informers, queue, status, writer, gate };
}

/** The controllers that decide about the whole cluster; on the control plane one replica (the leader) runs them. */
function clusterControllers(c: ClusterContext): Runnable[] {
  return [
    registerSessionController(c),
    registerApprovalController(c),
    registerChannelController(c),
    registerWorkflowController(c),
    registerNotificationController(c),
    registerScheduler(c),
    registerNodeLifecycleController(c),
  ];
}

/**
 * The control plane's controllers: the cluster controllers with their own informers, and nothing
 * that executes a run (runs execute on runtime nodes). Built afresh for every term of leadership,
 * so a replica that regains it starts from a new list of the world.
 */
export function buildClusterControllers(o: ClusterControllerOptions): { runnables: Runnable[]; synced(): boolean } {
  const c = sharedContext(o);
  // Registered first: registering makes the informers the controllers read, which then all start.
  const controllers = clusterControllers(c);
  return { runnables: [...c.informers.runnables(), ...controllers], synced: () => c.informers.synced() };
}

/**
 * A runtime node's controllers (`sidekick serve`): what executes the runs bound to this machine —
 * run, agent, repomount, intervention — over the node's local store, which the mirror fills from
 * the control plane. The cluster controllers stay on the control plane: approvals are decided
 * there and come down through the mirror, where the gate hears them and releases the tool call.
 */
export function buildNodeControllers(o: ControllerSetOptions): ControllerSet {
  const c: ControllerContext = sharedContext(o);
  gateHearsApprovals(c);
  return executingControllers(c, []);
}

export function buildControllers(o: ControllerSetOptions): ControllerSet {
  const c: ControllerContext = sharedContext(o);
  return executingControllers(c, clusterControllers(c));
}

/** The controllers of a machine that executes runs, plus `others` (the daemon's cluster controllers). */
function executingControllers(c: ControllerContext, others: Runnable[]): ControllerSet {
  const run = registerRunController(c);
  const controllers: Runnable[] = [run.controller, registerAgentController(c), registerRepoMountController(c), registerInterventionController(c, { fleet: run.fleet }), ...others];
  return {
    runnables: [...c.informers.runnables(), ...controllers],
    fleet: run.fleet,
    runs: c.informers.of<Run>('runs'),
    stopDrivers: () => run.fleet.stopAll(),
    synced: () => c.informers.synced(),
  };
}
