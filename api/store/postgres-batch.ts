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
 * Round trips are folded: several statements travel in one simple query on the writer's own
 * connection (postgres-writer.ts), their parameters written as literals. `BEGIN` and the lock are
 * one; a replayable transaction's writes wait for the next statement whose answer is needed (a
 * read, or the batch's counter update, NOTIFY and `COMMIT`) — see {@link JobScripts}. A batch of
 * creates is then two round trips in all; a write that fails late replays its transaction.
 *
 * A lost connection once the batch has begun answers every caller in it 503 and is never retried:
 * the COMMIT may have reached the server. Getting a connection and the lock is retried (nothing
 * was written yet).
 */
import type { SQLQuery } from '@databases/pg';
import type { BackendTx, ChangeRecord } from './backend.js';
import { acknowledge, GroupCommitQueue, rejectBatch, ReplayFrom, type DoneJob, type JobTx, type WriteJob } from './group-commit.js';
import { CHANGES_CHANNEL } from './postgres-feed.js';
import { MARKER_COLUMN, PgWriterConnection, type SqlRunner, type WriterSession } from './postgres-writer.js';
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
const RELEASE_JOB = 'RELEASE SAVEPOINT job';
/** Undoes the current job and ends its savepoint, so the next job's begins at the same depth. */
const UNDO_JOB = 'ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job';

/** The counter, the NOTIFY (delivered on commit) and the COMMIT. */
function commitAt(rv: number, start: number): string[] {
  if (rv === start) return ['COMMIT'];
  if (!Number.isSafeInteger(rv)) throw new Error(`sidekicks store: resourceVersion out of range: ${rv}`);
  return [`UPDATE sk_rv SET v = ${rv} WHERE id = 1`, `SELECT pg_notify('${CHANGES_CHANNEL}', '${rv}')`, 'COMMIT'];
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

  /**
   * Runs `fn` in the next batch; resolves after that batch's COMMIT. A `replayable` fn (it only
   * reads and writes through `tx`, so it can run again) has its writes sent with later statements.
   */
  submit<T>(fn: (tx: BackendTx) => Promise<T>, replayable = false): Promise<T> {
    return this.queue.submit(fn, replayable);
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
      const scripts = new JobScripts(db);
      const { done, failed } = await this.queue.runJobs({
        begin: async (job) => {
          await scripts.start(job);
          return this.opts.newTx(scripts.runner(), rv);
        },
        keep: async (tx) => {
          await tx.finish();
          scripts.keep();
          rv = await tx.currentResourceVersion();
        },
        undo: () => scripts.undo(),
      });
      batch.done = done;
      if (failed !== undefined) throw failed;
      for (;;) {
        // Jobs taken out for a replay gave back their versions: the counter ends at the last kept job.
        const end = done.length ? await done[done.length - 1].tx.currentResourceVersion() : start;
        try {
          await scripts.send(commitAt(end, start));
          return;
        } catch (err) {
          if (!(err instanceof ReplayFrom)) throw err;
          this.queue.replay(done, err.job);
        }
      }
    } catch (err) {
      // After a lost connection its state is unknown: start the next batch on a new one.
      if (storeFault(err)) this.writer.drop();
      else await db.script('ROLLBACK').catch(() => this.writer.drop());
      throw err;
    }
  }
}

/** A statement waiting to be sent, with the job whose savepoint it runs in. */
interface Pending {
  text: string;
  job: WriteJob<PgJobTx>;
}

/**
 * The statements of one batch's jobs, sent as few round trips as their results allow. Each job's
 * statements run in its own savepoint, after a marker row naming the job:
 * `SELECT n AS sk_job; SAVEPOINT job; …; RELEASE SAVEPOINT job`. Statements whose results nobody
 * reads — a replayable job's writes (`defer`) and each job's RELEASE — wait and travel with the
 * next statement that must be answered (a read, or the batch's COMMIT), so a batch of creates
 * costs a few round trips instead of one per create.
 *
 * A deferred write can then fail after its job was kept. The last marker before the failure names
 * that job; its savepoint is rolled back (the statements after it never ran), and it and every job
 * after it run again ({@link ReplayFrom}) — it with its writes sent at once, so its own error
 * (AlreadyExists, a refused statement) shows, and fails it alone. Versions stay gap-free: the
 * replayed jobs allocate theirs again after the ones that committed.
 */
