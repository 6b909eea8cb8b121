/**
 * Leader election on the real store, SQLite and Postgres: each replica is its own store instance on
 * one shared database, as control-plane replicas are. Durations are short (1 s leases, 100 ms
 * retries) and every wait polls with eventually().
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type StoreConfig } from '../../api/store/open-store.js';
import type { ObjectStore } from '../../api/store/object-store.js';
import { schemeResolver } from '../../api/store/scheme-resolver.js';
import { scheme, type Lease } from '../../resources/index.js';
import type { KubeObject } from '../../resources/meta.js';
import { eventually } from '../../test/eventually.js';
import { describeWithPostgres } from '../../test/services.js';
import { Informers, controllerFor } from './builder.js';
import { LeaderElector, invalidTimings, timingsFor, type LeaderCallbacks, type LeaderElectorOptions } from './leader-election.js';
import { Manager, type Runnable } from './manager.js';

const FAST = { leaseDurationMs: 1000, renewDeadlineMs: 500, retryPeriodMs: 100 };

/** One replica: its own store on the shared database, an elector, and what it saw. */
interface Replica {
  store: ObjectStore;
  elector: LeaderElector;
  logs: string[];
  /** How many terms it started and stopped. */
  started: number;
  stopped: number;
  stop(): Promise<void>;
}

