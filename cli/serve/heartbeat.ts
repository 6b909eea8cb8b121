/**
 * A node's heartbeat, as a kubelet's: it renews its Lease (`sidekick-node-lease/<node>`) every few
 * seconds — cheap, and what the control plane's node lifecycle controller judges Ready by — and
 * reports the runs it executes on its RuntimeNode's status when that count changes, or once a
 * minute. A failed renewal is logged once per outage and tried again at the next tick: the node
 * goes on executing its runs while the control plane is away.
 */
import type { ApiClient } from '../../api/client/client.js';
import type { ResourceRef } from '../../api/client/types.js';
import { NODE_LEASE_NAMESPACE } from '../../api/runtime/protocol.js';
import type { Lease } from '../../resources/kinds/lease.js';
import { microTime } from '../../controllers/runtime/leader-election.js';
import type { Runnable } from '../../controllers/runtime/manager.js';
import { sleep } from '../../api/runtime/wakeup.js';

export const LEASE_REF: ResourceRef = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true };
export const RUNTIME_NODE_REF: ResourceRef = { group: 'sidekicks.dev', version: 'v1alpha1', plural: 'runtimenodes', kind: 'RuntimeNode', namespaced: false };

export interface HeartbeatOptions {
  client: ApiClient;
  nodeName: string;
  /** How often the Lease is renewed (default 5 s). */
  intervalMs?: number;
  /** What the Lease declares (default 40 s, the control plane's default node-monitor grace). */
  leaseDurationSeconds?: number;
  /** Runs executing on the node now. */
  runs: () => number;
  log: (line: string) => void;
  /** Called once when the control plane says this node was revoked: nothing it sends counts any more. */
  onRevoked?: (message: string) => void;
}

/** The control plane's refusal of a revoked node (a 401 from the API or the token exchange), if `err` is one. */
export function revocationOf(err: unknown): string | undefined {
  const e = err as { code?: number; status?: number; message?: string };
  const status = e.code ?? e.status;
  return status === 401 && /was revoked/.test(e.message ?? '') ? e.message : undefined;
}

const STATUS_EVERY_MS = 60_000;

export class NodeHeartbeat implements Runnable {
  readonly name = 'node-heartbeat';
  private lease?: Lease;
  private reportedRuns?: number;
  private reportedAt = 0;
  private failing = false;
  private renewals = 0;

  constructor(private readonly o: HeartbeatOptions) {}

  /** How many renewals succeeded (tests wait on the first). */
  renewed(): number {
    return this.renewals;
  }

  async start(signal: AbortSignal): Promise<void> {
    const interval = this.o.intervalMs ?? 5_000;
    while (!signal.aborted) {
      try {
        await this.renew();
        await this.report();
        if (this.failing) this.o.log(`heartbeat: the control plane answers again`);
        this.failing = false;
      } catch (err) {
        const revoked = revocationOf(err);
        if (revoked) {
          this.o.onRevoked?.(revoked);
          return;
        }
        // Next time the lease is read afresh: another writer (or a restored database) may have changed it.
        this.lease = undefined;
        if (!this.failing) this.o.log(`heartbeat: cannot renew the lease (${(err as Error).message}); the node goes on and tries every ${interval / 1000} s`);
        this.failing = true;
      }
      await sleep(interval, signal);
    }
  }

  private async renew(): Promise<void> {
    const now = microTime(Date.now());
    const name = this.o.nodeName;
    if (!this.lease) {
      try {
        this.lease = await this.o.client.get<Lease>(LEASE_REF, NODE_LEASE_NAMESPACE, name);
      } catch (err) {
        if ((err as { code?: number }).code !== 404) throw err;
        const fresh = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: NODE_LEASE_NAMESPACE }, spec: { holderIdentity: name, leaseDurationSeconds: this.o.leaseDurationSeconds ?? 40, acquireTime: now, renewTime: now } };
        this.lease = await this.o.client.create<Lease>(LEASE_REF, NODE_LEASE_NAMESPACE, fresh);
        this.renewals += 1;
        return;
      }
    }
    const next = { ...this.lease, spec: { ...this.lease.spec, holderIdentity: name, leaseDurationSeconds: this.o.leaseDurationSeconds ?? 40, renewTime: now } };
    this.lease = await this.o.client.update<Lease>(LEASE_REF, NODE_LEASE_NAMESPACE, next);
    this.renewals += 1;
  }

  /** The run count on the RuntimeNode's status, merged so the fields others write are kept. */
  private async report(): Promise<void> {
    const runs = this.o.runs();
    if (runs === this.reportedRuns && Date.now() - this.reportedAt < STATUS_EVERY_MS) return;
    await this.o.client.patch(RUNTIME_NODE_REF, undefined, this.o.nodeName, 'merge', { status: { runs, lastHeartbeatTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') } }, { subresource: 'status' });
    this.reportedRuns = runs;
    this.reportedAt = Date.now();
  }
}
