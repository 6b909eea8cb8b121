import { describe, expect, it } from '@jest/globals';
import { eventually } from '../../test/eventually.js';
import { ManualClock } from '../runtime/clock.js';
import { backoffMs, Deliveries, type DeliveryResult } from './delivery.js';
import type { Notification } from './notifications.js';
import { DeliveryError, type Transport } from './transports.js';

const note = (id: string): Notification => ({
  key: `${id}/ApprovalRequested`,
  event: 'ApprovalRequested',
  namespace: 'default',
  session: 's',
  object: `approval/${id}`,
  approval: id,
  summary: 'x',
  command: `sidekick approve ${id}`,
  time: '2026-01-01T12:00:00Z',
});

/** A transport whose attempts are scripted: each call takes the next behaviour; records when it was called. */
function scripted(clock: ManualClock, behaviours: ('ok' | 'fail' | 'permanent' | 'hang')[]): Transport & { calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    describe: 'fake',
    send: async () => {
      calls.push(clock.now());
      const b = behaviours[Math.min(calls.length - 1, behaviours.length - 1)];
      if (b === 'fail') throw new DeliveryError('HTTP 503');
      if (b === 'permanent') throw new DeliveryError('HTTP 404', true);
      // Ignores its signal on purpose: the queue's own timeout must end it.
      if (b === 'hang') await new Promise(() => undefined);
    },
  };
}

/** A manual clock that remembers the delays it was asked for, so a test steps it only once a wait is scheduled. */
class TrackingClock extends ManualClock {
  readonly delays: number[] = [];
  override setTimeout(fn: () => void, ms: number): () => void {
    this.delays.push(ms);
    return super.setTimeout(fn, ms);
  }
}

function harness(opts: { capacity?: number; concurrency?: number } = {}) {
  const clock = new TrackingClock();
  const settled: (DeliveryResult & { sink: string })[] = [];
  const deliveries = new Deliveries({ clock, onSettled: async (sink, r) => void settled.push({ ...r, sink }), ...opts });
  /** Advances the clock by `ms` once the queue has made `calls` attempts and scheduled a wait of `ms` after the last. */
  const stepAfter = async (t: { calls: number[] }, calls: number, ms: number) => {
    await eventually(() => t.calls.length === calls && clock.delays[clock.delays.length - 1] === ms);
    clock.advance(ms);
  };
  return { clock, settled, deliveries, stepAfter };
}

describe('Deliveries', () => {
  it('backs off 0.5 s, 1 s, 2 s …', () => {
    expect([1, 2, 3, 4, 5, 8, 20].map(backoffMs)).toEqual([500, 1000, 2000, 4000, 8000, 30_000, 30_000]);
  });

  it('retries a failing receiver on the backoff schedule and records the attempt that got through', async () => {
    const { clock, settled, deliveries, stepAfter } = harness();
    const t = scripted(clock, ['fail', 'fail', 'ok']);
    const t0 = clock.now();
    expect(deliveries.offer('ns/a', note('a1'), t, { maxAttempts: 5, timeoutMs: 10_000 })).toBe(true);
    await stepAfter(t, 1, 500);
    await stepAfter(t, 2, 1000);
    await eventually(() => settled.length === 1);
    expect(t.calls.map((c) => c - t0)).toEqual([0, 500, 1500]);
    expect(settled[0]).toMatchObject({ sink: 'ns/a', outcome: 'Delivered', attempts: 3 });
    expect(deliveries.busy('ns/a').size).toBe(0);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const { clock, settled, deliveries, stepAfter } = harness();
    const t = scripted(clock, ['fail']);
    const t0 = clock.now();
    deliveries.offer('ns/a', note('a1'), t, { maxAttempts: 4, timeoutMs: 10_000 });
    await stepAfter(t, 1, 500);
    await stepAfter(t, 2, 1000);
    await stepAfter(t, 3, 2000);
    await eventually(() => settled.length === 1);
    expect(t.calls.map((c) => c - t0)).toEqual([0, 500, 1500, 3500]);
    expect(settled[0]).toMatchObject({ outcome: 'Failed', attempts: 4, error: 'HTTP 503' });
  });

  it('does not retry a permanent failure', async () => {
    const { clock, settled, deliveries } = harness();
    const t = scripted(clock, ['permanent', 'ok']);
    deliveries.offer('ns/a', note('a1'), t, { maxAttempts: 5, timeoutMs: 10_000 });
    await eventually(() => settled.length === 1);
    expect(settled[0]).toMatchObject({ outcome: 'Failed', attempts: 1, error: 'HTTP 404' });
  });

  it('cuts a hanging attempt off at the timeout, and a hanging sink holds up no other sink', async () => {
    const { clock, settled, deliveries, stepAfter } = harness();
    const hanging = scripted(clock, ['hang']);
    const fine = scripted(clock, ['ok']);
    deliveries.offer('ns/slow', note('a1'), hanging, { maxAttempts: 1, timeoutMs: 5000 });
    deliveries.offer('ns/fast', note('a1'), fine, { maxAttempts: 1, timeoutMs: 5000 });
    await eventually(() => settled.length === 1);
    expect(settled[0]).toMatchObject({ sink: 'ns/fast', outcome: 'Delivered' });
    expect(deliveries.busy('ns/slow')).toEqual(new Set(['a1/ApprovalRequested']));
    await stepAfter(hanging, 1, 5000);
    await eventually(() => settled.length === 2);
    expect(settled[1]).toMatchObject({ sink: 'ns/slow', outcome: 'Failed', attempts: 1, error: 'timed out after 5000 ms' });
  });

  it('holds at most `capacity` per sink, and takes a busy notification once', async () => {
    const { clock, deliveries } = harness({ capacity: 2, concurrency: 1 });
    const t = scripted(clock, ['hang']);
    const policy = { maxAttempts: 1, timeoutMs: 60_000 };
    expect(deliveries.offer('ns/a', note('a1'), t, policy)).toBe(true);
    expect(deliveries.offer('ns/a', note('a1'), t, policy)).toBe(true);
    expect(deliveries.offer('ns/a', note('a2'), t, policy)).toBe(true);
    expect(deliveries.offer('ns/a', note('a3'), t, policy)).toBe(false);
    expect(deliveries.busy('ns/a')).toEqual(new Set(['a1/ApprovalRequested', 'a2/ApprovalRequested']));
    // One at a time (concurrency 1): a2 waits behind the hanging a1.
    await eventually(() => t.calls.length === 1);
    deliveries.stop();
    await deliveries.idle();
  });

  it('records nothing for a sink it was told to forget', async () => {
    const { clock, settled, deliveries } = harness();
    const t = scripted(clock, ['fail']);
    deliveries.offer('ns/a', note('a1'), t, { maxAttempts: 3, timeoutMs: 10_000 });
    await eventually(() => t.calls.length === 1);
    deliveries.forget('ns/a');
    await deliveries.idle();
    clock.advance(60_000);
    expect(settled).toEqual([]);
    expect(t.calls).toHaveLength(1);
  });
});