function electionSuite(openShared: () => Promise<ObjectStore>): void {
  const live: Replica[] = [];
  /** How many replicas lead at this moment, and the most that ever did at once. */
  let leading = 0;
  let maxLeading = 0;
  /** Each test campaigns for its own lease on the suite's database. */
  let LEASE = '';
  let tests = 0;
  beforeEach(() => {
    LEASE = `sidekick-controlplane-${++tests}`;
  });

  afterEach(async () => {
    for (const r of live.splice(0)) {
      await r.stop();
      await r.store.close();
    }
    leading = 0;
    maxLeading = 0;
  });

  /** `stopping`, when given, is what the replica's work takes to stop once leadership ends. */
  async function replica(identity: string, opts: Partial<LeaderElectorOptions> = {}, stopping?: Promise<void>): Promise<Replica> {
    const store = await openShared();
    const logs: string[] = [];
    const elector = new LeaderElector({ store, identity, name: LEASE, ...FAST, log: (l) => logs.push(l), ...opts });
    const ac = new AbortController();
    const r: Replica = { store, elector, logs, started: 0, stopped: 0, stop: async () => undefined };
    const callbacks: LeaderCallbacks = {
      onStartedLeading: () => {
        r.started++;
        leading++;
        maxLeading = Math.max(maxLeading, leading);
      },
      onStoppedLeading: async () => {
        await stopping;
        r.stopped++;
        leading--;
      },
    };
    const running = elector.run(ac.signal, callbacks);
    r.stop = async () => {
      ac.abort();
      await running;
    };
    live.push(r);
    return r;
  }

  const readLease = (store: ObjectStore): Promise<Lease> => store.get<Lease>('leases', 'default', LEASE);

  /** Waits until the lease has been written `n` more times (renewals), without sleeping. */
  async function renewals(store: ObjectStore, n: number): Promise<Lease> {
    const from = Number((await readLease(store)).metadata.generation);
    return eventually<Lease>(async () => {
      const lease = await readLease(store);
      // eventually() treats undefined as "not yet".
      return (Number(lease.metadata.generation) >= from + n ? lease : undefined) as Lease;
    });
  }

  it('lets exactly one of two electors lead, and the lease names it', async () => {
    const a = await replica('replica-a');
    const b = await replica('replica-b');
    const leader = await eventually<Replica>(() => (a.elector.isLeader() ? a : b.elector.isLeader() ? b : undefined) as Replica);
    const follower = leader === a ? b : a;
    const lease = await renewals(a.store, 5);
    expect(lease.spec).toMatchObject({ holderIdentity: leader.elector.identity, leaseDurationSeconds: 1, leaseTransitions: 0 });
    expect(leader.elector.isLeader()).toBe(true);
    expect(follower.elector.isLeader()).toBe(false);
    expect(follower.started).toBe(0);
    expect(follower.elector.holder()).toBe(leader.elector.identity);
    expect(follower.logs).toContain(`leader election: ${follower.elector.identity} sees the lease default/${LEASE} held by ${leader.elector.identity}`);
    expect(maxLeading).toBe(1);
    expect(leader.logs.some((l) => l.includes(`${leader.elector.identity} became leader`))).toBe(true);
  });

  it('hands over after a killed leader\'s lease expires, never before', async () => {
    const a = await replica('replica-a', { releaseOnCancel: false });
    await eventually(() => a.elector.isLeader());
    const b = await replica('replica-b');
    await eventually(() => b.elector.holder() === 'replica-a');
    // A kill: the leader stops renewing and releases nothing.
    await a.stop();
    const last = await readLease(b.store);
    expect(last.spec?.holderIdentity).toBe('replica-a');
    await eventually(() => b.elector.isLeader(), { timeoutMs: 10_000 });
    const now = await readLease(b.store);
    expect(now.spec).toMatchObject({ holderIdentity: 'replica-b', leaseTransitions: 1 });
    // B waited out the lease, by its own clock, from the last renewal it saw (which it saw at most
    // one poll late: 100 ms × 2.2) — and the holder had stopped leading after its 500 ms deadline.
    expect(Date.parse(now.spec!.acquireTime!) - Date.parse(last.spec!.renewTime!)).toBeGreaterThanOrEqual(1000 - 220);
    expect(maxLeading).toBe(1);
  });

  it('hands over at once when the leader stops gracefully (the lease is released)', async () => {
    const slow = { leaseDurationMs: 10_000, renewDeadlineMs: 2000, retryPeriodMs: 100 };
    const a = await replica('replica-a', slow);
    await eventually(() => a.elector.isLeader());
    const b = await replica('replica-b', slow);
    await eventually(() => b.elector.holder() === 'replica-a');
    const stoppedAt = Date.now();
    await a.stop();
    expect((await readLease(b.store)).spec).toMatchObject({ leaseDurationSeconds: 1, leaseTransitions: 0 });
    expect((await readLease(b.store)).spec?.holderIdentity).toBeUndefined();
    await eventually(() => b.elector.isLeader());
    // B took it because it was released, not because a 10 s lease ran out (how soon after is a
    // benchmark's question: npm run bench:controlplane).
    expect(Date.parse((await readLease(b.store)).spec!.acquireTime!) - stoppedAt).toBeLessThan(slow.leaseDurationMs);
    expect((await readLease(b.store)).spec).toMatchObject({ holderIdentity: 'replica-b', leaseTransitions: 1, leaseDurationSeconds: 10 });
    expect(a.logs.some((l) => l.includes('replica-a released the lease'))).toBe(true);
    expect(maxLeading).toBe(1);
  });

  it('keeps the lease renewed while its work is still stopping, so nobody starts early', async () => {
    let workStopped!: () => void;
    const a = await replica('replica-a', {}, new Promise<void>((resolve) => (workStopped = resolve)));
    await eventually(() => a.elector.isLeader());
    const b = await replica('replica-b');
    await eventually(() => b.elector.holder() === 'replica-a');
    const stopping = a.stop();
    // Longer than a lease duration of renewals while A's work stops: B must not take over.
    await renewals(b.store, 12);
    expect(b.elector.isLeader()).toBe(false);
    expect(a.elector.isLeader()).toBe(false);
    workStopped();
    await stopping;
    await eventually(() => b.elector.isLeader());
    expect(maxLeading).toBe(1);
  });

  it('stops leading when another holder takes the lease, and leads again once it expires', async () => {
    const a = await replica('replica-a');
    await eventually(() => a.elector.isLeader());
    // Someone else writes the lease (say `kubectl edit`): A must stop at its next renewal.
    const lease = await readLease(a.store);
    const now = new Date().toISOString();
    await a.store.update('leases', { ...lease, spec: { ...lease.spec, holderIdentity: 'intruder', acquireTime: now, renewTime: now, leaseTransitions: 1 } });
    await eventually(() => !a.elector.isLeader() && a.stopped === 1);
    expect(a.logs.some((l) => l.includes('replica-a lost leadership'))).toBe(true);
    // The intruder never renews: after a lease duration A takes it back, as a transition.
    await eventually(() => a.elector.isLeader() && a.started === 2, { timeoutMs: 5000 });
    expect((await readLease(a.store)).spec).toMatchObject({ holderIdentity: 'replica-a', leaseTransitions: 2 });
  });

  it('stops leading once renewals have failed for renewDeadline, and leads again when the store answers', async () => {
    const shared = await openShared();
    let failing = false;
    // The replica's store as a connection blip leaves it: reads work, writes fail.
    const store = {
      find: shared.find.bind(shared),
      create: shared.create.bind(shared),
      update: ((plural, obj, opts) => (failing ? Promise.reject(new Error('connection reset')) : shared.update(plural, obj, opts))) as ObjectStore['update'],
    };
    const a = await replica('replica-a', { store });
    live.push({ ...a, store: shared, stop: async () => undefined });
    await eventually(() => a.elector.isLeader());
    failing = true;
    const failedAt = Date.now();
    await eventually(() => !a.elector.isLeader() && a.stopped === 1);
    expect(Date.now() - failedAt).toBeGreaterThanOrEqual(FAST.renewDeadlineMs - FAST.retryPeriodMs);
    expect(a.logs.some((l) => l.includes('could not renew the lease: connection reset'))).toBe(true);
    failing = false;
    await eventually(() => a.elector.isLeader() && a.started === 2);
    // Nobody else took it meanwhile: the same holder, no transition.
    expect((await readLease(shared)).spec).toMatchObject({ holderIdentity: 'replica-a', leaseTransitions: 0 });
  });

  it('runs the elected controller on one replica at a time; the new leader\'s fresh controller reconciles what was queued', async () => {
    const reconciledBy = (store: ObjectStore, name: string) =>
      store.get<KubeObject>('sessions', 'team', name).then((s) => s.metadata.annotations?.['test/reconciled-by']);
    let terms = 0;
    let maxTerms = 0;
    const factories: string[] = [];

    async function manager(identity: string, releaseOnCancel: boolean): Promise<{ manager: Manager; store: ObjectStore; seen: string[] }> {
      const store = await openShared();
      const seen: string[] = [];
      const elector = new LeaderElector({ store, identity, name: LEASE, ...FAST, releaseOnCancel });
      const m = new Manager().useLeaderElection(elector);
      m.addElected(() => {
        factories.push(identity);
        const informers = new Informers(store);
        // A tiny real controller: it stamps each Session with the replica that reconciled it. On
        // replica A, the session `stuck` hangs until leadership ends, as slow work does.
        const controller = controllerFor<KubeObject>('Session', 'sessions', informers).reconcile({
          reconcile: async (key, signal) => {
            seen.push(key.name);
            if (identity === 'replica-a' && key.name === 'stuck') {
              await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
              return {};
            }
            const s = await store.get<KubeObject>('sessions', key.namespace, key.name);
            if (s.metadata.annotations?.['test/reconciled-by'] === identity) return {};
            await store.update('sessions', { ...s, metadata: { ...s.metadata, annotations: { ...s.metadata.annotations, 'test/reconciled-by': identity } } });
            return {};
          },
        });
        const probe: Runnable = {
          name: 'term-probe',
          start: async (signal) => {
            terms++;
            maxTerms = Math.max(maxTerms, terms);
            await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
            terms--;
          },
        };
        return [...informers.runnables(), controller, probe];
      });
      m.start();
      live.push({ store, elector, logs: [], started: 0, stopped: 0, stop: () => m.stop() });
      return { manager: m, store, seen };
    }

    const session = (name: string): KubeObject => ({ apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name, namespace: 'team' }, spec: {} });
    const a = await manager('replica-a', false);
    await eventually(() => a.manager.isLeader());
    expect(a.manager.leaderStatus()).toMatchObject({ identity: 'replica-a', leading: true, holder: 'replica-a', leaseTransitions: 0 });
    const b = await manager('replica-b', true);
    await a.store.create('sessions', session('early'));
    await a.store.create('sessions', session('stuck'));
    await eventually(async () => (await reconciledBy(a.store, 'early')) === 'replica-a' && a.seen.includes('stuck'));
    expect(b.manager.isLeader()).toBe(false);
    expect(b.seen).toEqual([]);

    // Replica A dies mid-reconcile (no release); a session is created while nobody leads.
    await a.manager.stop();
    await b.store.create('sessions', session('during'));
    await eventually(() => b.manager.isLeader(), { timeoutMs: 5000 });
    // B's controller is a fresh instance: its first list reconciles everything, the stuck key included.
    await eventually(async () => {
      const by = await Promise.all(['early', 'stuck', 'during'].map((n) => reconciledBy(b.store, n)));
      return by.every((x) => x === 'replica-b');
    });
    expect(factories).toEqual(['replica-a', 'replica-b']);
    expect(maxTerms).toBe(1);
  });
}