class JobScripts {
  private pending: Pending[] = [];
  /** Jobs by marker, for naming the one a failure came in. */
  private readonly byMarker = new Map<number, WriteJob<PgJobTx>>();
  private marker = 0;
  private job: WriteJob<PgJobTx> | undefined;
  /** Whether the current job has statements (its marker and savepoint are queued or sent). */
  private begun = false;
  /** Whether the current job's savepoint has been sent. */
  private open = false;
  private lost = false;

  constructor(private readonly db: WriterSession) {}

  /**
   * Starts the next job. One that cannot be replayed must not have a statement in the same script
   * as deferred writes (their failure would reach its code): those are sent first, alone.
   */
  async start(job: WriteJob<PgJobTx>): Promise<void> {
    this.job = job;
    this.begun = false;
    this.open = false;
    if (!job.replayable && this.pending.length) await this.send([]);
  }

  /** The connection as the current job sees it. */
  runner(): SqlRunner {
    const job = this.job as WriteJob<PgJobTx>;
    const runner: SqlRunner = { query: (q) => this.query(q) };
    if (job.replayable && !job.immediate) runner.defer = (q) => this.defer(q);
    return runner;
  }

  /** Ends the current job keeping its writes: its RELEASE waits for the next statement. */
  keep(): void {
    if (this.begun) this.push(RELEASE_JOB);
  }

  /** Rolls the current job back; false when that cannot be known to be right (the batch is lost). */
  async undo(): Promise<boolean> {
    if (this.lost) return false;
    // Its statements not sent yet never ran: they are the tail of the queue.
    while (this.pending.length && this.pending[this.pending.length - 1].job === this.job) this.pending.pop();
    if (this.open) await this.db.script(UNDO_JOB);
    return true;
  }

  /**
   * Sends the waiting statements and then `tail` (the COMMIT) in one round trip; throws
   * {@link ReplayFrom} after a deferred write failed (its job's savepoint already rolled back).
   */
  async send(tail: string[]): Promise<Record<string, unknown>[][]> {
    const sent = this.pending;
    this.pending = [];
    const texts = [...sent.map((p) => p.text), ...tail];
    let last: number | undefined;
    try {
      const results = await this.db.markedScript(texts.join('; '), (m) => (last = m));
      if (this.begun) this.open = true;
      return results;
    } catch (err) {
      if (storeFault(err)) {
        this.lost = true;
        throw err;
      }
      // The failure came in the job of the last marker passed, or in the first statement's job.
      const failed = last !== undefined ? (this.byMarker.get(last) as WriteJob<PgJobTx>) : (sent[0]?.job ?? this.job);
      if (this.begun) this.open = true;
      // The current job's own statement, sent at once: its error is its own (runJobs undoes it).
      if (failed === this.job && !(failed.replayable && !failed.immediate)) throw err;
      await this.db.script(UNDO_JOB);
      this.open = false;
      throw new ReplayFrom(failed as WriteJob<never>);
    }
  }

  private async query(q: SQLQuery): Promise<Record<string, unknown>[]> {
    this.begin();
    const text = this.db.inline(q);
    if (text === undefined) {
      await this.send([]);
      return this.db.query(q);
    }
    const results = await this.send([text]);
    return results[results.length - 1];
  }

  private async defer(q: SQLQuery): Promise<void> {
    const text = this.db.inline(q);
    if (text === undefined) {
      await this.query(q);
      return;
    }
    this.begin();
    this.push(text);
  }

  /** Queues the current job's marker and savepoint before its first statement. */
  private begin(): void {
    if (this.begun) return;
    this.begun = true;
    const marker = ++this.marker;
    this.byMarker.set(marker, this.job as WriteJob<PgJobTx>);
    this.push(`SELECT ${marker} AS ${MARKER_COLUMN}`);
    this.push('SAVEPOINT job');
  }

  private push(text: string): void {
    this.pending.push({ text, job: this.job as WriteJob<PgJobTx> });
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
