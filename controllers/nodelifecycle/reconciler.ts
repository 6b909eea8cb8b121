/**
 * The node-lifecycle reconciler (the control plane's, like kube-controller-manager's node
 * lifecycle controller): a RuntimeNode is Ready while its Lease in `sidekick-node-lease` was seen
 * renewed within the monitor grace, by this controller's clock (readiness.ts: LeaseObserver); it
 * looks again at the deadline.
 * Status (state, phase, the Ready condition, the drivers summary) is rebuilt every pass and written
 * read-modify-write, so the registration's and the heartbeat's fields are never clobbered. While a
 * node is not Ready, the runs bound to it are handled by BoundRuns (re-queued or, much later, lost).
 */
import type { Store } from '../../api/store/store.js';
import type { EventRecorder } from '../../api/events/recorder.js';
import { NODE_LEASE_NAMESPACE } from '../../api/runtime/protocol.js';
import { findCondition, setCondition } from '../../resources/conditions.js';
import type { Lease } from '../../resources/kinds/lease.js';
import type { RuntimeNode } from '../../resources/kinds/runtimenode.js';
import type { ObjectKey, Reconciler, Result } from '../runtime/controller.js';
import { systemClock, type Clock } from '../runtime/clock.js';
import { StatusWriter, type StatusTarget } from '../runtime/status-writer.js';
import { BoundRuns } from './bound-runs.js';
import { isRevoked, LeaseObserver, NODE_READY, nodePhase, nodeState, offeredDrivers, readLease, type LeaseReading } from './readiness.js';
import type { Lister } from '../scheduler/lister.js';
import type { RunWriter } from '../run/run-writer.js';

/** Defaults of `--node-monitor-grace` and `--node-lost-grace`. */
export const DEFAULT_NODE_MONITOR_GRACE_MS = 40_000;
export const DEFAULT_NODE_LOST_GRACE_MS = 5 * 60_000;

/** A RuntimeNode's status has no journal: nodes belong to no session. */
const nodeStatus: StatusTarget<RuntimeNode> = { plural: 'runtimenodes', sessionOf: () => undefined };

export interface NodeLifecycleDeps {
  store: Store;
  status: StatusWriter;
  writer: RunWriter;
  /** Lists the runs bound to a node (the runs informer's cache in a controller set). */
  list: Lister;
  recorder?: EventRecorder;
  clock?: Clock;
  /** How long after its last Lease renewal a node is still Ready (default 40 s). */
  monitorGraceMs?: number;
  /** How long a node may stay not Ready before its started runs fail with reason NodeLost (default 5 min). */
  lostGraceMs?: number;
}

export class NodeLifecycleReconciler implements Reconciler {
  private readonly clock: Clock;
  private readonly monitorGraceMs: number;
  private readonly bound: BoundRuns;
  private readonly leases = new LeaseObserver();

  constructor(private readonly d: NodeLifecycleDeps) {
    this.clock = d.clock ?? systemClock;
    this.monitorGraceMs = d.monitorGraceMs ?? DEFAULT_NODE_MONITOR_GRACE_MS;
    this.bound = new BoundRuns({ ...d, clock: this.clock, lostGraceMs: d.lostGraceMs ?? DEFAULT_NODE_LOST_GRACE_MS });
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const now = this.clock.now();
    const node = await this.d.store.find<RuntimeNode>('runtimenodes', '', key.name);
    if (!node) {
      this.leases.forget(key.name);
      return this.bound.converge(key.name, { deletedAt: now }, now);
    }
    const lease = await this.d.store.find<Lease>('leases', NODE_LEASE_NAMESPACE, key.name);
    const reading = readLease(this.leases.renewedAt(key.name, lease, now), now, this.monitorGraceMs);
    const written = await this.reportStatus(node, reading, now);
    if (reading.ready && !isRevoked(node)) return reading.deadline !== undefined ? { requeueAfterMs: reading.deadline - now } : {};
    return this.bound.converge(key.name, { notReadySince: notReadySince(written ?? node, reading) }, now);
  }

  /** Rebuilds the status this controller owns; writes (and tells of a flip) only when it changed. */
  private async reportStatus(node: RuntimeNode, reading: LeaseReading, now: number): Promise<RuntimeNode | undefined> {
    const ready = reading.ready && !isRevoked(node);
    const wasReady = findCondition(node.status?.conditions, NODE_READY)?.status;
    const written = await this.d.status.commit(nodeStatus, '', node.metadata.name!, (draft) => {
      const status = (draft.status ??= {});
      const before = JSON.stringify(status);
      status.state = nodeState(draft, reading);
      status.phase = nodePhase(draft, reading);
      const drivers = offeredDrivers(draft).join(',');
      if (drivers) status.drivers = drivers;
      else delete status.drivers;
      status.conditions = setCondition(status.conditions, { type: NODE_READY, status: ready ? 'True' : 'False', ...readyReason(draft, reading) }, draft.metadata.generation ?? 1, new Date(now));
      return JSON.stringify(status) === before ? null : [];
    });
    const flipped = (wasReady === 'True') !== ready && (wasReady !== undefined || ready);
    if (written && flipped) {
      if (ready) this.d.recorder?.normal(written, 'NodeReady', `Node ${node.metadata.name} status is now: NodeReady`);
      else this.d.recorder?.warning(written, 'NodeNotReady', `Node ${node.metadata.name} status is now: NodeNotReady (${readyReason(written, reading).message})`);
    }
    return written;
  }
}

/** Why the node is (not) Ready, in words that stay the same while it stays so (no write per renewal). */
function readyReason(node: RuntimeNode, reading: LeaseReading): { reason: string; message: string } {
  if (isRevoked(node)) return { reason: 'Revoked', message: "the node's credential was revoked" };
  if (reading.deadline === undefined) return { reason: 'NoLease', message: `the node has not renewed its Lease in ${NODE_LEASE_NAMESPACE} yet` };
  if (reading.ready) return { reason: 'LeaseRenewed', message: 'the node renews its Lease' };
  return { reason: 'NodeStatusUnknown', message: `the node stopped renewing its Lease: not Ready since ${new Date(reading.deadline).toISOString()}` };
}

/** Since when the node has not been Ready: the Lease's deadline, else when the condition flipped, else its creation. */
function notReadySince(node: RuntimeNode, reading: LeaseReading): number {
  if (reading.deadline !== undefined && !isRevoked(node)) return reading.deadline;
  const flipped = Date.parse(findCondition(node.status?.conditions, NODE_READY)?.lastTransitionTime ?? '');
  if (!Number.isNaN(flipped)) return flipped;
  return Date.parse(node.metadata.creationTimestamp ?? '') || 0;
}
