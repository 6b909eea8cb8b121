/**
 * Group commit on Postgres (postgres-batch.ts), on a real server: concurrent writes share one
 * database transaction, keep gap-free resourceVersions in commit order, fail alone, and reach
 * every watcher — of this store and of another one on the same database — once, in order.
 */
import { afterEach, expect, it } from '@jest/globals';
import type { KubeObject } from '../../resources/meta.js';
import { StatusReason } from '../errors.js';
import { eventually } from '../../test/eventually.js';
import { rejection } from '../../test/rejection.js';
import { describeWithPostgres } from '../../test/services.js';
import type { BackendTx } from './backend.js';
import type { ObjectStore } from './object-store.js';
import { openStore } from './open-store.js';
import { PostgresBackend } from './postgres.js';
import type { ResourceResolver, WatchEvent } from './store.js';

const API = 'sidekicks.dev/v1alpha1';
const resolver: ResourceResolver = (plural) =>
  plural === 'runs' ? { plural: 'runs', kind: 'Run', apiVersion: API, namespaced: true, hasStatus: true } : undefined;

function run(name: string, prompt = 'fix it', namespace = 'default'): KubeObject {
  return { apiVersion: API, kind: 'Run', metadata: { name, namespace }, spec: { prompt } } as KubeObject;
}

const rvOf = (o: KubeObject): number => Number(o.metadata.resourceVersion);

/** Collects a store's run events from `from` on, until stopped. */
function watchRuns(store: ObjectStore, from: string): { events: WatchEvent[]; stop(): Promise<void> } {
  const ac = new AbortController();
  const events: WatchEvent[] = [];
  const done = (async () => {
    for await (const e of store.watch('runs', { resourceVersion: from }, ac.signal)) events.push(e);
  })();
  return {
    events,
    stop: async () => {
      ac.abort();
      await done;
    },
  };
}

/** The database transaction a write ran in: jobs of one batch share it. */
async function transactionId(tx: BackendTx): Promise<string> {
  const rows = await tx.execute('SELECT txid_current()::text AS id');
  return rows[0].id as string;
}

