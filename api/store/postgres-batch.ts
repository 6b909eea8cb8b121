/**
 * Group commit for the Postgres backend (see group-commit.ts): write transactions that arrive
 * while a batch runs are queued and run in the next batch, in one database transaction on the
 * writer's own connection — one counter-row lock, one COMMIT, one NOTIFY per batch — each in its own
 * SAVEPOINT so a failing one rolls back alone.
 *
 * Why: every transaction locks the counter row `sk_rv` for its whole life (that lock is what makes
 * commit order equal resourceVersion order, across replicas too), so writers serialize and each
 * COMMIT waits for its own WAL flush; Postgres's own group commit never sees two at once. A batch
 * holds the lock once for many writes and pays one flush for all of them.
 *
 * Round trips are folded where no parameter is needed (several statements in one simple query on
 * the writer's own connection, postgres-writer.ts): `BEGIN` and the lock; the previous job's
 * `RELEASE SAVEPOINT`, the next `SAVEPOINT` and that job's first statement (its parameters written
 * as literals); the counter update, NOTIFY and `COMMIT`. A create then costs two round trips under
 * the lock: its read (with its savepoint) and its write.
 *
 * A lost connection once the batch has begun answers every caller in it 503 and is never retried:
 * the COMMIT may have reached the server. Getting a connection and the lock is retried (nothing
 * was written yet).
 */
import type { SQLQuery } from '@databases/pg';
import type { BackendTx, ChangeRecord } from './backend.js';
import { acknowledge, GroupCommitQueue, rejectBatch, type DoneJob, type JobTx } from './group-commit.js';
import { CHANGES_CHANNEL } from './postgres-feed.js';
import { PgWriterConnection, type SqlRunner, type WriterSession } from './postgres-writer.js';
import { retryStoreFault, storeFault, storeFaultError } from './store-faults.js';

/** One job's transaction view, as postgres.ts builds it. */
export interface PgJobTx extends BackendTx, JobTx {
  /** Sends the job's pending writes (and trims the history); called before its savepoint is kept. */
  finish(): Promise<void>;
}

/** Builds a job's transaction view on the batch's connection, starting at resourceVersion `rv`. */
export type PgJobTxFactory = (db: SqlRunner, rv: number) => PgJobTx;

/**
 * Most transactions in one batch. Each writing job is a subtransaction, and Postgres caches 64
 * subtransaction ids per backend (PGPROC_MAX_CACHED_SUBXIDS); past that, every other session's
 * snapshot checks go to pg_subtrans while the batch is open. 64 writes also bound how long one
 * replica holds the counter lock.
 */
export const PG_MAX_BATCH = 64;

/** Opens the batch with the counter lock (outside any savepoint: undoing a job must not release it). */
const LOCK_COUNTER = 'BEGIN; SELECT v FROM sk_rv WHERE id = 1 FOR UPDATE';
const FIRST_SAVEPOINT = 'SAVEPOINT job';
/** The previous job's savepoint ends (keeping its writes) and the next job's begins, in one round trip. */
const NEXT_SAVEPOINT = 'RELEASE SAVEPOINT job; SAVEPOINT job';
const UNDO_JOB = 'ROLLBACK TO SAVEPOINT job';

/** The counter, the NOTIFY (delivered on commit) and the COMMIT, which ends the open savepoint too. */
function commitAt(rv: number, start: number): string {
  if (rv === start) return 'COMMIT';
  if (!Number.isSafeInteger(rv)) throw new Error(`sidekicks store: resourceVersion out of range: ${rv}`);
  return `UPDATE sk_rv SET v = ${rv} WHERE id = 1; SELECT pg_notify('${CHANGES_CHANNEL}', '${rv}'); COMMIT`;
}

/** Options of {@link PostgresGroupCommit}. */
export interface PgGroupCommitOptions {
  url: string;
  newTx: PgJobTxFactory;
  /** Receives each committed job's changes, in resourceVersion order (the change feed). */
  publish: (changes: ChangeRecord[]) => void;
  /** How long getting a connection and the lock is retried before the queue is answered 503. */
  busyTimeoutMs: number;
  maxBatch?: number;
}

/** The Postgres write path: a queue of transactions committed in batches. */
export class PostgresGroupCommit {
  private readonly queue: GroupCommitQueue<PgJobTx>;
  private readonly writer: PgWriterConnection;

