/**
 * `sidekick controlplane` as an operator runs it: two replica processes on one fresh Postgres
 * database and the machine's NATS, with TLS, reached through the real kubectl and the API client.
 * A write on one replica reaches a watch on the other; resourceVersions mean the same on both; the
 * leader holds a Lease kubectl shows; killing it hands the lease over and the new leader reconciles
 * what was written meanwhile; a watch resumed on the survivor continues without re-sending
 * everything as ADDED. Also the refusals of the self-host defaults, and `migrate --dry-run`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ApiClient, type WatchEvent } from '../../api/client/index.js';
import { ensureSelfSigned } from '../../api/server/self-signed.js';
import { cliEntry, controlPlaneToken, startControlPlaneProcess, writeSigningKey, type ControlPlaneProcess } from '../../hack/controlplane-process.js';
import type { KubeObject } from '../../resources/meta.js';
import { eventually } from '../eventually.js';
import { kubectlFor, type KubectlRunner } from '../kubectl/kubectl.js';
import { describeWithNats, describeWithPostgres, pgAdmin } from '../services.js';

const run = promisify(execFile);
const SESSIONS = { group: 'sidekicks.dev', version: 'v1alpha1', plural: 'sessions', kind: 'Session', namespaced: true };

/** Runs the CLI to completion; never throws (the exit code is part of the answer). */
async function sidekick(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cliEntry(), ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function session(name: string): KubeObject {
  return { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name, namespace: 'default' }, spec: { title: name } } as KubeObject;
}

