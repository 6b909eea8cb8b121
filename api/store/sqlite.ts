/**
 * The SQLite backend (the daemon's embedded store), on better-sqlite3.
 *
 * better-sqlite3 is used directly rather than through @databases/sqlite-sync: that wrapper
 * exposes only `query(sql)` and re-prepares each statement, while the hot paths here (get,
 * insert object, insert change) must reuse prepared statements to reach thousands of writes/s.
 *
 * Two connections: a writer and a reader, so reads never observe a transaction still open on
 * the writer. Writes are serialized in-process by a queue and across processes by
 * `BEGIN IMMEDIATE`, and GROUP-COMMITTED (group-commit.ts): the transactions waiting in the
 * queue run one after another inside one SQLite transaction, each in its own SAVEPOINT (a failing
 * one rolls back alone), and are acknowledged only after the shared COMMIT. The per-commit cost (locks, WAL
 * frame writes) is paid once per batch instead of once per write.
 *
 * WAL checkpoints never run inside a COMMIT: SQLite's autocheckpoint (which would copy the WAL
 * into the database, fsyncing it, in the COMMIT that crosses 1,000 pages, delaying that batch's
 * acknowledgements) is off, and a PASSIVE checkpoint runs on the writer between transactions —
 * when the queue has been idle a moment, and after every CHECKPOINT_EVERY_BATCHES batches.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  DEFAULT_BUSY_TIMEOUT_MS,
  DEFAULT_COMPACTION_INTERVAL_MS,
  DEFAULT_HISTORY_LIMIT,
  STORE_MIGRATIONS,
  type BackendOptions,
  type BackendReader,
  type BackendTx,
  type ChangeListener,
  type ChangeRecord,
  type HistoryPolicy,
  type StoreBackend,
  type WatchHistory,
} from './backend.js';
import { connect, migrateSqlite, Statements, toChange, WriteStatements, type Db, type Synchronous } from './sqlite-statements.js';
import type { ChangeRow } from './rows.js';
import { compactHistory, SqliteReader, SqliteTx } from './sqlite-tx.js';
import { acknowledge, GroupCommitQueue, rejectBatch } from './group-commit.js';
import { retryStoreFault, storeFaultError } from './store-faults.js';

/**
 * Creates the database file 0600 before SQLite opens it (tightening an existing one, and its
 * -wal and -shm): SQLite gives the -wal and -shm files the database file's mode, whatever the
 * process umask, so this is what keeps the store unreadable to other users.
 */
function ownerOnly(path: string): void {
  closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    if (existsSync(file)) chmodSync(file, 0o600);
  }
}

/** Most transactions committed together (bounds the latency of the first one in a batch). */
const MAX_BATCH = 256;

/**
 * Quiet time after a commit before the WAL is checkpointed. Not shorter: with synchronous=FULL
 * a checkpoint fsyncs the database file, and a trickle of writes should not pay that each.
 */
const CHECKPOINT_IDLE_MS = 100;

/**
 * Batches committed back to back before a checkpoint runs after one of them anyway, so a queue
 * that never goes idle (one writer awaiting each write is such a queue) cannot grow the WAL without
 * bound. The next batch waits for that checkpoint: rare enough that a lone writer (one write per
 * batch, some 6 pages each: near autocheckpoint's 1,000 pages) meets it in under 1% of its writes.
 */
const CHECKPOINT_EVERY_BATCHES = 128;

/** Options of the SQLite backend. */
export interface SqliteOptions extends BackendOptions {
  /** Durability of a commit (see connect()); NORMAL exists only for the benchmark's comparison. */
  synchronous?: Synchronous;
}

/** The SQLite StoreBackend: one database file, WAL, prepared statements on the hot paths. */
export class SqliteBackend implements StoreBackend {
  readonly dialect = 'sqlite' as const;
  private readonly writer: Db;
  private readonly reader: Db;
  private readonly w: WriteStatements;
  private readonly r: Statements;
  private readonly history: HistoryPolicy;
  private readonly busyTimeoutMs: number;
  private readonly compactionTimer: NodeJS.Timeout;
  /** An idle compaction is queued or running (the next tick skips). */
  private compacting = false;
  private readonly queue: GroupCommitQueue<SqliteTx>;
  private readQueue: Promise<unknown> = Promise.resolve();
  private listener: ChangeListener = () => undefined;
  /** Batches committed since the last checkpoint. */
  private uncheckpointed = 0;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private closed = false;

