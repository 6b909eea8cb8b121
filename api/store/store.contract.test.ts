/**
 * The Store contract, run against every backend: SQLite on a temp file and Postgres on a real
 * server (test/services.ts). Each test opens its own fresh database.
 *
 * Why this file is long: it is the one contract every backend must keep, read as a whole; split
 * by topic it would invite backend-specific copies.
 */
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../resources/meta.js';
import { eventually } from '../../test/eventually.js';
import { describeWithPostgres, pgAdmin } from '../../test/services.js';
import type { ObjectStore } from './object-store.js';
import { openStore, type OpenStoreOptions, type StoreConfig } from './open-store.js';
import type { ResourceInfo, ResourceResolver, WatchEvent, WatchOptions } from './store.js';
import { rejection } from '../../test/rejection.js';

const API = 'sidekicks.dev/v1alpha1';
const KINDS: Record<string, ResourceInfo> = {
  runs: { plural: 'runs', kind: 'Run', apiVersion: API, namespaced: true, hasStatus: true },
  sessions: { plural: 'sessions', kind: 'Session', apiVersion: API, namespaced: true, hasStatus: true },
  runtimenodes: { plural: 'runtimenodes', kind: 'RuntimeNode', apiVersion: API, namespaced: false, hasStatus: true },
  notes: { plural: 'notes', kind: 'Note', apiVersion: API, namespaced: true, hasStatus: false },
};
const resolver: ResourceResolver = (plural) => KINDS[plural];

/** A database a test may open one or more stores on (reopen, second replica). */
interface Location {
  config: StoreConfig;
  open(opts?: OpenStoreOptions): Promise<ObjectStore>;
}

type Obj = KubeObject<Record<string, unknown>, Record<string, unknown>>;

function run(name: string, meta: Partial<KubeObject['metadata']> = {}, spec: Record<string, unknown> = { prompt: 'fix it' }): Obj {
  return { apiVersion: API, kind: 'Run', metadata: { name, ...meta }, spec };
}

function owner(o: KubeObject): NonNullable<KubeObject['metadata']['ownerReferences']>[number] {
  return { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name as string, uid: o.metadata.uid as string, controller: true };
}


/** Collects a watch's events in the background until stopped. */
function collect(store: ObjectStore, plural: string, opts: WatchOptions): { events: WatchEvent[]; stop(): void; done: Promise<void> } {
  const ac = new AbortController();
  const events: WatchEvent[] = [];
  const iterable = store.watch(plural, opts, ac.signal);
  const done = (async () => {
    for await (const e of iterable) events.push(e);
  })();
  return { events, stop: () => ac.abort(), done };
}

/** Waits until `check` stops throwing (expect-style assertions). */
function until(check: () => unknown): Promise<unknown> {
  return eventually(async () => {
    await check();
    return true;
  });
}

/** The error a call throws synchronously (a watch answering 410 before streaming). */
function openError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to throw');
}

const summary = (events: WatchEvent[]): string[] => events.map((e) => `${e.type} ${e.object.metadata.name ?? ''}`);

