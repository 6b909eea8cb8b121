import { describe, it, expect } from '@jest/globals';
import { WorkQueue } from './workqueue.js';
import { ManualClock } from './clock.js';
import { MAX_TIMER_MS } from '../../api/timers.js';
import { Controller, TerminalError, type ObjectKey } from './controller.js';
import { eventually } from '../../test/eventually.js';

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