  /** Opens (creating if needed, directory mode 0700) the database at `path` and migrates it. */
  constructor(private readonly path: string, opts: SqliteOptions = {}) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    ownerOnly(path);
    this.history = { limit: opts.historyLimit ?? DEFAULT_HISTORY_LIMIT, retentionMs: opts.historyRetentionMs };
    this.busyTimeoutMs = opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    this.writer = connect(path, opts.synchronous);
    migrateSqlite(this.writer, [STORE_MIGRATIONS, ...(opts.migrations ?? [])]);
    this.writer.pragma('busy_timeout = 0');
    // Checkpoints are run by checkpoint(), outside any transaction (see the header).
    this.writer.pragma('wal_autocheckpoint = 0');
    this.reader = connect(path, opts.synchronous);
    this.w = new WriteStatements(this.writer);
    this.r = new Statements(this.reader);
    this.queue = new GroupCommitQueue<SqliteTx>({
      maxBatch: MAX_BATCH,
      runBatch: () => this.runBatch(),
      afterBatch: async () => {
        if (this.uncheckpointed < CHECKPOINT_EVERY_BATCHES) return;
        // Let the batch just acknowledged answer its callers before the checkpoint holds the loop.
        await new Promise((r) => setImmediate(r));
        this.checkpoint();
      },
      onIdle: () => this.scheduleCheckpoint(),
      fault: (err) => this.fault(err),
    });
    // A quiet database still shrinks (age retention); writers compact as they go.
    this.compactionTimer = setInterval(() => void this.compact(), opts.compactionIntervalMs ?? DEFAULT_COMPACTION_INTERVAL_MS);
    this.compactionTimer.unref();
  }

  /** Compacts the history in a write job of its own (the idle timer); a failure waits for the next tick. */
  private async compact(): Promise<void> {
    if (this.closed || this.compacting) return;
    this.compacting = true;
    await this.transaction(async () => compactHistory(this.w, this.w.rv.get() as number, this.history))
      .catch((err: unknown) => console.error('sidekicks store: history compaction failed:', err instanceof Error ? err.message : err))
      .finally(() => (this.compacting = false));
  }

  read<T>(fn: (r: BackendReader) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      this.reader.exec('BEGIN');
      try {
        return await fn(new SqliteReader(this.r));
      } finally {
        this.reader.exec('COMMIT');
      }
    };
    const p = this.readQueue.then(run, run).catch((err: unknown) => Promise.reject(this.fault(err)));
    this.readQueue = p.catch(() => undefined);
    return p;
  }

  transaction<T>(fn: (tx: BackendTx) => Promise<T>): Promise<T> {
    return this.queue.submit(fn);
  }

  /** Arms the idle checkpoint after commits; a queue busy again when it fires re-arms it when it drains. */
  private scheduleCheckpoint(): void {
    if (this.uncheckpointed === 0 || this.checkpointTimer || this.closed) return;
    this.checkpointTimer = setTimeout(() => {
      this.checkpointTimer = undefined;
      if (!this.queue.busy) this.checkpoint();
    }, CHECKPOINT_IDLE_MS);
    this.checkpointTimer.unref();
  }

  /**
   * Copies the WAL into the database as far as readers allow (PASSIVE: never waits for a lock,
   * never blocks a reader), on the writer and never inside a transaction. A failed checkpoint
   * loses nothing (the commits are in the fsynced WAL); the next one retries.
   */
  private checkpoint(): void {
    clearTimeout(this.checkpointTimer);
    this.checkpointTimer = undefined;
    if (this.closed || this.writer.inTransaction) return;
    try {
      this.writer.pragma('wal_checkpoint(PASSIVE)');
      this.uncheckpointed = 0;
    } catch (err) {
      console.error('sidekicks store: WAL checkpoint failed:', err instanceof Error ? err.message : err);
    }
  }

  /** Takes the write lock (waiting out other processes), runs a batch of jobs, commits it. */
  private async runBatch(): Promise<void> {
    try {
      // The writer has no busy handler of its own (it would block the event loop); waiting for
      // the lock happens here, between turns of the loop, up to the busy timeout.
      await retryStoreFault(() => this.w.begin.run(), { budgetMs: this.busyTimeoutMs });
    } catch (err) {
      // Every queued job waits for the same lock: all of them are answered now.
      this.queue.failQueued(err);
      return;
    }
    const { done, failed } = await this.queue.runJobs({
      begin: () => {
        this.w.savepoint.run();
        return new SqliteTx(this.w, this.history);
      },
      keep: (tx) => {
        tx.finish();
        this.w.release.run();
      },
      undo: () => {
        // SQLite rolls the whole transaction back by itself on some errors (SQLITE_FULL, IOERR).
        if (!this.writer.inTransaction) return false;
        this.w.rollbackTo.run();
        this.w.release.run();
        return true;
      },
    });
    try {
      if (failed !== undefined) throw failed;
      this.w.commit.run();
      this.uncheckpointed++;
    } catch (err) {
      // The whole batch is lost (e.g. disk full): nobody in it was acknowledged.
      try {
        if (this.writer.inTransaction) this.w.rollback.run();
      } catch {
        // SQLite rolls back by itself on the errors that make ROLLBACK fail (SQLITE_FULL, IOERR).
      }
      rejectBatch(done, this.fault(err));
      return;
    }
    acknowledge(done, (changes) => this.listener(changes));
  }

  /** A database fault as the 503/507 it answers with; other errors unchanged. */
  private fault(err: unknown): unknown {
    return storeFaultError(err, this.path);
  }

  async recentChanges(limit: number): Promise<ChangeRecord[]> {
    return (this.w.recent.all(limit) as ChangeRow[]).map(toChange).reverse();
  }

  /** Read in a write job: one snapshot, ordered with the writes around it. */
  watchHistory(limit: number): Promise<WatchHistory> {
    return this.transaction(async () => {
      const resourceVersion = this.w.rv.get() as number;
      const changes = (this.w.recent.all(limit) as ChangeRow[]).map(toChange).reverse();
      const horizons = new Map<string, number>();
      const oldestLoaded = changes.length ? changes[0].resourceVersion : resourceVersion + 1;
      const rows = [...this.w.horizons.all(), ...this.w.olderThan.all(oldestLoaded)] as { plural: string; horizon: number }[];
      for (const r of rows) horizons.set(r.plural, Math.max(horizons.get(r.plural) ?? 0, r.horizon));
      return { resourceVersion, changes, horizons };
    });
  }

  /** Every commit of this database goes through this process, so nothing after `afterRv` is missed. */
  onChanges(listener: ChangeListener): void {
    this.listener = listener;
  }

  async danglingOwnerUids(): Promise<string[]> {
    return this.w.dangling.all() as string[];
  }

  async close(): Promise<void> {
    clearInterval(this.compactionTimer);
    await this.queue.idle();
    await this.readQueue;
    // Closing the last connection checkpoints the whole WAL by itself.
    this.closed = true;
    clearTimeout(this.checkpointTimer);
    this.reader.close();
    this.writer.close();
  }
}