describe('Manager.addElected without leader election (the daemon)', () => {
  it('runs the elected runnables at once and stops them with the manager', async () => {
    let started = 0;
    let stopped = 0;
    const m = new Manager().addElected(() => [
      {
        name: 'worker',
        start: async (signal) => {
          started++;
          await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
          stopped++;
        },
      },
    ]);
    m.start();
    await eventually(() => started === 1);
    expect(m.isLeader()).toBe(true);
    await m.stop();
    expect(stopped).toBe(1);
  });
});

describe('leader election timings', () => {
  it.each([
    [15_000, 10_000, 2000, undefined],
    [1500, 1000, 100, 'leaseDuration: must be a whole number of seconds, at least 1s'],
    [10_000, 10_000, 2000, 'leaseDuration: must be greater than renewDeadline'],
    [15_000, 2000, 2000, 'renewDeadline: must be greater than retryPeriod × 1.2'],
    [15_000, 11_000, 2000, 'renewDeadline: must be shorter than leaseDuration − retryPeriod × 2.2'],
  ])('lease %d ms, renew deadline %d ms, retry %d ms: %s', (lease, renew, retry, why) => {
    expect(invalidTimings(lease, renew, retry)).toBe(why);
  });

  it('derives valid timings from any whole-second lease duration (--lease-duration)', () => {
    expect(timingsFor(15_000)).toEqual({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 });
    for (let s = 1; s <= 120; s++) {
      const t = timingsFor(s * 1000);
      expect(invalidTimings(t.leaseDurationMs!, t.renewDeadlineMs!, t.retryPeriodMs!)).toBeUndefined();
    }
  });
});

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('leader election on SQLite', () => {
  let config: StoreConfig;
  electionSuite(async () => {
    if (!config) {
      const dir = mkdtempSync(join(tmpdir(), 'sk-election-'));
      dirs.push(dir);
      config = { kind: 'sqlite', path: join(dir, 'sidekick.db') };
    }
    return openStore(config, schemeResolver(scheme));
  });
});

describeWithPostgres('leader election on Postgres', (getUrl) => {
  electionSuite(() => openStore({ kind: 'postgres', url: getUrl() }, schemeResolver(scheme)));
});
