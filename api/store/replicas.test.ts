/**
 * Control-plane replicas: several ObjectStores on one Postgres database, each with its own watch
 * hub fed by LISTEN/NOTIFY, reads by revision and the change poll (docs/decisions/0024). Each test
 * opens its replicas on a database of its own.
 */
import { afterAll, afterEach, expect, it } from '@jest/globals';
import type { KubeObject } from '../../resources/meta.js';
import { eventually } from '../../test/eventually.js';
import { describeWithPostgres, pgAdmin } from '../../test/services.js';
import type { ObjectStore } from './object-store.js';
import { openStore, type OpenStoreOptions } from './open-store.js';
import { FEED_APPLICATION_NAME } from './postgres-feed.js';
import type { ResourceInfo, WatchEvent, WatchOptions } from './store.js';

const API = 'sidekicks.dev/v1alpha1';
const KINDS: Record<string, ResourceInfo> = {
  runs: { plural: 'runs', kind: 'Run', apiVersion: API, namespaced: true, hasStatus: true },
  sessions: { plural: 'sessions', kind: 'Session', apiVersion: API, namespaced: true, hasStatus: true },
};

const run = (name: string, prompt = 'fix it'): KubeObject => ({ apiVersion: API, kind: 'Run', metadata: { name }, spec: { prompt } });
const session = (name: string): KubeObject => ({ apiVersion: API, kind: 'Session', metadata: { name } });
const summary = (events: WatchEvent[]): string[] => events.map((e) => `${e.type} ${e.object.metadata.name ?? ''}`);
const versions = (events: WatchEvent[]): number[] => events.map((e) => Number(e.object.metadata.resourceVersion));

/** Waits until `check` stops throwing (expect-style assertions). */
const until = (check: () => unknown, timeoutMs?: number): Promise<unknown> =>
  eventually(
    async () => {
      await check();
      return true;
    },
    { timeoutMs },
  );