describeWithPostgres('Postgres group commit', (getUrl) => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  async function open(): Promise<ObjectStore> {
    const store = await openStore({ kind: 'postgres', url: getUrl() }, resolver);
    cleanup.push(() => store.close());
    return store;
  }

  it('commits concurrent transactions together, in one database transaction per batch', async () => {
    const backend = await PostgresBackend.open(getUrl());
    cleanup.push(() => backend.close());
    const ids = await Promise.all(Array.from({ length: 40 }, () => backend.transaction(transactionId)));
    expect(new Set(ids).size).toBeLessThan(ids.length);
  });

  it('gives many concurrent creates distinct, gap-free resourceVersions in commit order, each seen once by every watcher', async () => {
    const a = await open();
    const b = await open();
    const from = await a.currentResourceVersion();
    const watchA = watchRuns(a, from);
    const watchB = watchRuns(b, from);
    cleanup.push(() => watchA.stop(), () => watchB.stop());
    // Both stores write at once: their batches serialize on the counter row across connections.
    const created = await Promise.all(Array.from({ length: 150 }, (_, i) => (i % 3 ? a : b).create('runs', run(`many-${i}`))));
    const rvs = created.map(rvOf).sort((x, y) => x - y);
    expect(rvs).toEqual(Array.from({ length: 150 }, (_, i) => Number(from) + 1 + i));
    const expected = created
      .slice()
      .sort((x, y) => rvOf(x) - rvOf(y))
      .map((o) => `ADDED ${o.metadata.name} ${o.metadata.resourceVersion}`);
    const seen = (w: { events: WatchEvent[] }): string[] => w.events.map((e) => `${e.type} ${e.object.metadata.name} ${e.object.metadata.resourceVersion}`);
    await eventually(() => seen(watchA).length === 150 && seen(watchB).length === 150);
    expect(seen(watchA)).toEqual(expected);
    expect(seen(watchB)).toEqual(expected);
    // The history Postgres holds has the same order.
    const history = await a.backend.recentChanges(150);
    expect(history.map((c) => `ADDED ${c.name} ${c.resourceVersion}`)).toEqual(expected);
  });

  it('fails a transaction of a batch alone: the others commit, and the versions stay gap-free', async () => {
    const store = await open();
    const alone = (name: string, prompt?: string): Promise<KubeObject> => store.create('runs', run(name, prompt, 'alone'));
    await alone('taken');
    const from = await store.currentResourceVersion();
    const watch = watchRuns(store, from);
    cleanup.push(() => watch.stop());
    // One tick: all of them queue before the first batch starts, so they share it.
    const outcomes = await Promise.allSettled([
      alone('ok-1'),
      alone('taken'),
      alone('ok-2'),
      // JSONB refuses \u0000: a statement of this transaction fails inside the batch.
      alone('bad-json', 'a\u0000b'),
      alone('ok-3'),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ reason: StatusReason.AlreadyExists });
    expect(String((outcomes[3] as PromiseRejectedResult).reason)).toMatch(/Unicode|\\u0000/);
    const kept = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value as KubeObject] : []));
    expect(kept.map(rvOf)).toEqual([1, 2, 3].map((i) => Number(from) + i));
    expect((await store.list('runs', { namespace: 'alone' })).items.map((o) => o.metadata.name).sort()).toEqual(['ok-1', 'ok-2', 'ok-3', 'taken']);
    await eventually(() => watch.events.length === 3);
    expect(watch.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED ok-1', 'ADDED ok-2', 'ADDED ok-3']);
  });

  it('runs again the creates after a deferred write that failed, but never a transaction that cannot be replayed', async () => {
    const store = await open();
    const mine = (name: string): Promise<KubeObject> => store.create('runs', run(name, 'fix it', 'replay'));
    await mine('taken');
    const from = Number(await store.currentResourceVersion());
    let runs = 0;
    // One tick: the creates defer their writes; the plain transaction among them must run once.
    const outcomes = await Promise.allSettled([
      mine('r-1'),
      mine('taken'),
      mine('r-2'),
      store.transaction(async (tx) => {
        runs++;
        return (await tx.execute('SELECT count(*)::int AS n FROM sk_objects WHERE namespace = $1', ['replay']))[0].n;
      }),
      mine('r-3'),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ reason: StatusReason.AlreadyExists });
    expect(runs).toBe(1);
    // It saw what the transactions before it wrote: `taken`, r-1 and r-2.
    expect((outcomes[3] as PromiseFulfilledResult<number>).value).toBe(3);
    const created = [0, 2, 4].map((i) => (outcomes[i] as PromiseFulfilledResult<KubeObject>).value);
    expect(created.map((o) => [o.metadata.name, rvOf(o)])).toEqual([
      ['r-1', from + 1],
      ['r-2', from + 2],
      ['r-3', from + 3],
    ]);
    const stored = await store.list('runs', { namespace: 'replay' });
    expect(stored.items.map((o) => `${o.metadata.name} ${o.metadata.resourceVersion}`)).toEqual(
      expect.arrayContaining(created.map((o) => `${o.metadata.name} ${o.metadata.resourceVersion}`)),
    );
    expect(Number(await store.currentResourceVersion())).toBe(from + 3);
  });

  it('rolls back the whole transaction of a job that threw after writing, and only it', async () => {
    const backend = await PostgresBackend.open(getUrl());
    cleanup.push(() => backend.close());
    const start = await backend.read((r) => r.currentResourceVersion());
    const write = (name: string, fail: boolean) =>
      backend.transaction(async (tx) => {
        const rv = await tx.nextResourceVersion();
        await tx.putObject({ plural: 'notes', namespace: 'default', name, uid: `uid-${name}`, resourceVersion: rv, json: '{}' });
        await tx.appendChange({ plural: 'notes', namespace: 'default', name, resourceVersion: rv, type: 'ADDED', json: '{}' });
        if (fail) throw new Error(`${name} changed its mind`);
        return { rv, id: await transactionId(tx) };
      });
    const [x, y, z] = await Promise.allSettled([write('x', false), write('y', true), write('z', false)]);
    expect(y.status === 'rejected' && (y.reason as Error).message).toBe('y changed its mind');
    expect(x).toMatchObject({ status: 'fulfilled', value: { rv: start + 1 } });
    expect(z).toMatchObject({ status: 'fulfilled', value: { rv: start + 2 } });
    expect((x as PromiseFulfilledResult<{ id: string }>).value.id).toBe((z as PromiseFulfilledResult<{ id: string }>).value.id);
    const names = await backend.read((r) => r.listObjects({ plural: 'notes' }));
    expect(names.map((o) => o.name)).toEqual(['x', 'z']);
    expect(await backend.read((r) => r.currentResourceVersion())).toBe(start + 2);
  });

  it('answers 503 to every transaction of a batch that lost its connection, commits none of it, and writes again after', async () => {
    const backend = await PostgresBackend.open(getUrl(), { onError: () => undefined });
    cleanup.push(() => backend.close());
    const start = await backend.read((r) => r.currentResourceVersion());
    const write = (name: string) =>
      backend.transaction(async (tx) => {
        const rv = await tx.nextResourceVersion();
        await tx.appendChange({ plural: 'notes', namespace: 'default', name, resourceVersion: rv, type: 'ADDED', json: '{}' });
        return rv;
      });
    const before = write('before');
    // The server ends this batch's own connection, as on a failover, after `before` has written.
    const killer = backend.transaction((tx) => tx.execute('SELECT pg_terminate_backend(pg_backend_pid())'));
    const [a, b] = await Promise.allSettled([before, killer]);
    for (const outcome of [a, b]) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: { reason: StatusReason.ServiceUnavailable, code: 503 } });
    }
    expect(await backend.read((r) => r.currentResourceVersion())).toBe(start);
    expect(await write('after')).toBe(start + 1);
    expect((await backend.recentChanges(5)).filter((c) => c.resourceVersion > start).map((c) => c.name)).toEqual(['after']);
  });

  it('keeps read-your-writes: a create is visible to the same store as soon as it returns', async () => {
    const store = await open();
    const created = await Promise.all(Array.from({ length: 20 }, (_, i) => store.create('runs', run(`ryw-${i}`))));
    for (const o of created) {
      const got = await store.get('runs', 'default', o.metadata.name as string);
      expect(got.metadata.resourceVersion).toBe(o.metadata.resourceVersion);
    }
    expect(Number(await store.currentResourceVersion())).toBeGreaterThanOrEqual(Math.max(...created.map(rvOf)));
  });

  it('rejects with the caller its own error when it is not a database one', async () => {
    const store = await open();
    const err = await rejection(store.transaction(() => Promise.reject(new Error('not today'))));
    expect(err.message).toBe('not today');
  });
});