  constructor(private readonly opts: PgGroupCommitOptions) {
    this.writer = new PgWriterConnection(opts.url);
    this.queue = new GroupCommitQueue<PgJobTx>({
      maxBatch: opts.maxBatch ?? PG_MAX_BATCH,
      runBatch: () => this.runBatch(),
      fault,
    });
  }

  /** Runs `fn` in the next batch; resolves after that batch's COMMIT. */
  submit<T>(fn: (tx: BackendTx) => Promise<T>): Promise<T> {
    return this.queue.submit(fn);
  }

  /** Answers every queued transaction, then closes the writer connection. */
  async close(): Promise<void> {
    await this.queue.idle();
    await this.writer.close();
  }

  private async runBatch(): Promise<void> {
    const batch: Batch = { locked: false, done: [] };
    try {
      await retryStoreFault(async () => this.inTransaction(await this.writer.session(), batch), {
        budgetMs: this.opts.busyTimeoutMs,
        canRetry: () => !batch.locked,
      });
    } catch (err) {
      // Before the lock nobody was taken off the queue, and all of them wait for the same lock.
      if (!batch.locked) this.queue.failQueued(err);
      else rejectBatch(batch.done, fault(err));
      return;
    }
    acknowledge(batch.done, this.opts.publish);
  }

  /** One batch on `db`: lock the counter, run the jobs in savepoints, commit (or roll back and throw). */
  private async inTransaction(db: WriterSession, batch: Batch): Promise<void> {
    try {
      const [, rows] = await db.script(LOCK_COUNTER);
      batch.locked = true;
      const start = rows[0].v as number;
      let rv = start;
      const savepoints = new JobSavepoints(db);
      const { done, failed } = await this.queue.runJobs({
        begin: () => this.opts.newTx(savepoints.nextJob(), rv),
        keep: async (tx) => {
          await tx.finish();
          rv = await tx.currentResourceVersion();
        },
        undo: () => savepoints.undo(),
      });
      batch.done = done;
      if (failed !== undefined) throw failed;
      await db.script(commitAt(rv, start));
    } catch (err) {
      // After a lost connection its state is unknown: start the next batch on a new one.
      if (storeFault(err)) this.writer.drop();
      else await db.script('ROLLBACK').catch(() => this.writer.drop());
      throw err;
    }
  }
}

/**
 * The savepoints of one batch's jobs. A job's savepoint is sent with its first statement, in the
 * same round trip (after the previous job's is released); a job that sent nothing has nothing to undo.
 */
class JobSavepoints {
  /** Whether a savepoint `job` exists in the transaction (else the next one is the first). */
  private exists = false;
  /** The current job's savepoint: not sent yet, open, or unknown after a lost connection. */
  private state: 'unsent' | 'open' | 'lost' = 'unsent';

  constructor(private readonly db: WriterSession) {}

  /** The connection as the next job sees it. */
  nextJob(): SqlRunner {
    this.state = 'unsent';
    return { query: (q) => (this.state === 'unsent' ? this.withSavepoint(q) : this.db.query(q)) };
  }

  /** Rolls the current job back; false when that cannot be known to be right (the batch is lost). */
  async undo(): Promise<boolean> {
    if (this.state === 'unsent') return true;
    if (this.state === 'lost') return false;
    await this.db.script(UNDO_JOB);
    return true;
  }

  private async withSavepoint(q: SQLQuery): Promise<Record<string, unknown>[]> {
    const savepoint = this.exists ? NEXT_SAVEPOINT : FIRST_SAVEPOINT;
    const text = this.db.inline(q);
    this.state = 'lost';
    try {
      const results = await this.db.script(text === undefined ? savepoint : `${savepoint}; ${text}`);
      this.opened();
      return text === undefined ? await this.db.query(q) : results[results.length - 1];
    } catch (err) {
      // Short of a lost connection, only the job's own statement can fail (the transaction is
      // never in an aborted state between jobs), so the savepoint before it is open.
      if (!storeFault(err)) this.opened();
      throw err;
    }
  }

  private opened(): void {
    this.exists = true;
    this.state = 'open';
  }
}

/** A batch in progress: whether it holds the counter lock (no retry after that), and its kept jobs. */
interface Batch {
  locked: boolean;
  done: DoneJob<PgJobTx>[];
}

function fault(err: unknown): unknown {
  return storeFaultError(err, 'postgres');
}
