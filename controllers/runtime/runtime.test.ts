import { describe, it, expect } from '@jest/globals';
import { WorkQueue } from './workqueue.js';
import { ManualClock } from './clock.js';
import { MAX_TIMER_MS } from '../../api/timers.js';
import { Controller, TerminalError, type ObjectKey } from './controller.js';
import { eventually } from '../../test/eventually.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../api/store/open-store.js';
import { schemeResolver } from '../../api/store/scheme-resolver.js';
import { scheme } from '../../resources/index.js';
import type { KubeObject } from '../../resources/meta.js';
import { Informers, controllerFor } from './builder.js';

describe('WorkQueue', () => {
  it('folds duplicate adds of a waiting key into one', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
  });

  it('re-queues a key added while it was processing, once, after done', async () => {
    const q = new WorkQueue();
    q.add('a');
    const key = await q.get();
    q.add('a');
    q.add('a');
    expect(q.length).toBe(0);
    q.done(key!);
    expect(q.length).toBe(1);
  });

  it('schedules a look further away than a timer can wait at the timer limit, never at once', () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock });
    q.addAfter('far', 2_147_484 * 1000); // timeoutSeconds: 2,147,484
    clock.advance(1);
    expect(q.length).toBe(0);
    clock.advance(MAX_TIMER_MS - 2);
    expect(q.length).toBe(0);
    clock.advance(1);
    expect(q.length).toBe(1);
  });

  it('backs off exponentially per key and forgets on success', () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ baseDelayMs: 10, clock });
    q.addRateLimited('a'); // 10 ms
    clock.advance(9);
    expect(q.length).toBe(0);
    clock.advance(1);
    expect(q.length).toBe(1);
    q.addRateLimited('b'); // 10 ms
    q.addRateLimited('b'); // would be 20 ms; the earlier schedule wins
    expect(q.retries('b')).toBe(2);
    q.forget('b');
    expect(q.retries('b')).toBe(0);
  });

  it('addAfter keeps the earliest schedule', () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 100);
    q.addAfter('a', 50);
    clock.advance(50);
    expect(q.length).toBe(1);
  });

  it('shutdown releases waiting workers', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.shutdown();
    expect(await waiting).toBeUndefined();
  });
});

describe('Controller', () => {
  it('reads the three outcomes: success forgets, requeueAfter looks again, errors back off, terminal errors stop', async () => {
    const calls: string[] = [];
    let failuresLeft = 2;
    const logs: string[] = [];
    const reconciler = {
      async reconcile(key: ObjectKey) {
        calls.push(key.name);
        if (key.name === 'flaky' && failuresLeft-- > 0) throw new Error('transient');
        if (key.name === 'bad') throw new TerminalError('spec.agent: required');
        if (key.name === 'again' && calls.filter((c) => c === 'again').length < 3) return { requeueAfterMs: 1 };
        return {};
      },
    };
    const c = new Controller(reconciler, { name: 'test', baseDelayMs: 1, log: (l) => logs.push(l) });
    const ac = new AbortController();
    const running = c.start(ac.signal);
    c.enqueue('default/flaky');
    c.enqueue('default/bad');
    c.enqueue('default/again');
    await eventually(() => calls.filter((x) => x === 'flaky').length === 3 && calls.filter((x) => x === 'again').length === 3);
    expect(calls.filter((x) => x === 'bad')).toHaveLength(1);
    expect(logs.some((l) => l.includes('spec.agent: required (not retried)'))).toBe(true);
    expect(c.queue.retries('default/flaky')).toBe(0);
    ac.abort();
    await running;
  });

  it('never runs the same key on two workers at once', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const reconciler = {
      async reconcile() {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((r) => setImmediate(r));
        active--;
        runs++;
        return {};
      },
    };
    const c = new Controller(reconciler, { name: 'test', workers: 4 });
    const ac = new AbortController();
    const running = c.start(ac.signal);
    for (let i = 0; i < 20; i++) c.enqueue('default/same');
    await eventually(() => runs >= 1 && c.queue.length === 0 && active === 0);
    expect(maxActive).toBe(1);
    ac.abort();
    await running;
  });
});

describe('controllerFor', () => {
  it('starts after its caches sync, and wakes its own keys the filter lets through, the owner of a child, and the keys a watch maps to', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sk-builder-'));
    const store = await openStore({ kind: 'sqlite', path: join(dir, 'db') }, schemeResolver(scheme), {});
    const stop = new AbortController();
    try {
      const apiVersion = 'sidekicks.dev/v1alpha1';
      const session = await store.create<KubeObject>('sessions', { apiVersion, kind: 'Session', metadata: { name: 'own', namespace: 'd' }, spec: {} } as KubeObject);
      const seen: string[] = [];
      const informers = new Informers(store);
      const controller = controllerFor<KubeObject>('Session', 'sessions', informers)
        .when((c) => c.type === 'add')
        .owns<KubeObject>('channels')
        .watches<KubeObject>('agents', (c) => (c.type === 'add' ? [`d/for-${c.obj.metadata.name}`] : []))
        .reconcile({
          reconcile: async (key: ObjectKey) => {
            seen.push(`${key.namespace}/${key.name}`);
            return {};
          },
        });
      for (const r of [...informers.runnables(), controller]) void r.start(stop.signal);
      // The initial list wakes the session itself (an add), once the caches have synced.
      await eventually(() => seen.includes('d/own'));
      await store.updateStatus('sessions', { ...session, status: { phase: 'Active' } });
      await store.create('sessions', { apiVersion, kind: 'Session', metadata: { name: 'later', namespace: 'd' }, spec: {} } as KubeObject);
      // One watch delivers in order: once the later session is seen, the status update was, and filtered out.
      await eventually(() => seen.includes('d/later'));
      expect(seen.filter((k) => k === 'd/own')).toHaveLength(1);
      const owner = { apiVersion, kind: 'Session', name: 'parent', uid: session.metadata.uid!, controller: true };
      await store.create('channels', { apiVersion, kind: 'Channel', metadata: { name: 'c', namespace: 'd', ownerReferences: [owner] }, spec: { session: 'own' } } as KubeObject);
      await eventually(() => seen.includes('d/parent'));
      await store.create('agents', { apiVersion, kind: 'Agent', metadata: { name: 'x', namespace: 'd' }, spec: { driver: 'Scripted' } } as KubeObject);
      await eventually(() => seen.includes('d/for-x'));
    } finally {
      stop.abort();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
