/**
 * The run-create check over its counted index, against the real SQLite store: creates are counted
 * without listing the session's runs each time, a refusal is made on the store's word, another
 * writer's changes arrive through the watch, and a new checker (a restart) counts what is stored.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../store/open-store.js';
import { schemeResolver } from '../store/scheme-resolver.js';
import type { ObjectStore } from '../store/object-store.js';
import type { Store } from '../store/store.js';
import { scheme } from '../../resources/index.js';
import type { Run } from '../../resources/kinds/run.js';
import type { KubeObject } from '../../resources/meta.js';
import { isReason } from '../errors.js';
import { eventually } from '../../test/eventually.js';
import { KeyedLock } from '../keyed-lock.js';
import { RunLimits } from './run-limits.js';

const apiVersion = 'sidekicks.dev/v1alpha1';
const ns = 'default';
let dir: string | undefined;
let store: ObjectStore | undefined;
const stop = new AbortController();
afterEach(async () => {
  stop.abort();
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function run(name: string, parent?: string): Run {
  return { apiVersion, kind: 'Run', metadata: { name, namespace: ns }, spec: { session: 's', agent: 'a', prompt: 'go', ...(parent ? { parent } : {}) } } as Run;
}

/** The store, counting how often the runs are listed. */
function counting(s: Store): { store: Store; lists: () => number } {
  let lists = 0;
  const proxy = new Proxy(s, {
    get(target, prop, receiver) {
      if (prop === 'list') return (plural: string, opts?: object) => ((lists += plural === 'runs' ? 1 : 0), target.list(plural, opts));
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: proxy, lists: () => lists };
}

async function refusal(check: Promise<void>): Promise<string> {
  try {
    await check;
  } catch (err) {
    expect(isReason(err, 'Forbidden')).toBe(true);
    return (err as Error).message;
  }
  throw new Error('the create was not refused');
}

describe('RunLimits', () => {
  it('counts a session’s runs from one list and its watch, refuses on the store’s word, and counts again after a restart', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sk-run-limits-'));
    const s = (store = await openStore({ kind: 'sqlite', path: join(dir, 'db') }, schemeResolver(scheme), {}));
    await s.create('sessions', { apiVersion, kind: 'Session', metadata: { name: 's', namespace: ns }, spec: { limits: { maxActiveRuns: 1, maxQueuedRuns: 2 } } } as KubeObject);
    const { store: watched, lists } = counting(s);
    const limits = new RunLimits(watched, stop.signal);
    const create = async (r: Run): Promise<Run> => {
      await limits.check(r);
      const created = await s.create<Run>('runs', r);
      limits.created(created);
      return created;
    };

    const first = await create(run('r1'));
    await create(run('r2'));
    await create(run('r3'));
    expect(lists()).toBe(1);
    expect(await refusal(limits.check(run('r4')))).toContain('already has 3 unfinished runs (limits.maxActiveRuns 1 + limits.maxQueuedRuns 2)');
    expect(lists()).toBe(2);

    // Another writer ends a run: the next create is taken.
    await s.updateStatus('runs', { ...first, status: { phase: 'Completed' } });
    await create(run('r4'));
    // Another writer's run is counted through the watch.
    await s.create('runs', run('r5'));
    await eventually(async () => (await refusal(limits.check(run('r6')))).includes('already has 4 unfinished runs'));

    // A restarted service counts what is stored; delegation rules hold on the same index.
    const restarted = new RunLimits(s, stop.signal);
    expect(await refusal(restarted.check(run('r6')))).toContain('already has 4 unfinished runs');
    await s.updateStatus('runs', { ...(await s.get<Run>('runs', ns, 'r5')), status: { phase: 'Failed' } });
    await s.updateStatus('runs', { ...(await s.get<Run>('runs', ns, 'r4')), status: { phase: 'Failed' } });
    expect(await refusal(restarted.check(run('child', 'missing')))).toContain('spec.parent: run "missing" is not a run of session "s"');
    await eventually(() => restarted.check(run('child', 'r2')).then(() => true));
  });

  it('holds a place for each create under way, so creates stored at once never pass the limit', async () => {
    dir = mkdtempSync(join(tmpdir(), 'sk-run-limits-'));
    const s = (store = await openStore({ kind: 'sqlite', path: join(dir, 'db') }, schemeResolver(scheme), {}));
    await s.create('sessions', { apiVersion, kind: 'Session', metadata: { name: 's', namespace: ns }, spec: { limits: { maxActiveRuns: 1, maxQueuedRuns: 2 } } } as KubeObject);
    const limits = new RunLimits(s, stop.signal);
    const lock = new KeyedLock();
    // As the service does: the check and the place it holds one at a time, the writes together.
    const create = async (r: Run): Promise<string> => {
      const release = await lock.run('s', () => limits.admit(r));
      try {
        limits.created(await s.create<Run>('runs', r));
        return 'stored';
      } finally {
        release();
      }
    };
    const outcomes = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((n) => create(run(n)).catch((err: Error) => (isReason(err, 'Forbidden') ? 'refused' : err.message))));
    expect(outcomes).toEqual(['stored', 'stored', 'stored', 'refused', 'refused']);
    expect((await s.list('runs', { namespace: ns })).items).toHaveLength(3);
  });
});
