/**
 * A rate-limited work queue in the controller-runtime style: a key is processed by one worker at
 * a time, re-adds while it is processing are folded into one more pass, failures back off
 * exponentially per key, and `addAfter` schedules a later look.
 */
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import { timerDelay } from '../../api/timers.js';
import type { QueueMetrics } from '../../api/metrics.js';

export interface WorkQueueOptions {
  /** First backoff after a failure (doubles per consecutive failure of the same key). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  clock?: Clock;
  /** Receives depth, adds, wait and work times, retries (client-go's workqueue metrics). */
  metrics?: QueueMetrics;
}

/** A de-duplicating queue of string keys. */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  /** Keys re-added while processing: they go back on the queue when `done` is called. */
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; cancel: () => void }>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private shuttingDown = false;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly clock: Clock;
  private readonly metrics?: QueueMetrics;
  /** When each waiting key was added, and when each processing key was handed out (only with metrics). */
  private readonly addedAt = new Map<string, number>();
  private readonly startedAt = new Map<string, number>();

  constructor(opts: WorkQueueOptions = {}) {
    this.baseDelayMs = opts.baseDelayMs ?? 5;
    this.maxDelayMs = opts.maxDelayMs ?? 60_000;
    this.clock = opts.clock ?? systemClock;
    this.metrics = opts.metrics;
  }

  /** Adds a key now (no-op when it is already waiting). */
  add(key: string): void {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      if (!this.dirty.has(key)) this.noteAdded(key);
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.noteAdded(key);
    this.enqueue(key);
  }

  /** Puts a key on the queue, or straight into the hands of a waiting worker. */
  private enqueue(key: string): void {
    this.queued.add(key);
    const waiter = this.waiters.shift();
    if (waiter) {
      this.queued.delete(key);
      this.handOut(key);
      waiter(key);
      return;
    }
    this.queue.push(key);
    this.metrics?.depth(this.queue.length);
  }

  private noteAdded(key: string): void {
    if (!this.metrics) return;
    this.metrics.added();
    if (!this.addedAt.has(key)) this.addedAt.set(key, this.clock.now());
  }

  /** Marks a key processing, and measures how long it waited. */
  private handOut(key: string): void {
    this.processing.add(key);
    if (!this.metrics) return;
    const now = this.clock.now();
    this.metrics.queued((now - (this.addedAt.get(key) ?? now)) / 1000);
    this.addedAt.delete(key);
    this.startedAt.set(key, now);
  }

  /**
   * Adds a key after a delay; an earlier pending schedule for the key wins. A delay beyond what a
   * timer can wait (a timeout or expiry weeks away) is looked at again at that limit.
   */
  addAfter(key: string, requestedMs: number): void {
    if (this.shuttingDown) return;
    const delayMs = timerDelay(requestedMs);
    if (delayMs <= 0) return this.add(key);
    const at = this.clock.now() + delayMs;
    const existing = this.timers.get(key);
    if (existing && existing.at <= at) return;
    existing?.cancel();
    const cancel = this.clock.setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, delayMs);
    this.timers.set(key, { at, cancel });
  }

  /** Re-adds a key after its per-key exponential backoff. */
  addRateLimited(key: string): void {
    this.metrics?.retried();
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    this.addAfter(key, Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (n - 1)));
  }

  /** Clears the backoff history of a key (after a successful pass). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Number of consecutive failures recorded for a key. */
  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Waits for the next key; resolves undefined once the queue shuts down. */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.queued.delete(key);
      this.metrics?.depth(this.queue.length);
      this.handOut(key);
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks a key processed; a key re-added meanwhile goes back on the queue. */
  done(key: string): void {
    this.processing.delete(key);
    const started = this.startedAt.get(key);
    if (started !== undefined) {
      this.startedAt.delete(key);
      this.metrics?.worked((this.clock.now() - started) / 1000);
    }
    // A key re-added while processing was counted as added then; it goes back on the queue now.
    if (this.dirty.delete(key) && !this.shuttingDown) this.enqueue(key);
  }

  get length(): number {
    return this.queue.length;
  }

  /** Stops handing out keys and cancels scheduled adds. */
  shutdown(): void {
    this.shuttingDown = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }
}