describeWithPostgres('Store replicas on one Postgres database', (getUrl) => {
  const databases: string[] = [];
  const opened: ObjectStore[] = [];
  const watches: AbortController[] = [];
  let url = '';

  /** A fresh database for this test; `open` starts one more replica on it. */
  async function freshDatabase(): Promise<void> {
    const name = `${new URL(getUrl()).pathname.slice(1)}_r${databases.length}`;
    await pgAdmin(getUrl(), `CREATE DATABASE ${name}`);
    databases.push(name);
    const u = new URL(getUrl());
    u.pathname = `/${name}`;
    url = u.toString();
  }
  async function open(opts: OpenStoreOptions = {}): Promise<ObjectStore> {
    const store = await openStore({ kind: 'postgres', url }, (plural) => KINDS[plural], opts);
    opened.push(store);
    return store;
  }
  function watch(store: ObjectStore, plural: string, opts: WatchOptions): WatchEvent[] {
    const ac = new AbortController();
    watches.push(ac);
    const events: WatchEvent[] = [];
    const iterable = store.watch(plural, opts, ac.signal);
    void (async () => {
      for await (const e of iterable) events.push(e);
    })();
    return events;
  }
  /** The pids of the LISTEN connections on this test's database. */
  async function listenPids(): Promise<number[]> {
    const name = new URL(url).pathname.slice(1);
    const found: number[] = [];
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: getUrl() });
    await c.connect();
    try {
      const res = await c.query('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2', [name, FEED_APPLICATION_NAME]);
      for (const r of res.rows) found.push(r.pid as number);
    } finally {
      await c.end();
    }
    return found;
  }

  afterEach(async () => {
    for (const ac of watches.splice(0)) ac.abort();
    for (const s of opened.splice(0)) await s.close();
  });
  afterAll(async () => {
    for (const name of databases) await pgAdmin(getUrl(), `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  it('a write on A reaches a watch on B in resourceVersion order, and both agree on the versions', async () => {
    await freshDatabase();
    const a = await open();
    const b = await open();
    const events = watch(b, 'runs', { resourceVersion: await b.currentResourceVersion() });
    const written: number[] = [];
    for (let i = 0; i < 10; i++) {
      const created = await a.create('runs', run(`r${i}`));
      written.push(Number(created.metadata.resourceVersion));
      if (i % 3 === 0) written.push(Number((await a.update('runs', { ...created, spec: { prompt: 'again' } })).metadata.resourceVersion));
    }
    await until(() => expect(versions(events)).toEqual(written));
    expect(await b.currentResourceVersion()).toBe(await a.currentResourceVersion());
    expect(await b.get('runs', 'default', 'r9')).toEqual(await a.get('runs', 'default', 'r9'));
  });

  it('a watch resumed on B from the version A’s watcher last saw continues without duplicates or a re-sent ADDED', async () => {
    await freshDatabase();
    const a = await open();
    const b = await open();
    const onA = watch(a, 'runs', { resourceVersion: await a.currentResourceVersion() });
    const x = await a.create('runs', run('x'));
    await a.create('runs', run('y'));
    await until(() => expect(summary(onA)).toEqual(['ADDED x', 'ADDED y']));
    const lastSeen = onA[1].object.metadata.resourceVersion as string;
    await a.update('runs', { ...x, spec: { prompt: 'changed' } });
    await b.create('runs', run('z'));
    await a.delete('runs', 'default', 'y');
    const resumed = watch(b, 'runs', { resourceVersion: lastSeen });
    await until(() => expect(summary(resumed)).toEqual(['MODIFIED x', 'ADDED z', 'DELETED y']));
    expect(versions(resumed).every((v) => v > Number(lastSeen))).toBe(true);
  });

  it('a replica restart loses and duplicates nothing for a resumed watch', async () => {
    await freshDatabase();
    const a = await open();
    let b = await open();
    const before = watch(b, 'runs', { resourceVersion: await b.currentResourceVersion() });
    const first = await a.create('runs', run('first'));
    await until(() => expect(summary(before)).toEqual(['ADDED first']));
    await b.close();
    opened.splice(opened.indexOf(b), 1);
    // Written while B is down.
    await a.update('runs', { ...first, spec: { prompt: 'while down' } });
    await a.create('runs', run('second'));
    b = await open();
    const after = watch(b, 'runs', { resourceVersion: before[0].object.metadata.resourceVersion as string });
    await a.create('runs', run('third'));
    await until(() => expect(summary(after)).toEqual(['MODIFIED first', 'ADDED second', 'ADDED third']));
    expect(new Set(versions(after)).size).toBe(3);
  });

  it('a replica that never LISTENs (PgBouncer in transaction mode) still delivers, by the poll', async () => {
    await freshDatabase();
    const a = await open();
    // B hears nothing but its poll: what reaches its watch came from reading the change table.
    // (How soon is the benchmark's figure: npm run bench:controlplane.)
    const b = await open({ listen: false });
    const events = watch(b, 'runs', { resourceVersion: await b.currentResourceVersion() });
    await a.create('runs', run('polled'));
    await until(() => expect(summary(events)).toEqual(['ADDED polled']));
  });

  it('a replica whose LISTEN connection is terminated still delivers, and listens again', async () => {
    await freshDatabase();
    const a = await open({ listen: false });
    const errors: string[] = [];
    const b = await open({ onBackgroundError: (err) => errors.push(String(err)) });
    const [pid] = await listenPids();
    expect(pid).toBeGreaterThan(0);
    await pgAdmin(getUrl(), `SELECT pg_terminate_backend(${pid})`);
    const events = watch(b, 'runs', { resourceVersion: await b.currentResourceVersion() });
    await a.create('runs', run('after-kill'));
    await until(() => expect(summary(events)).toEqual(['ADDED after-kill']), 3000);
    await until(async () => expect((await listenPids()).filter((p) => p !== pid)).toHaveLength(1));
    // The lost connection is reported (once); a reconnect is not mistaken for a silent LISTEN.
    expect(errors.filter((e) => e.includes('terminating connection'))).toHaveLength(1);
    expect(errors.filter((e) => e.includes('looks broken'))).toEqual([]);
  });

  it('catches up a change whose notification was lost, and reports the silent LISTEN once, not per poll', async () => {
    await freshDatabase();
    const errors: string[] = [];
    const b = await open({ changePollMs: 50, onBackgroundError: (err) => errors.push(String(err)) });
    const events = watch(b, 'runs', { resourceVersion: await b.currentResourceVersion() });
    // Commits that send no NOTIFY: what a lost notification or a dead LISTEN looks like to B.
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      // Each ghost is delivered by a poll; by the fourth, a warning repeated per poll would have shown.
      for (const name of ['ghost-1', 'ghost-2', 'ghost-3', 'ghost-4']) {
        await c.query('BEGIN');
        const { rows } = await c.query('UPDATE sk_rv SET v = v + 1 WHERE id = 1 RETURNING v');
        const rv = Number(rows[0].v);
        const object = { apiVersion: API, kind: 'Run', metadata: { name, namespace: 'default', resourceVersion: String(rv) } };
        await c.query(`INSERT INTO sk_changes (resource_version, plural, namespace, name, type, object) VALUES ($1, 'runs', 'default', $2, 'ADDED', $3)`, [
          rv,
          name,
          JSON.stringify(object),
        ]);
        await c.query('COMMIT');
        await until(() => expect(summary(events).at(-1)).toBe(`ADDED ${name}`));
        await until(() => expect(errors.filter((e) => e.includes('looks broken'))).toHaveLength(1));
      }
    } finally {
      await c.end();
    }
    expect(summary(events)).toEqual(['ADDED ghost-1', 'ADDED ghost-2', 'ADDED ghost-3', 'ADDED ghost-4']);
    expect(errors.filter((e) => e.includes('looks broken'))).toHaveLength(1);
  });

  it('a replica that missed compacted changes expires only the watches of the kinds that lost one', async () => {
    await freshDatabase();
    const a = await open({ historyLimit: 5 });
    // B hears nothing until its own next write (no LISTEN, a poll too slow to matter here).
    const b = await open({ historyLimit: 5, listen: false, changePollMs: 600_000 });
    const from = (await a.create('runs', run('seed'))).metadata.resourceVersion as string;
    await b.create('sessions', session('seen'));
    const runsOnB = watch(b, 'runs', { resourceVersion: from });
    const sessionsOnB = watch(b, 'sessions', { resourceVersion: from });
    for (let i = 0; i < 70; i++) await a.create('runs', run(`r${i}`));
    // B's own write makes it read the history after what it last saw: the early runs are gone.
    await b.create('sessions', session('s'));
    await until(() => expect(runsOnB).toMatchObject([{ type: 'ERROR', object: { kind: 'Status', reason: 'Expired', code: 410 } }]));
    await until(() => expect(summary(sessionsOnB)).toEqual(['ADDED seen', 'ADDED s']));
    let err: unknown;
    try {
      b.watch('runs', { resourceVersion: from }, new AbortController().signal);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ reason: 'Expired', code: 410 });
  });
});
