/**
 * A StoreBackend that times every read snapshot and write transaction for the store's metrics,
 * and otherwise passes each call through unchanged (same results, same errors, same order).
 * Timing sits at this boundary so both databases are measured alike, beneath every Kubernetes
 * rule ObjectStore applies.
 */
import { performance } from 'node:perf_hooks';
import type { StoreMetrics, StoreOperation } from '../metrics.js';
import type { BackendReader, BackendTx, ChangeListener, ChangeRecord, StoreBackend, TransactionOptions, WatchHistory } from './backend.js';

export class TimedBackend implements StoreBackend {
  readonly dialect: StoreBackend['dialect'];

  constructor(
    private readonly inner: StoreBackend,
    private readonly metrics: StoreMetrics,
  ) {
    this.dialect = inner.dialect;
  }

  read<T>(fn: (r: BackendReader) => Promise<T>): Promise<T> {
    return this.timed('read', () => this.inner.read(fn));
  }

  transaction<T>(fn: (tx: BackendTx) => Promise<T>, opts?: TransactionOptions): Promise<T> {
    return this.timed('transaction', () => this.inner.transaction(fn, opts));
  }

  recentChanges(limit: number): Promise<ChangeRecord[]> {
    return this.inner.recentChanges(limit);
  }

  watchHistory(limit: number): Promise<WatchHistory> {
    return this.inner.watchHistory(limit);
  }

  onChanges(listener: ChangeListener, afterRv: number): void {
    this.inner.onChanges(listener, afterRv);
  }

  danglingOwnerUids(): Promise<string[]> {
    return this.inner.danglingOwnerUids();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Failed operations are timed too: a database that is slow to refuse is still slow. */
  private async timed<T>(operation: StoreOperation, run: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await run();
    } finally {
      this.metrics.observe(operation, this.dialect, (performance.now() - start) / 1000);
    }
  }
}
