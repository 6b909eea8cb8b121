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

/**
 * Reads a node's Lease: Ready while `renewedAt + graceMs` is still ahead of `now`. `renewedAt` is
 * when this controller saw the Lease's latest renewal, by its own clock (LeaseObserver).
 */
export function readLease(renewedAt: number | undefined, now: number, graceMs: number): LeaseReading {
  if (renewedAt === undefined) return { ready: false };
  const deadline = renewedAt + graceMs;
  return { ready: now < deadline, deadline };
}

/**
 * When each node's Lease was last seen renewed, by the observer's clock — never the renewTime the
 * node wrote, so a laptop's skewed clock cannot make it Ready or NotReady (kube-controller-manager's
 * node lifecycle controller does the same with its probeTimestamp; decision 0026 for leader Leases).
 * After a restart every Lease counts as renewed when first seen: a node gets one grace more, never
 * one less.
 */
export class LeaseObserver {
  private readonly seen = new Map<string, { renewTime: string; at: number }>();

  /** Notes the Lease as it is now; resolves when its latest renewal was seen, or undefined without one. */
  renewedAt(node: string, lease: Lease | undefined, now: number): number | undefined {
    const renewTime = lease?.spec?.renewTime ?? lease?.spec?.acquireTime;
    if (!renewTime) {
      this.seen.delete(node);
      return undefined;
    }
    const last = this.seen.get(node);
    if (last?.renewTime === renewTime) return last.at;
    this.seen.set(node, { renewTime, at: now });
    return now;
  }

  /** Forgets a node (deleted). */
  forget(node: string): void {
    this.seen.delete(node);
  }
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
