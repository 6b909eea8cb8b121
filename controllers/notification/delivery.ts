/**
 * Deliveries: one bounded queue per sink, drained in the background so that no delivery ever
 * blocks a run, the reconcile loop or another sink. Each notification gets up to `maxAttempts`
 * attempts, each cut off after `timeoutMs`, waiting 0.5 s, 1 s, 2 s … (capped at 30 s) between
 * them; a permanent failure (a 4xx) stops early. The outcome is handed to `onSettled` (which
 * records it in the sink's status) before the notification stops counting as busy, so a pass that
 * looks at `busy()` first and reads the status after never offers the same one twice.
 */
import type { Clock } from '../runtime/clock.js';
import type { DeliveryOutcome } from '../../resources/kinds/notificationsink.js';
import type { Notification } from './notifications.js';
import { DeliveryError, type Transport } from './transports.js';

/** How a finished notification went. */
export interface DeliveryResult {
  notification: Notification;
  outcome: DeliveryOutcome;
  attempts: number;
  error?: string;
  /** When it finished (clock ms). */
  at: number;
}

/** How hard to try, from the sink's spec. */
export interface RetryPolicy {
  maxAttempts: number;
  timeoutMs: number;
}

export interface DeliveriesOptions {
  clock: Clock;
  /** Records an outcome (the sink's status, a Warning Event); awaited before the key stops being busy. */
  onSettled(sink: string, result: DeliveryResult): Promise<void>;
  /** Notifications a sink holds at once, queued or in flight (default 256); past it, offer() says no. */
  capacity?: number;
  /** Notifications a sink sends at once (default 4), so one hanging receiver holds up few. */
  concurrency?: number;
  log?: (line: string) => void;
}

/** The wait after failed attempt `attempt` (1-based): 0.5 s, 1 s, 2 s … capped at 30 s. */
export function backoffMs(attempt: number): number {
  return Math.min(500 * 2 ** (attempt - 1), 30_000);
}

interface Job {
  n: Notification;
  transport: Transport;
  policy: RetryPolicy;
}

/** The queue of one sink. */
class SinkQueue {
  readonly busy = new Set<string>();
  readonly waiting: Job[] = [];
  active = 0;
  readonly abort = new AbortController();
}

export class Deliveries {
  private readonly sinks = new Map<string, SinkQueue>();
  private readonly capacity: number;
  private readonly concurrency: number;
  private readonly log: (line: string) => void;
  private stopped = false;
  private running = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly o: DeliveriesOptions) {
    this.capacity = o.capacity ?? 256;
    this.concurrency = o.concurrency ?? 4;
    this.log = o.log ?? (() => undefined);
  }

  /** The keys of a sink's notifications queued or in flight (a copy). */
  busy(sink: string): ReadonlySet<string> {
    return new Set(this.sinks.get(sink)?.busy ?? []);
  }

  /**
   * Queues a notification for a sink unless it is busy already; false when the sink's queue is
   * full (the caller offers it again on a later pass, once a delivery has finished) or stopped.
   */
  offer(sink: string, n: Notification, transport: Transport, policy: RetryPolicy): boolean {
    if (this.stopped) return false;
    let q = this.sinks.get(sink);
    if (!q) this.sinks.set(sink, (q = new SinkQueue()));
    if (q.busy.has(n.key)) return true;
    if (q.busy.size >= this.capacity) return false;
    q.busy.add(n.key);
    q.waiting.push({ n, transport, policy });
    this.pump(sink, q);
    return true;
  }

  /** Drops a sink's queue and aborts its deliveries (the sink was deleted); their outcomes are not recorded. */
  forget(sink: string): void {
    const q = this.sinks.get(sink);
    if (!q) return;
    this.sinks.delete(sink);
    q.abort.abort();
  }

  /** Aborts every delivery and refuses new ones (the daemon stops). */
  stop(): void {
    this.stopped = true;
    for (const sink of [...this.sinks.keys()]) this.forget(sink);
  }

  /** Resolves once nothing is queued or in flight (tests). */
  idle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private pump(sink: string, q: SinkQueue): void {
    while (q.active < this.concurrency && q.waiting.length > 0) {
      const job = q.waiting.shift()!;
      q.active++;
      this.running++;
      void this.deliver(sink, q, job)
        .catch((err: unknown) => this.log(`notifications: ${sink}: ${(err as Error).message}`))
        .finally(() => {
          q.busy.delete(job.n.key);
          q.active--;
          this.running--;
          if (this.sinks.get(sink) === q) this.pump(sink, q);
          if (this.running === 0) for (const w of this.idleWaiters.splice(0)) w();
        });
    }
  }

  private async deliver(sink: string, q: SinkQueue, job: Job): Promise<void> {
    let error = '';
    let attempts = 0;
    while (attempts < job.policy.maxAttempts && !q.abort.signal.aborted) {
      attempts++;
      try {
        await this.attempt(job, q.abort.signal);
        await this.o.onSettled(sink, { notification: job.n, outcome: 'Delivered', attempts, at: this.o.clock.now() });
        return;
      } catch (err) {
        error = (err as Error).message;
        if (err instanceof DeliveryError && err.permanent) break;
      }
      if (attempts < job.policy.maxAttempts) await this.sleep(backoffMs(attempts), q.abort.signal);
    }
    // Deleted sink or stopping daemon: nothing to record, and a restart offers it again.
    if (q.abort.signal.aborted) return;
    await this.o.onSettled(sink, { notification: job.n, outcome: 'Failed', attempts, error, at: this.o.clock.now() });
  }

  /** One attempt, cut off after the policy's timeout (on the clock, so tests can step it). */
  private async attempt(job: Job, sinkSignal: AbortSignal): Promise<void> {
    if (sinkSignal.aborted) throw new Error('aborted');
    const ac = new AbortController();
    const onAbort = (): void => ac.abort(sinkSignal.reason);
    sinkSignal.addEventListener('abort', onAbort, { once: true });
    let cancelTimer = (): void => undefined;
    const timedOut = new Promise<never>((_, reject) => {
      cancelTimer = this.o.clock.setTimeout(() => {
        const err = new DeliveryError(`timed out after ${job.policy.timeoutMs} ms`);
        ac.abort(err);
        reject(err);
      }, job.policy.timeoutMs);
    });
    const aborted = new Promise<never>((_, reject) => ac.signal.addEventListener('abort', () => reject(ac.signal.reason instanceof Error ? ac.signal.reason : new Error('aborted')), { once: true }));
    const sent = job.transport.send(job.n, ac.signal);
    // The losers of the race settle later (a fetch rejects once aborted): they are not errors.
    for (const p of [sent, timedOut, aborted]) p.catch(() => undefined);
    try {
      // A transport that ignores its signal still cannot hold the queue past the timeout.
      await Promise.race([sent, timedOut, aborted]);
    } finally {
      cancelTimer();
      sinkSignal.removeEventListener('abort', onAbort);
    }
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const cancel = this.o.clock.setTimeout(resolve, ms);
      signal.addEventListener('abort', () => {
        cancel();
        resolve();
      }, { once: true });
    });
  }
}