describe('sidekick controlplane refuses what the self-host defaults forbid', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sk-cp-refuse-'));
  const key = writeSigningKey(dir);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const base = ['controlplane', '--nats', 'nats://127.0.0.1:4222', '--signing-key', key];

  it('a listener off loopback without TLS', async () => {
    const r = await sidekick([...base, '--database', 'postgres://u:pw@127.0.0.1/x', '--listen', '0.0.0.0:0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('refusing to listen on 0.0.0.0 without TLS');
  });

  it('a database across the network without verified TLS, never printing its password', async () => {
    const r = await sidekick([...base, '--database', 'postgres://u:secret-pw@db.example.com:5432/x?sslmode=require']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('refusing to connect to Postgres at db.example.com without verified TLS: add ?sslmode=verify-full');
    expect(r.stderr).not.toContain('secret-pw');
  });

  it('a missing database, and a flag beats its variable', async () => {
    const missing = await sidekick(base, { SIDEKICK_DATABASE_URL: '' });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('required flag(s) "database" not set');
    // The variable names a remote database; the flag, which wins, a local one with a bad listener.
    const r = await sidekick([...base, '--database', 'postgres://u@127.0.0.1/x', '--listen', 'nonsense'], { SIDEKICK_DATABASE_URL: 'postgres://u@db.example.com/x' });
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('db.example.com');
    expect(r.stderr).toMatch(/--listen|nonsense/);
  });
});

describeWithPostgres('sidekick controlplane: two replicas on one database', (getPgUrl) => {
  describeWithNats('with NATS', (getNatsUrl) => {
    const dir = mkdtempSync(join(tmpdir(), 'sk-cp-e2e-'));
    let database = '';
    let key = '';
    let token = '';
    let tls: { cert: string; key: string } = { cert: '', key: '' };
    const replicas = new Map<string, ControlPlaneProcess>();
    const clients: ApiClient[] = [];

    const start = async (replicaId: string): Promise<ControlPlaneProcess> => {
      const p = await startControlPlaneProcess({
        database,
        nats: getNatsUrl(),
        replicaId,
        signingKey: key,
        args: ['--tls-cert', tls.cert, '--tls-key', tls.key, '--lease-duration', '3s'],
      });
      replicas.set(replicaId, p);
      return p;
    };
    const client = (p: ControlPlaneProcess): ApiClient => {
      const c = new ApiClient({ baseUrl: p.url, token, ca: readFileSync(tls.cert, 'utf8') });
      clients.push(c);
      return c;
    };
    const kubectl = (p: ControlPlaneProcess): Promise<KubectlRunner> => kubectlFor({ dir, server: p.url, caFile: tls.cert, token, name: `kubeconfig-${p.replicaId}` });
    const holder = async (k: KubectlRunner): Promise<string> => {
      const r = await k.run(['get', 'lease', 'sidekick-controlplane', '-n', 'default', '-o', 'jsonpath={.spec.holderIdentity}']);
      if (r.code !== 0) throw new Error(r.stderr);
      return r.stdout.trim();
    };

    beforeAll(async () => {
      const name = `${new URL(getPgUrl()).pathname.slice(1)}_cp`;
      await pgAdmin(getPgUrl(), `CREATE DATABASE ${name}`);
      const u = new URL(getPgUrl());
      u.pathname = `/${name}`;
      database = u.toString();
      key = writeSigningKey(dir);
      token = await controlPlaneToken(key);
      tls = { cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') };
      await ensureSelfSigned(tls.cert, tls.key);
    }, 60_000);

    afterAll(async () => {
      for (const c of clients) c.close();
      await Promise.all([...replicas.values()].map((r) => r.kill()));
      rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    it('migrate --dry-run prints the plan on a fresh database and changes nothing', async () => {
      const plan = await sidekick(['controlplane', 'migrate', '--database', database, '--dry-run']);
      expect(plan.code).toBe(0);
      expect(plan.stdout).toMatch(/^\d+ migration\(s\) would run on postgres:\/\/sidekick:\*\*\*@/);
      expect(plan.stdout).toContain('  store 1');
      expect(plan.stdout).toContain('CREATE TABLE sk_objects');
      const again = await sidekick(['controlplane', 'migrate', '--database', database, '--dry-run']);
      expect(again.stdout).toBe(plan.stdout);
    });

    it('two replicas started together serve the same answers, probes included', async () => {
      const [a, b] = await Promise.all([start('replica-a'), start('replica-b')]);
      for (const p of [a, b]) {
        const k = await kubectl(p);
        expect((await k.run(['get', '--raw', '/livez'])).stdout).toBe('ok');
        await eventually(async () => (expect((await k.run(['get', '--raw', '/readyz'])).stdout).toBe('ok'), true), { timeoutMs: 20_000 });
      }
      const up = await sidekick(['controlplane', 'migrate', '--database', database, '--dry-run']);
      expect(up.stdout).toMatch(/^schema of .* is up to date$/m);

      // A write on A reaches a watch on B, in order, with the resourceVersion A answered.
      const watchB = new AbortController();
      const seen: WatchEvent[] = [];
      const from = (await client(b).list(SESSIONS, { namespace: 'default' })).metadata.resourceVersion;
      const stream = await client(b).watch(SESSIONS, { namespace: 'default', resourceVersion: from, signal: watchB.signal });
      const reading = (async () => {
        for await (const e of stream) seen.push(e);
      })().catch(() => undefined);
      const created = [];
      for (const n of ['s1', 's2', 's3']) created.push(await client(a).create(SESSIONS, 'default', session(n)));
      await eventually(() => (expect(seen.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata?.name)).toEqual(['s1', 's2', 's3']), true));
      expect(seen.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata?.resourceVersion)).toEqual(created.map((c) => c.metadata?.resourceVersion));
      // resourceVersion means the same on every replica: once the leader's controllers have settled
      // s3, both replicas answer the same version of it.
      await eventually(async () => {
        const [onA, onB] = await Promise.all([client(a).get(SESSIONS, 'default', 's3'), client(b).get(SESSIONS, 'default', 's3')]);
        return onA.status !== undefined && onA.metadata?.resourceVersion === onB.metadata?.resourceVersion;
      });
      watchB.abort();
      await reading;
    }, 90_000);

    it('killing the leader hands the lease over; nothing written meanwhile goes unreconciled; a resumed watch repeats nothing', async () => {
      const a = replicas.get('replica-a')!;
      const b = replicas.get('replica-b')!;
      const ka = await kubectl(a);
      const leaderId = (await eventually(async () => (await holder(ka)) || undefined, { timeoutMs: 20_000 })) as string;
      const leader = replicas.get(leaderId)!;
      const survivor = leader === a ? b : a;
      const ks = await kubectl(survivor);
      const kl = await kubectl(leader);
      // The probes and metrics say who leads: both ready, one leader gauge at 1.
      const verbose = (await kl.run(['get', '--raw', '/readyz?verbose'])).stdout;
      for (const check of ['ping', 'store', 'informers-synced', 'nats', 'shutdown']) expect(verbose).toContain(`[+]${check} ok`);
      await eventually(async () => (expect((await kl.run(['get', '--raw', '/metrics'])).stdout).toMatch(/^sidekick_leader_is_leader 1$/m), true));
      expect((await ks.run(['get', '--raw', '/metrics'])).stdout).toMatch(/^sidekick_leader_is_leader 0$/m);
      // The leader's controllers reconciled what exists.
      await eventually(async () => (expect((await client(survivor).get(SESSIONS, 'default', 's1')).status).toMatchObject({ phase: 'Active' }), true), { timeoutMs: 20_000 });

      // A watch on the leader, to be resumed on the survivor after the crash.
      const watchLeader = new AbortController();
      const before: WatchEvent[] = [];
      const stream = await client(leader).watch(SESSIONS, { namespace: 'default', signal: watchLeader.signal });
      const reading = (async () => {
        for await (const e of stream) before.push(e);
      })().catch(() => undefined);
      await client(survivor).create(SESSIONS, 'default', session('during-1'));
      await eventually(() => (expect(before.map((e) => e.object.metadata?.name)).toContain('during-1'), true));
      const lastSeen = before[before.length - 1].object.metadata?.resourceVersion as string;

      await leader.kill();
      watchLeader.abort();
      await reading;
      // Written while nobody leads: the next leader must still reconcile it.
      await client(survivor).create(SESSIONS, 'default', session('orphan'));
      await eventually(async () => (expect(await holder(ks)).toBe(survivor.replicaId), true), { timeoutMs: 20_000 });
      await eventually(async () => (expect((await client(survivor).get(SESSIONS, 'default', 'orphan')).status).toMatchObject({ phase: 'Active' }), true), { timeoutMs: 20_000 });

      // The watch resumed on the survivor from the last resourceVersion it saw: only what came after.
      const resumed: WatchEvent[] = [];
      const watchSurvivor = new AbortController();
      const rest = await client(survivor).watch(SESSIONS, { namespace: 'default', resourceVersion: lastSeen, signal: watchSurvivor.signal });
      const readingRest = (async () => {
        for await (const e of rest) resumed.push(e);
      })().catch(() => undefined);
      await eventually(() => (expect(resumed.map((e) => `${e.type} ${e.object.metadata?.name}`)).toContain('ADDED orphan'), true));
      expect(resumed.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata?.name)).toEqual(['orphan']);
      expect(resumed.every((e) => Number(e.object.metadata?.resourceVersion) > Number(lastSeen))).toBe(true);
      watchSurvivor.abort();
      await readingRest;

      // The crashed replica comes back as a follower.
      const back = await start(leader.replicaId);
      const kb = await kubectl(back);
      await eventually(async () => (expect((await kb.run(['get', '--raw', '/readyz'])).stdout).toBe('ok'), true), { timeoutMs: 20_000 });
      expect(await holder(kb)).toBe(survivor.replicaId);
    }, 120_000);
  });
});
