/**
 * Leader handover of `sidekick controlplane`: two replica processes on one database; the holder of
 * the `sidekick-controlplane` Lease is stopped (SIGTERM: it releases the lease) or killed (SIGKILL:
 * the lease must expire), and the time until the survivor holds the lease is read from a watch of
 * leases on the survivor. The baseline is the lease duration itself: what a kill must wait for.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ApiClient } from '../../api/client/index.js';
import { ensureSelfSigned } from '../../api/server/self-signed.js';
import { controlPlaneToken, startControlPlaneProcess, writeSigningKey, type ControlPlaneProcess } from '../controlplane-process.js';

const LEASES = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true };
const LEASE = 'sidekick-controlplane';

export interface HandoverFigures {
  leaseDurationMs: number;
  /** SIGTERM of the leader → the survivor holds the lease (ms), each round. */
  graceful: number[];
  /** SIGKILL of the leader → the survivor holds the lease (ms), each round. */
  killed: number[];
}

/** Measures `rounds` graceful handovers and `kills` crash handovers with the default 15 s lease. */
export async function leaderHandover(database: string, nats: string, rounds: number, kills: number): Promise<HandoverFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'sk-bench-handover-'));
  const key = writeSigningKey(dir);
  const tls = { cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') };
  await ensureSelfSigned(tls.cert, tls.key);
  const token = await controlPlaneToken(key);
  const ca = readFileSync(tls.cert, 'utf8');
  const live = new Map<string, ControlPlaneProcess>();
  const start = async (replicaId: string): Promise<ControlPlaneProcess> => {
    const p = await startControlPlaneProcess({ database, nats, replicaId, signingKey: key, args: ['--tls-cert', tls.cert, '--tls-key', tls.key] });
    live.set(replicaId, p);
    return p;
  };
  const figures: HandoverFigures = { leaseDurationMs: 15_000, graceful: [], killed: [] };
  try {
    await Promise.all([start('replica-a'), start('replica-b')]);
    for (let i = 0; i < rounds + kills; i++) {
      const crash = i >= rounds;
      const any = new ApiClient({ baseUrl: [...live.values()][0].url, token, ca });
      const holder = await waitForHolder(any, (h) => live.has(h));
      any.close();
      const leader = live.get(holder) as ControlPlaneProcess;
      const survivor = [...live.values()].find((p) => p !== leader) as ControlPlaneProcess;
      const client = new ApiClient({ baseUrl: survivor.url, token, ca });
      const taken = watchFor(client, survivor.replicaId);
      await taken.ready;
      const t0 = performance.now();
      await (crash ? leader.kill() : leader.stop());
      await taken.done;
      (crash ? figures.killed : figures.graceful).push(performance.now() - t0);
      taken.stop();
      client.close();
      live.delete(leader.replicaId);
      await start(leader.replicaId);
    }
  } finally {
    await Promise.all([...live.values()].map((p) => p.kill()));
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}

/** Polls until a holder that `ok` accepts holds the lease (the first election after start). */
async function waitForHolder(client: ApiClient, ok: (holder: string) => boolean): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const lease = await client.get<{ spec?: { holderIdentity?: string } } & Parameters<ApiClient['create']>[2]>(LEASES, 'default', LEASE);
      const h = lease.spec?.holderIdentity;
      if (h && ok(h)) return h;
    } catch {
      // Not created yet.
    }
    if (Date.now() > deadline) throw new Error('no replica took the lease in 60 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A watch of the lease on the survivor that resolves when `identity` holds it. */
function watchFor(client: ApiClient, identity: string): { ready: Promise<void>; done: Promise<void>; stop(): void } {
  const ac = new AbortController();
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (markReady = r));
  const done = (async () => {
    const list = await client.list(LEASES, { namespace: 'default' });
    const events = await client.watch<{ spec?: { holderIdentity?: string } } & Parameters<ApiClient['create']>[2]>(LEASES, {
      namespace: 'default',
      resourceVersion: list.metadata.resourceVersion,
      signal: ac.signal,
    });
    markReady();
    for await (const e of events) {
      if (e.object.metadata?.name === LEASE && (e.object as { spec?: { holderIdentity?: string } }).spec?.holderIdentity === identity) return;
    }
    throw new Error('the lease watch ended before the survivor held the lease');
  })();
  // A watch that fails before it is ready must not leave the caller waiting for `ready`.
  return { ready: Promise.race([ready, done]), done, stop: () => ac.abort() };
}
