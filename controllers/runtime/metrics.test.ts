/** What the work queue and the controller loop report to their metrics sinks (../../api/metrics.ts). */
import { describe, expect, it } from '@jest/globals';
import type { ControllerMetrics, QueueMetrics, ReconcileResult } from '../../api/metrics.js';
import { eventually } from '../../test/eventually.js';
import { ManualClock } from './clock.js';
import { Controller, TerminalError } from './controller.js';
import { WorkQueue } from './workqueue.js';

/** A sink that remembers what it was told. */
class Recorded implements QueueMetrics {
  adds = 0;
  retries = 0;
  depths: number[] = [];
  waits: number[] = [];
  works: number[] = [];
  added(): void {
    this.adds++;
  }
  depth(n: number): void {
    this.depths.push(n);
  }
  queued(seconds: number): void {
    this.waits.push(seconds);
  }
  worked(seconds: number): void {
    this.works.push(seconds);
  }
  retried(): void {
    this.retries++;
  }
}

describe('WorkQueue metrics', () => {
  it('counts each add once, tracks depth, and measures wait and work time on its clock', async () => {
    const clock = new ManualClock();
    const m = new Recorded();
    const q = new WorkQueue({ clock, metrics: m });
    q.add('a');
    q.add('a'); // already waiting: not another add
    q.add('b');
    expect([m.adds, m.depths.at(-1)]).toEqual([2, 2]);

    clock.advance(250);
    expect(await q.get()).toBe('a');
    expect([m.waits, m.depths.at(-1)]).toEqual([[0.25], 1]);

    q.add('a'); // while processing: one more pass, counted now
    q.add('a');
    expect(m.adds).toBe(3);
    clock.advance(100);
    q.done('a');
    expect(m.works).toEqual([0.1]);
    expect(m.depths.at(-1)).toBe(2); // back on the queue behind b, without another add
    expect(m.adds).toBe(3);

    q.addRateLimited('c');
    expect(m.retries).toBe(1);
  });
});

describe('Controller metrics', () => {
  it('reports each pass with its result, and the queue under the controller name', async () => {
    const passes: { controller: string; result: ReconcileResult }[] = [];
    const queues: string[] = [];
    const recorded = new Recorded();
    let active = 0;
    const metrics: ControllerMetrics = {
      reconciled: (controller, result) => void passes.push({ controller, result }),
      activeWorkers: (_controller, delta) => void (active += delta),
      queue: (name) => (queues.push(name), recorded),
    };
    const answers: (() => unknown)[] = [
      () => {
        throw new Error('not yet');
      },
      () => ({ requeueAfterMs: 60_000 }),
      () => {
        throw new TerminalError('bad spec');
      },
      () => undefined,
    ];
    const controller = new Controller({ reconcile: async () => answers.shift()!() as undefined }, { name: 'thing-controller', workers: 1, baseDelayMs: 1, metrics });
    const ctl = new AbortController();
    const running = controller.start(ctl.signal);
    controller.enqueue('default/x');
    await eventually(() => passes.length === 2);
    controller.enqueue('default/y');
    await eventually(() => passes.length === 3);
    controller.enqueue('default/z');
    await eventually(() => passes.length === 4);
    ctl.abort();
    await running;
    expect(queues).toEqual(['thing-controller']);
    expect(passes).toEqual([
      { controller: 'thing-controller', result: 'error' },
      { controller: 'thing-controller', result: 'requeue_after' },
      { controller: 'thing-controller', result: 'error' },
      { controller: 'thing-controller', result: 'success' },
    ]);
    expect(recorded.retries).toBe(1);
    expect(active).toBe(0);
  });
});
