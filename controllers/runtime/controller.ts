/**
 * The level-based reconciler contract and the loop that drives it. A reconciler gets only a key,
 * never the event that woke it. The three outcomes are read here and nowhere else: success forgets
 * the key, `requeueAfterMs` looks again later, a thrown error retries with per-key backoff — unless
 * it is a TerminalError (a bad spec), which is logged and not retried.
 */
import { performance } from 'node:perf_hooks';
import { ReconcileResult, type ControllerMetrics } from '../../api/metrics.js';
import { WorkQueue, type WorkQueueOptions } from './workqueue.js';
import { splitKey } from './informer.js';
import type { Runnable } from './manager.js';

export interface ObjectKey {
  namespace: string;
  name: string;
}

export interface Result {
  requeueAfterMs?: number;
}

export interface Reconciler {
  reconcile(key: ObjectKey, signal: AbortSignal): Promise<Result | void>;
}

/** An error no retry can fix (the reconciler records a Stalled/Degraded condition first). */
export class TerminalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TerminalError';
  }
}

export interface ControllerOptions extends Omit<WorkQueueOptions, 'metrics'> {
  name: string;
  /** Receives every pass's result and duration, and the queue's measurements (named after the controller). */
  metrics?: ControllerMetrics;
  workers?: number;
  log?: (line: string) => void;
  /**
   * Resolves once the informers the reconciler reads have listed (controller-runtime's
   * WaitForCacheSync): workers start after it, so no pass decides on a half-filled cache.
   */
  cachesSynced?: () => Promise<void>;
}

/** Runs a reconciler over a work queue with a fixed number of workers. */
export class Controller implements Runnable {
  readonly queue: WorkQueue;
  readonly name: string;
  private readonly workers: number;
  private readonly log: (line: string) => void;
  private readonly cachesSynced?: () => Promise<void>;
  private readonly metrics?: ControllerMetrics;

  constructor(
    private readonly reconciler: Reconciler,
    opts: ControllerOptions,
  ) {
    this.name = opts.name;
    this.metrics = opts.metrics;
    this.queue = new WorkQueue({ ...opts, metrics: opts.metrics?.queue(opts.name) });
    this.workers = opts.workers ?? 2;
    this.log = opts.log ?? (() => undefined);
    this.cachesSynced = opts.cachesSynced;
  }

  /** Enqueues an object key (`namespace/name`). */
  enqueue(key: string): void {
    this.queue.add(key);
  }

  async start(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.queue.shutdown(), { once: true });
    if (this.cachesSynced) {
      const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      await Promise.race([this.cachesSynced(), aborted]);
      if (signal.aborted) return;
    }
    await Promise.all(Array.from({ length: this.workers }, () => this.worker(signal)));
  }

  private async worker(signal: AbortSignal): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const started = performance.now();
      let outcome: ReconcileResult = ReconcileResult.Error;
      this.metrics?.activeWorkers(this.name, 1);
      try {
        const result = await this.reconciler.reconcile(splitKey(key), signal);
        this.queue.forget(key);
        outcome = ReconcileResult.Success;
        if (result?.requeueAfterMs !== undefined) {
          outcome = ReconcileResult.RequeueAfter;
          this.queue.addAfter(key, result.requeueAfterMs);
        }
      } catch (err) {
        if (signal.aborted) {
          // Shutting down: the key is picked up again from the store at the next start.
        } else if (err instanceof TerminalError) {
          this.queue.forget(key);
          this.log(`${this.name}: ${key}: ${err.message} (not retried)`);
        } else {
          this.log(`${this.name}: ${key}: ${(err as Error).message} (retry ${this.queue.retries(key) + 1})`);
          this.queue.addRateLimited(key);
        }
      } finally {
        this.metrics?.activeWorkers(this.name, -1);
        this.metrics?.reconciled(this.name, outcome, (performance.now() - started) / 1000);
        this.queue.done(key);
      }
    }
  }
}
