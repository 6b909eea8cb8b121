/**
 * Whether a runtime node is Ready, decided from its Lease by the controller's clock (never the
 * node's own idea of time), and what that makes its status. Pure, so the lifecycle controller and
 * the scheduler agree on one reading.
 */
import { isConditionTrue } from '../../resources/conditions.js';
import type { Lease } from '../../resources/kinds/lease.js';
import { RuntimeNodePhase, RuntimeNodeState, type RuntimeNode } from '../../resources/kinds/runtimenode.js';

/** The condition the lifecycle controller keeps on every RuntimeNode. */
export const NODE_READY = 'Ready';

/** How a node's Lease reads at one instant. */
export interface LeaseReading {
  ready: boolean;
  /**
   * When the node stops (or stopped) being Ready: the last renewal plus the grace. Undefined when
   * the node never renewed a Lease.
   */
  deadline?: number;
}

/** Reads a node's Lease: Ready while `renewTime + graceMs` is still ahead of `now`. */
export function readLease(lease: Lease | undefined, now: number, graceMs: number): LeaseReading {
  const renewed = Date.parse(lease?.spec?.renewTime ?? lease?.spec?.acquireTime ?? '');
  if (Number.isNaN(renewed)) return { ready: false };
  const deadline = renewed + graceMs;
  return { ready: now < deadline, deadline };
}

/** True when the node's credential was revoked (Helper A's registry sets the phase). */
export function isRevoked(node: RuntimeNode): boolean {
  return node.status?.phase === RuntimeNodePhase.Revoked;
}

/** What `get nodes` prints in STATUS for a node with this Lease reading. */
export function nodeState(node: RuntimeNode, reading: LeaseReading): RuntimeNodeState {
  if (isRevoked(node)) return RuntimeNodeState.Revoked;
  if (reading.deadline === undefined) return RuntimeNodeState.Unknown;
  if (node.spec.unschedulable) return reading.ready ? RuntimeNodeState.ReadySchedulingDisabled : RuntimeNodeState.NotReadySchedulingDisabled;
  return reading.ready ? RuntimeNodeState.Ready : RuntimeNodeState.NotReady;
}

/** The phase the lifecycle controller reports: Online while Ready, Offline once not; Revoked stays. */
export function nodePhase(node: RuntimeNode, reading: LeaseReading): RuntimeNodePhase {
  if (isRevoked(node)) return RuntimeNodePhase.Revoked;
  if (reading.deadline === undefined) return node.status?.phase ?? RuntimeNodePhase.Registering;
  return reading.ready ? RuntimeNodePhase.Online : RuntimeNodePhase.Offline;
}

/** The drivers runs can be scheduled here for: those the node found available, else those its spec offers. */
export function offeredDrivers(node: RuntimeNode): string[] {
  const found = node.status?.capabilities;
  if (found?.length) return found.filter((c) => c.available !== false).map((c) => c.driver);
  return [...(node.spec.drivers ?? [])];
}

/** True when the node, as the lifecycle controller last reported it, takes runs: Ready and not revoked. */
export function isNodeReady(node: RuntimeNode): boolean {
  return !isRevoked(node) && isConditionTrue(node.status?.conditions, NODE_READY);
}