/** The whole contract, for one backend. */
function storeContract(newLocation: () => Promise<Location>): void {
  const opened: ObjectStore[] = [];
  const watches: { stop(): void }[] = [];
  async function fresh(opts?: OpenStoreOptions): Promise<{ store: ObjectStore; loc: Location }> {
    const loc = await newLocation();
    const store = await loc.open(opts);
    opened.push(store);
    return { store, loc };
  }
  function watch(store: ObjectStore, plural: string, opts: WatchOptions): ReturnType<typeof collect> {
    const w = collect(store, plural, opts);
    watches.push(w);
    return w;
  }
  afterEach(async () => {
    for (const w of watches.splice(0)) w.stop();
    for (const s of opened.splice(0)) await s.close();
  });

  describe('create and get', () => {
    it('assigns identity, version, generation and creation time; defaults the namespace', async () => {
      const { store } = await fresh();
      const created = await store.create('runs', run('a'));
      expect(created.metadata).toMatchObject({ name: 'a', namespace: 'default', generation: 1 });
      expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.metadata.resourceVersion).toMatch(/^\d+$/);
      expect(created.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(await store.get('runs', 'default', 'a')).toEqual(created);
      expect(await store.find('runs', 'default', 'a')).toEqual(created);
      expect(await store.find('runs', 'default', 'missing')).toBeUndefined();
      expect(await store.currentResourceVersion()).toBe(created.metadata.resourceVersion);
      const other = await store.create('runs', run('b'));
      expect(Number(other.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
      // uids are time-ordered: objects created within one second still sort in creation order.
      const uids = [created, other];
      for (const n of ['c', 'd', 'e', 'f']) uids.push(await store.create('runs', run(n)));
      const ordered = uids.map((o) => o.metadata.uid as string);
      expect([...ordered].sort()).toEqual(ordered);
    });

    it('keeps status given on create and stores cluster-scoped kinds without a namespace', async () => {
      const { store } = await fresh();
      const node = await store.create<KubeObject>('runtimenodes', {
        apiVersion: API,
        kind: 'RuntimeNode',
        metadata: { name: 'laptop', namespace: 'ignored' },
        status: { phase: 'Ready' },
      });
      expect(node.metadata.namespace).toBeUndefined();
      expect(node.status).toEqual({ phase: 'Ready' });
      expect((await store.get<KubeObject>('runtimenodes', '', 'laptop')).metadata.uid).toBe(node.metadata.uid);
    });

    it('rejects AlreadyExists and NotFound in kubectl wording', async () => {
      const { store } = await fresh();
      await store.create('runs', run('a'));
      const dup = await rejection(store.create('runs', run('a')));
      expect(dup).toMatchObject({ reason: 'AlreadyExists', code: 409, message: 'runs.sidekicks.dev "a" already exists' });
      const missing = await rejection(store.get('runs', 'default', 'zzz'));
      expect(missing).toMatchObject({ reason: 'NotFound', code: 404, message: 'runs.sidekicks.dev "zzz" not found' });
      expect(await rejection(store.update('runs', run('zzz')))).toMatchObject({ reason: 'NotFound' });
      expect(await rejection(store.delete('runs', 'default', 'zzz'))).toMatchObject({ reason: 'NotFound' });
      expect(await rejection(store.create('runs', run('')))).toMatchObject({ reason: 'Invalid' });
    });

    it('generates names from generateName', async () => {
      const { store } = await fresh();
      const a = await store.create('runs', run('', { generateName: 'fix-' }));
      const b = await store.create('runs', run('', { generateName: 'fix-' }));
      expect(a.metadata.name).toMatch(/^fix-[a-z0-9]{5}$/);
      expect(b.metadata.name).not.toBe(a.metadata.name);
      expect((await store.get('runs', 'default', a.metadata.name as string)).metadata.uid).toBe(a.metadata.uid);
    });

    it('keeps a given uid, creation time and generation only with keepIdentity (a mirror of another store)', async () => {
      const { store } = await fresh();
      const identity = { uid: '0190f5a4-1111-7000-8000-000000000001', creationTimestamp: '2024-01-02T03:04:05Z', generation: 7 };
      const plain = await store.create('runs', run('plain', identity));
      expect(plain.metadata.uid).not.toBe(identity.uid);
      expect(plain.metadata).toMatchObject({ generation: 1 });
      const copy = await store.create('runs', run('copy', identity), { keepIdentity: true });
      expect(copy.metadata).toMatchObject(identity);
      expect(await store.get('runs', 'default', 'copy')).toEqual(copy);
      // An update keeps a given generation with keepIdentity, and counts it without.
      const kept = await store.update('runs', { ...copy, metadata: { ...copy.metadata, generation: 9 }, spec: { prompt: 'two' } }, { keepIdentity: true });
      expect(kept.metadata).toMatchObject({ uid: identity.uid, generation: 9 });
      const counted = await store.update('runs', { ...kept, metadata: { ...kept.metadata, generation: 42 }, spec: { prompt: 'three' } });
      expect(counted.metadata.generation).toBe(10);
    });
  });

  describe('update', () => {
    it('rejects a stale resourceVersion with Conflict and accepts the current one or none', async () => {
      const { store } = await fresh();
      const v1 = await store.create('runs', run('a'));
      const v2 = await store.update('runs', { ...v1, spec: { prompt: 'two' } });
      const stale = await rejection(store.update('runs', { ...v1, spec: { prompt: 'three' } }));
      expect(stale).toMatchObject({
        reason: 'Conflict',
        code: 409,
        message:
          'Operation cannot be fulfilled on runs.sidekicks.dev "a": the object has been modified; please apply your changes to the latest version and try again',
      });
      const v3 = await store.update('runs', { ...v2, spec: { prompt: 'three' } });
      const { resourceVersion: _rv, ...noVersion } = v3.metadata;
      const v4 = await store.update('runs', { ...v3, metadata: noVersion, spec: { prompt: 'four' } });
      expect(v4.spec).toEqual({ prompt: 'four' });
      expect(v4.metadata.uid).toBe(v1.metadata.uid);
      expect(v4.metadata.creationTimestamp).toBe(v1.metadata.creationTimestamp);
    });

    it('raises generation only when the desired state changes; a no-op keeps the version', async () => {
      const { store } = await fresh();
      const v1 = await store.create('runs', run('a'));
      const labelled = await store.update('runs', { ...v1, metadata: { ...v1.metadata, labels: { x: 'y' } } });
      expect(labelled.metadata.generation).toBe(1);
      expect(labelled.metadata.resourceVersion).not.toBe(v1.metadata.resourceVersion);
      const same = await store.update('runs', labelled);
      expect(same.metadata.resourceVersion).toBe(labelled.metadata.resourceVersion);
      const changed = await store.update('runs', { ...labelled, spec: { prompt: 'other' } });
      expect(changed.metadata.generation).toBe(2);
      const reordered = await store.update('runs', { ...changed, spec: { ...changed.spec } });
      expect(reordered.metadata.generation).toBe(2);
      const forged = await store.update('runs', { ...reordered, metadata: { ...reordered.metadata, generation: 40, creationTimestamp: undefined } });
      expect(forged.metadata.generation).toBe(2);
    });

    it('writes status only through updateStatus on kinds with a status subresource', async () => {
      const { store } = await fresh();
      const v1 = await store.create('runs', { ...run('a'), status: { phase: 'Pending' } });
      const v2 = await store.update('runs', { ...v1, spec: { prompt: 'b' }, status: { phase: 'Hacked' } });
      expect(v2.status).toEqual({ phase: 'Pending' });
      const v3 = await store.updateStatus('runs', { ...v2, spec: { prompt: 'ignored' }, status: { phase: 'Running' } });
      expect(v3.status).toEqual({ phase: 'Running' });
      expect(v3.spec).toEqual({ prompt: 'b' });
      expect(v3.metadata.generation).toBe(v2.metadata.generation);
      expect(await rejection(store.updateStatus('runs', { ...v2, status: { phase: 'Late' } }))).toMatchObject({ reason: 'Conflict' });
      const note = await store.create('notes', { apiVersion: API, kind: 'Note', metadata: { name: 'n' }, status: { a: 1 } });
      const note2 = await store.update('notes', { ...note, status: { a: 2 } });
      expect(note2.status).toEqual({ a: 2 });
      expect(await rejection(store.updateStatus('notes', note2))).toMatchObject({ reason: 'NotFound' });
    });
  });

  describe('list', () => {
    async function seed(store: ObjectStore): Promise<void> {
      for (const [ns, name, app, phase] of [
        ['default', 'b', 'web', 'Running'],
        ['default', 'a', 'db', 'Pending'],
        ['team', 'c', 'web', 'Pending'],
        ['team', 'a', 'cache', 'Running'],
      ]) {
        const o = await store.create('runs', run(name, { namespace: ns, labels: { app } }, { session: `s-${name}` }));
        await store.updateStatus('runs', { ...o, status: { phase } });
      }
      await store.create('sessions', { apiVersion: API, kind: 'Session', metadata: { name: 'a' } });
    }
    const keys = (items: KubeObject[]): string[] => items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);

    it('lists one namespace or all, ordered by namespace and name, at the current version', async () => {
      const { store } = await fresh();
      await seed(store);
      const all = await store.list('runs');
      expect(keys(all.items)).toEqual(['default/a', 'default/b', 'team/a', 'team/c']);
      expect(all.resourceVersion).toBe(await store.currentResourceVersion());
      expect(all.continue).toBeUndefined();
      expect(keys((await store.list('runs', { namespace: 'team' })).items)).toEqual(['team/a', 'team/c']);
      expect((await store.list('runs', { namespace: 'nowhere' })).items).toEqual([]);
    });

    it('filters by label and field selectors', async () => {
      const { store } = await fresh();
      await seed(store);
      const by = async (labelSelector?: string, fieldSelector?: string): Promise<string[]> =>
        keys((await store.list('runs', { labelSelector, fieldSelector })).items);
      expect(await by('app=web')).toEqual(['default/b', 'team/c']);
      expect(await by('app in (db,cache)')).toEqual(['default/a', 'team/a']);
      expect(await by('app!=web,app')).toEqual(['default/a', 'team/a']);
      expect(await by('!app')).toEqual([]);
      expect(await by(undefined, 'metadata.name=a')).toEqual(['default/a', 'team/a']);
      expect(await by(undefined, 'metadata.namespace=team,metadata.name!=a')).toEqual(['team/c']);
      expect(await by(undefined, 'status.phase=Running')).toEqual(['default/b', 'team/a']);
      expect(await by('app=web', 'spec.session=s-c')).toEqual(['team/c']);
      // The JSON-text list is the same list, item for item, with the same paging.
      for (const opts of [{}, { labelSelector: 'app=web' }, { limit: 1 }, { fieldSelector: 'status.phase=Running', limit: 1 }]) {
        const parsed = await store.list('runs', opts);
        const text = await store.listJson('runs', opts);
        expect(text.items.map((j) => JSON.parse(j) as KubeObject)).toEqual(parsed.items);
        expect({ ...text, items: [] }).toEqual({ ...parsed, items: [] });
      }
      expect(await by(undefined, 'metadata.name=a,metadata.name=b')).toEqual([]);
      expect(await rejection(store.list('runs', { labelSelector: 'a in (' }))).toMatchObject({ reason: 'BadRequest', code: 400 });
    });

    it('pages with limit and continue, counting the remaining items', async () => {
      const { store } = await fresh();
      for (let i = 0; i < 25; i++) {
        await store.create('runs', run(`r${String(i).padStart(2, '0')}`, { namespace: i % 2 ? 'odd' : 'even', labels: { n: String(i % 3) } }));
      }
      const first = await store.list('runs', { limit: 10 });
      expect(first.items).toHaveLength(10);
      expect(first.remainingItemCount).toBe(15);
      await store.create('runs', run('zz-late', { namespace: 'zz' }));
      const second = await store.list('runs', { limit: 10, continue: first.continue });
      expect(second.resourceVersion).toBe(first.resourceVersion);
      expect(second.remainingItemCount).toBe(6);
      const third = await store.list('runs', { limit: 10, continue: second.continue });
      expect(third.items).toHaveLength(6);
      expect(third.continue).toBeUndefined();
      const paged = keys([...first.items, ...second.items, ...third.items]);
      expect(paged).toEqual(keys((await store.list('runs')).items));

      const filtered: string[] = [];
      let token: string | undefined;
      do {
        const page = await store.list('runs', { labelSelector: 'n=1', limit: 3, continue: token });
        expect(page.items.length).toBeLessThanOrEqual(3);
        filtered.push(...keys(page.items));
        token = page.continue;
      } while (token);
      expect(filtered).toEqual(keys((await store.list('runs', { labelSelector: 'n=1' })).items));
      expect(filtered).toHaveLength(8);
      expect(await rejection(store.list('runs', { continue: 'garbage' }))).toMatchObject({ reason: 'BadRequest' });
    });
  });

  describe('delete, finalizers and garbage collection', () => {
    it('marks an object with finalizers, forbids new ones, and removes it when they are gone', async () => {
      const { store } = await fresh();
      const created = await store.create('runs', run('a', { finalizers: ['sidekicks.dev/worktree'] }));
      const w = watch(store, 'runs', { resourceVersion: created.metadata.resourceVersion });
      const marked = await store.delete('runs', 'default', 'a');
      expect(marked.removed).toBe(false);
      expect(marked.object.metadata.deletionTimestamp).toMatch(/Z$/);
      const again = await store.delete('runs', 'default', 'a');
      expect(again.object.metadata.resourceVersion).toBe(marked.object.metadata.resourceVersion);
      const current = await store.get('runs', 'default', 'a');
      const forbidden = await rejection(
        store.update('runs', { ...current, metadata: { ...current.metadata, finalizers: ['sidekicks.dev/worktree', 'new'] } }),
      );
      expect(forbidden).toMatchObject({ reason: 'Invalid', code: 422 });
      expect(forbidden.details?.causes?.[0]).toMatchObject({ field: 'metadata.finalizers', reason: 'FieldValueForbidden' });
      const cleared = await store.update('runs', { ...current, metadata: { ...current.metadata, finalizers: [] } });
      expect(cleared.metadata.finalizers).toEqual([]);
      expect(await rejection(store.get('runs', 'default', 'a'))).toMatchObject({ reason: 'NotFound' });
      await until(() => expect(summary(w.events)).toEqual(['MODIFIED a', 'DELETED a']));
    });

    it('honours uid and resourceVersion preconditions', async () => {
      const { store } = await fresh();
      const a = await store.create('runs', run('a'));
      expect(await rejection(store.delete('runs', 'default', 'a', { preconditions: { uid: 'other' } }))).toMatchObject({ reason: 'Conflict' });
      expect(await rejection(store.delete('runs', 'default', 'a', { preconditions: { resourceVersion: '999999' } }))).toMatchObject({
        reason: 'Conflict',
      });
      const gone = await store.delete('runs', 'default', 'a', {
        preconditions: { uid: a.metadata.uid, resourceVersion: a.metadata.resourceVersion },
      });
      expect(gone.removed).toBe(true);
    });

    it('collects dependents in the background, marking those with finalizers', async () => {
      const { store } = await fresh();
      const parent = await store.create('sessions', { apiVersion: API, kind: 'Session', metadata: { name: 'p' } });
      const child = await store.create('runs', run('c1', { ownerReferences: [owner(parent)] }));
      await store.create('runs', run('grandchild', { ownerReferences: [owner(child)] }));
      await store.create('runs', run('c2', { ownerReferences: [owner(parent)], finalizers: ['keep'] }));
      const other = await store.create('sessions', { apiVersion: API, kind: 'Session', metadata: { name: 'other' } });
      await store.create('runs', run('shared', { ownerReferences: [owner(parent), { ...owner(other), controller: false }] }));
      const res = await store.delete('sessions', 'default', 'p');
      expect(res.removed).toBe(true);
      await until(async () => {
        const names = (await store.list('runs')).items.map((o) => o.metadata.name);
        expect(names).toEqual(['c2', 'shared']);
        expect((await store.get('runs', 'default', 'c2')).metadata.deletionTimestamp).toBeDefined();
        expect((await store.get('runs', 'default', 'shared')).metadata.ownerReferences?.map((r) => r.name)).toEqual(['other']);
      });
    });

    it('deletes dependents first with Foreground propagation', async () => {
      const { store } = await fresh();
      const parent = await store.create('sessions', { apiVersion: API, kind: 'Session', metadata: { name: 'p' } });
      await store.create('runs', run('free', { ownerReferences: [owner(parent)] }));
      await store.create('runs', run('held', { ownerReferences: [owner(parent)], finalizers: ['sidekicks.dev/worktree'] }));
      const res = await store.delete('sessions', 'default', 'p', { propagationPolicy: 'Foreground' });
      expect(res.removed).toBe(false);
      expect(res.object.metadata.finalizers).toContain('foregroundDeletion');
      expect(res.object.metadata.deletionTimestamp).toBeDefined();
      await until(async () => {
        expect((await store.list('runs')).items.map((o) => o.metadata.name)).toEqual(['held']);
        expect((await store.get('runs', 'default', 'held')).metadata.deletionTimestamp).toBeDefined();
      });
      const held = await store.get('runs', 'default', 'held');
      expect((await store.get('sessions', 'default', 'p')).metadata.deletionTimestamp).toBeDefined();
      await store.update('runs', { ...held, metadata: { ...held.metadata, finalizers: [] } });
      await until(async () => expect(await rejection(store.get('sessions', 'default', 'p'))).toMatchObject({ reason: 'NotFound' }));
    });

    it('orphans dependents with Orphan propagation', async () => {
      const { store } = await fresh();
      const parent = await store.create('sessions', { apiVersion: API, kind: 'Session', metadata: { name: 'p' } });
      await store.create('runs', run('c', { ownerReferences: [owner(parent)] }));
      const res = await store.delete('sessions', 'default', 'p', { propagationPolicy: 'Orphan' });
      expect(res.removed).toBe(true);
      await store.settle();
      const c = await store.get('runs', 'default', 'c');
      expect(c.metadata.ownerReferences).toBeUndefined();
    });
  });

  describe('dryRun', () => {
    it('computes every write but stores and emits nothing', async () => {
      const { store } = await fresh();
      const a = await store.create('runs', run('a', { finalizers: ['f'] }));
      const rv = await store.currentResourceVersion();
      const w = watch(store, 'runs', { resourceVersion: rv });
      const dry = await store.create('runs', run('b'), { dryRun: true });
      expect(dry.metadata.uid).toBeDefined();
      expect(await rejection(store.create('runs', run('a'), { dryRun: true }))).toMatchObject({ reason: 'AlreadyExists' });
      expect((await store.update('runs', { ...a, spec: { prompt: 'dry' } }, { dryRun: true })).metadata.generation).toBe(2);
      expect((await store.updateStatus('runs', { ...a, status: { phase: 'X' } }, { dryRun: true })).status).toEqual({ phase: 'X' });
      expect((await store.delete('runs', 'default', 'a', { dryRun: true })).object.metadata.deletionTimestamp).toBeDefined();
      expect(await store.currentResourceVersion()).toBe(rv);
      expect(await store.get('runs', 'default', 'a')).toEqual(a);
      expect(await rejection(store.get('runs', 'default', 'b'))).toMatchObject({ reason: 'NotFound' });
      await store.create('runs', run('marker'));
      await until(() => expect(summary(w.events)).toEqual(['ADDED marker']));
    });
  });

  describe('watch', () => {
    it('replays history after a version, then continues live without gap or duplicate', async () => {
      const { store } = await fresh();
      await store.create('runs', run('before'));
      const from = await store.currentResourceVersion();
      const a = await store.create('runs', run('a'));
      await store.update('runs', { ...a, spec: { prompt: 'changed' } });
      await store.create('sessions', { apiVersion: API, kind: 'Session', metadata: { name: 'not-a-run' } });
      const writes = (async () => {
        for (let i = 0; i < 30; i++) await store.create('runs', run(`live-${i}`));
      })();
      const w = watch(store, 'runs', { resourceVersion: from });
      await writes;
      await store.delete('runs', 'default', 'a');
      await until(() => expect(w.events.length).toBe(33));
      expect(summary(w.events).slice(0, 2)).toEqual(['ADDED a', 'MODIFIED a']);
      expect(summary(w.events)[32]).toBe('DELETED a');
      const versions = w.events.map((e) => Number(e.object.metadata.resourceVersion));
      expect([...versions].sort((x, y) => x - y)).toEqual(versions);
      expect(new Set(versions).size).toBe(versions.length);
      expect(new Set(w.events.map((e) => e.object.metadata.name)).size).toBe(31);
    });

    it('starts now for an empty or zero version and filters by namespace', async () => {
      const { store } = await fresh();
      await store.create('runs', run('old'));
      const now = watch(store, 'runs', {});
      const zero = watch(store, 'runs', { resourceVersion: '0', namespace: 'team' });
      await store.create('runs', run('new'));
      await store.create('runs', run('t', { namespace: 'team' }));
      await until(() => expect(summary(now.events)).toEqual(['ADDED new', 'ADDED t']));
      await until(() => expect(summary(zero.events)).toEqual(['ADDED t']));
    });

    it('answers Expired (410) for a version older than the retained history', async () => {
      const { store } = await fresh({ historyLimit: 5 });
      const first = await store.create('runs', run('first'));
      for (let i = 0; i < 10; i++) await store.create('runs', run(`r${i}`));
      let err: unknown;
      try {
        store.watch('runs', { resourceVersion: first.metadata.resourceVersion }, new AbortController().signal);
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ reason: 'Expired', code: 410 });
      expect((err as Error).message).toMatch(new RegExp(`^too old resource version: ${first.metadata.resourceVersion} \\(\\d+\\)$`));
      const recent = String(Number(await store.currentResourceVersion()) - 3);
      const w = watch(store, 'runs', { resourceVersion: recent });
      await until(() => expect(w.events).toHaveLength(3));
    });

    it('ends a watch that falls behind the history with an ERROR event', async () => {
      const { store } = await fresh({ historyLimit: 5 });
      const ac = new AbortController();
      const iterator = store.watch('runs', {}, ac.signal)[Symbol.asyncIterator]();
      for (let i = 0; i < 12; i++) await store.create('runs', run(`r${i}`));
      const first = await iterator.next();
      expect(first.value).toMatchObject({ type: 'ERROR', object: { kind: 'Status', reason: 'Expired', code: 410 } });
      expect((await iterator.next()).done).toBe(true);
    });

    it('answers 410 only for kinds that lost a change to compaction, also after reopening', async () => {
      const { store, loc } = await fresh({ historyLimit: 5 });
      const session = await store.create<KubeObject>('sessions', { apiVersion: API, kind: 'Session', metadata: { name: 'quiet' } });
      const from = session.metadata.resourceVersion as string;
      // A sessions watcher that does not read while the runs flood the ring: it falls behind the
      // ring, but every entry it lost was a run, so it continues.
      const ac = new AbortController();
      const behind = store.watch('sessions', { resourceVersion: from }, ac.signal)[Symbol.asyncIterator]();
      for (let i = 0; i < 70; i++) await store.create('runs', run(`r${i}`));
      // 70 versions crossed a compaction point: the table holds at most the limit plus one interval.
      const [{ n }] = await store.readTransaction((r) => r.execute('SELECT count(*) AS n FROM sk_changes'));
      expect(Number(n)).toBeLessThanOrEqual(5 + 64);
      expect(Number(n)).toBeLessThan(71);
      expect(openError(() => store.watch('runs', { resourceVersion: from }, ac.signal))).toMatchObject({ reason: 'Expired', code: 410 });
      const quiet = await store.update('sessions', { ...session, metadata: { ...session.metadata, labels: { a: 'b' } } });
      expect(await behind.next()).toMatchObject({ value: { type: 'MODIFIED', object: { metadata: { name: 'quiet', resourceVersion: quiet.metadata.resourceVersion } } } });
      ac.abort();
      await store.close();

      // Reopened, the ring holds only the newest runs; the horizons come from the database.
      const again = await loc.open({ historyLimit: 5 });
      opened.push(again);
      expect(openError(() => again.watch('runs', { resourceVersion: from }, new AbortController().signal))).toMatchObject({ reason: 'Expired' });
      const sessions = watch(again, 'sessions', { resourceVersion: from });
      await until(() => expect(summary(sessions.events)).toEqual(['MODIFIED quiet']));
      const recent = String(Number(quiet.metadata.resourceVersion) - 3);
      const runs = watch(again, 'runs', { resourceVersion: recent });
      await until(() => expect(summary(runs.events)).toEqual(['ADDED r68', 'ADDED r69']));
    });

    it('compacts changes older than the retention even below the count, on a timer when idle', async () => {
      // Longer than a write takes to reach the hub (a change compacted before any replica read it
      // is known only by its horizon), short enough for a test.
      const { store, loc } = await fresh({ historyRetentionMs: 500, compactionIntervalMs: 20 });
      const first = await store.create('runs', run('a'));
      await store.create('runs', run('b'));
      const count = async (): Promise<number> => Number((await store.readTransaction((r) => r.execute('SELECT count(*) AS n FROM sk_changes')))[0].n);
      await until(async () => expect(await count()).toBe(0));
      // The running hub still replays from its ring: nothing it holds is lost.
      const live = watch(store, 'runs', { resourceVersion: first.metadata.resourceVersion });
      await until(() => expect(summary(live.events)).toEqual(['ADDED b']));
      await store.close();
      const again = await loc.open();
      opened.push(again);
      expect(openError(() => again.watch('runs', { resourceVersion: first.metadata.resourceVersion }, new AbortController().signal))).toMatchObject({
        reason: 'Expired',
      });
      const sessions = watch(again, 'sessions', { resourceVersion: first.metadata.resourceVersion });
      await again.create('sessions', { apiVersion: API, kind: 'Session', metadata: { name: 's' } });
      await until(() => expect(summary(sessions.events)).toEqual(['ADDED s']));
    });

    it('sends bookmarks carrying the current version', async () => {
      const { store } = await fresh();
      await store.create('runs', run('a'));
      const w = watch(store, 'runs', { allowBookmarks: true, bookmarkIntervalMs: 30 });
      await until(() => expect(w.events.some((e) => e.type === 'BOOKMARK')).toBe(true));
      const bookmark = w.events.find((e) => e.type === 'BOOKMARK') as WatchEvent;
      expect(bookmark.object).toEqual({ apiVersion: API, kind: 'Run', metadata: { resourceVersion: await store.currentResourceVersion() } });
    });

    it('turns selector transitions into ADDED and DELETED', async () => {
      const { store } = await fresh();
      const from = await store.currentResourceVersion();
      const labels = watch(store, 'runs', { labelSelector: 'app=web', resourceVersion: from });
      const fields = watch(store, 'runs', { fieldSelector: 'status.phase=Running' });
      const a = await store.create('runs', run('a', { labels: { app: 'db' } }));
      const a2 = await store.update('runs', { ...a, metadata: { ...a.metadata, labels: { app: 'web' } } });
      const a3 = await store.update('runs', { ...a2, spec: { prompt: 'still web' } });
      const a4 = await store.update('runs', { ...a3, metadata: { ...a3.metadata, labels: { app: 'db' } } });
      await store.delete('runs', 'default', 'a');
      const b = await store.create('runs', run('b'));
      const b2 = await store.updateStatus('runs', { ...b, status: { phase: 'Running' } });
      await store.updateStatus('runs', { ...b2, status: { phase: 'Succeeded' } });
      await until(() => expect(summary(labels.events)).toEqual(['ADDED a', 'MODIFIED a', 'DELETED a']));
      expect(labels.events[2].object.metadata.resourceVersion).toBe(a4.metadata.resourceVersion);
      await until(() => expect(summary(fields.events)).toEqual(['ADDED b', 'DELETED b']));
    });
  });

  describe('durability and extension', () => {
    it('keeps data, versions and watch history across close and reopen', async () => {
      const { store, loc } = await fresh();
      const a = await store.create('runs', run('a'));
      const b = await store.create('runs', run('b'));
      await store.close();
      const again = await loc.open();
      opened.push(again);
      expect(await again.get('runs', 'default', 'a')).toEqual(a);
      expect(await again.currentResourceVersion()).toBe(b.metadata.resourceVersion);
      const w = watch(again, 'runs', { resourceVersion: a.metadata.resourceVersion });
      const c = await again.create('runs', run('c'));
      expect(Number(c.metadata.resourceVersion)).toBeGreaterThan(Number(b.metadata.resourceVersion));
      await until(() => expect(summary(w.events)).toEqual(['ADDED b', 'ADDED c']));
    });

    it('commits extra rows in the same transaction as the object, or neither', async () => {
      const migrations = [
        {
          component: 'contract-test',
          sqlite: [['CREATE TABLE journal (run TEXT NOT NULL, note TEXT NOT NULL)']],
          postgres: [['CREATE TABLE journal (run TEXT NOT NULL, note TEXT NOT NULL)']],
        },
      ];
      const { store } = await fresh({ migrations });
      const insert = (tx: { dialect: string; execute(s: string, p?: unknown[]): Promise<unknown> }, run: string, note: string): Promise<unknown> =>
        tx.execute(tx.dialect === 'sqlite' ? 'INSERT INTO journal (run, note) VALUES (?, ?)' : 'INSERT INTO journal (run, note) VALUES ($1, $2)', [run, note]);
      let committed = false;
      await store.create('runs', run('a'), {
        extraWrites: async (tx, written) => {
          await insert(tx, written.metadata.name as string, 'created');
          tx.afterCommit(() => (committed = true));
        },
      });
      expect(committed).toBe(true);
      const failed = await rejection(
        store.create('runs', run('b'), {
          extraWrites: async (tx) => {
            await insert(tx, 'b', 'created');
            throw new Error('journal refused');
          },
        }),
      );
      expect(failed.message).toBe('journal refused');
      expect(await rejection(store.get('runs', 'default', 'b'))).toMatchObject({ reason: 'NotFound' });
      const rows = await store.transaction((tx) => tx.execute('SELECT run, note FROM journal'));
      expect(rows).toEqual([{ run: 'a', note: 'created' }]);
    });
  });
}

const cleanup: string[] = [];
afterAll(() => {
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

function sqliteLocation(): Location {
  const dir = mkdtempSync(join(tmpdir(), 'sk-store-'));
  cleanup.push(dir);
  const config: StoreConfig = { kind: 'sqlite', path: join(dir, 'home', 'sidekick.db') };
  return { config, open: (opts) => openStore(config, resolver, opts) };
}

describe('Store contract: SQLite', () => {
  storeContract(async () => sqliteLocation());

  it('creates the database directory with mode 0700', async () => {
    const loc = sqliteLocation();
    const store = await loc.open();
    await store.close();
    const dir = join((loc.config as { path: string }).path, '..');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  // A real kill -9 needs a child process running the store, which needs compiled code that the
  // tests do not have. Instead: copy the database and its WAL byte for byte while the store is
  // open (no checkpoint, no close — what a killed process leaves behind) and open the copy.
  it('keeps acknowledged writes in the WAL as a killed process would leave them', async () => {
    const loc = sqliteLocation();
    const store = await loc.open();
    for (let i = 0; i < 50; i++) await store.create('runs', run(`r${i}`));
    const path = (loc.config as { path: string }).path;
    expect(existsSync(`${path}-wal`)).toBe(true);
    const copy = join(path, '..', 'copy.db');
    copyFileSync(path, copy);
    copyFileSync(`${path}-wal`, `${copy}-wal`);
    const rv = await store.currentResourceVersion();
    const reopened = await openStore({ kind: 'sqlite', path: copy }, resolver);
    try {
      expect((await reopened.list('runs')).items).toHaveLength(50);
      expect(await reopened.currentResourceVersion()).toBe(rv);
    } finally {
      await reopened.close();
      await store.close();
    }
  });
});

describeWithPostgres('Store contract: Postgres', (getUrl) => {
  const databases: string[] = [];
  const adminQuery = (text: string): Promise<void> => pgAdmin(getUrl(), text);
  async function postgresLocation(): Promise<Location> {
    const name = `${new URL(getUrl()).pathname.slice(1)}_${databases.length}`;
    await adminQuery(`CREATE DATABASE ${name}`);
    databases.push(name);
    const u = new URL(getUrl());
    u.pathname = `/${name}`;
    const config: StoreConfig = { kind: 'postgres', url: u.toString() };
    return { config, open: (opts) => openStore(config, resolver, opts) };
  }
  afterAll(async () => {
    for (const name of databases) await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  storeContract(postgresLocation);

  it('delivers commits of another store instance on the same database to watchers', async () => {
    const loc = await postgresLocation();
    const a = await loc.open();
    const b = await loc.open();
    try {
      const from = await a.currentResourceVersion();
      const ac = new AbortController();
      const events: WatchEvent[] = [];
      const consumer = (async () => {
        for await (const e of a.watch('runs', { resourceVersion: from }, ac.signal)) events.push(e);
      })();
      await b.create('runs', run('from-b'));
      const x = await a.create('runs', run('from-a'));
      await b.update('runs', { ...(await b.get('runs', 'default', 'from-b')), spec: { prompt: 'b2' } });
      await b.delete('runs', 'default', x.metadata.name as string);
      await until(() => expect(summary(events)).toEqual(['ADDED from-b', 'ADDED from-a', 'MODIFIED from-b', 'DELETED from-a']));
      ac.abort();
      await consumer;
    } finally {
      await a.close();
      await b.close();
    }
  });
});
