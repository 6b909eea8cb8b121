/**
 * Group commit, shared by the SQLite and Postgres backends. Write transactions queue while a
 * batch runs; the next batch runs them one after another inside ONE database transaction, each in
 * its own savepoint, so a failing one rolls back alone and rejects only its own promise, and all of
 * them are acknowledged after the one shared COMMIT. What a commit costs (an fsync, a lock, a
 * round trip) is paid once per batch instead of once per write.
 *
 * The queue owns the order: one batch at a time, jobs in arrival order, so the resourceVersions
 * allocated inside a batch follow commit order. Each backend supplies how to begin, keep and undo
 * a job's savepoint and how to begin and commit the batch.
 */
import type { ChangeRecord } from './backend.js';

/** What a job's transaction leaves for after the COMMIT. */
export interface JobTx {
  /** Committed changes, in resourceVersion order (for the watch hub). */
  readonly changes: ChangeRecord[];
  /** afterCommit callbacks. */
  readonly hooks: (() => void)[];
}

/** A queued write transaction. */
export interface WriteJob<Tx> {
  fn: (tx: Tx) => Promise<unknown>;
  /**
   * The caller may run `fn` again from scratch (it only reads and writes through `tx`): a backend
   * may then send its writes with later statements and, when one of them fails, run it again.
   */
  replayable: boolean;
  /** Set when a replayable job runs again after a deferred write failed: its writes go at once. */
  immediate?: boolean;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** A job that ran and kept its writes; answered once the batch has committed. */
export interface DoneJob<Tx> {
  job: WriteJob<Tx>;
  tx: Tx;
  result: unknown;
}

/**
 * Thrown by a backend when a write it deferred failed (postgres-batch.ts): `job` and every job
 * after it in the batch are not acknowledged but run again, in order, at the head of the queue —
 * `job` with its writes sent at once, so its own outcome (an error of its own) shows.
 */
export class ReplayFrom extends Error {
  constructor(readonly job: WriteJob<never>) {
    super('sidekicks store: a deferred write failed; the transactions from it on run again');
  }
}

/** How a backend runs one job of a batch in its own savepoint. */
export interface SavepointSteps<Tx> {
  /** Opens the job's savepoint and its transaction view (starting where the previous job left off). */
  begin(job: WriteJob<Tx>): Tx | Promise<Tx>;
  /** Finishes the job (pending writes, counter) and ends its savepoint keeping its writes. */
  keep(tx: Tx): void | Promise<void>;
  /** Rolls the job's savepoint back; false when the database transaction itself is lost. */
  undo(): boolean | Promise<boolean>;
}

/** What running a batch's jobs came to: the jobs to acknowledge, or the fault that lost the batch. */
export interface BatchOutcome<Tx> {
  done: DoneJob<Tx>[];
  /** Set when the database transaction can no longer commit: nobody in `done` may be acknowledged. */
  failed?: unknown;
}

/** How a backend drives the queue. */
export interface GroupCommitOptions {
  /** Most jobs in one batch: bounds the first job's latency (and, in Postgres, subtransactions). */
  maxBatch: number;
  /** Runs one batch (taking jobs with {@link GroupCommitQueue.runJobs}); must answer every job it takes. */
  runBatch(): Promise<void>;
  /** Runs after each batch, before the next one starts (e.g. a WAL checkpoint). */
  afterBatch?(): void | Promise<void>;
  /** Runs once the queue is empty. */
  onIdle?(): void;
  /** A database error as the error callers get (503/507 for faults). */
  fault(err: unknown): unknown;
}

/** The write queue of a group-committing backend. */
export class GroupCommitQueue<Tx extends JobTx> {
  private readonly jobs: WriteJob<Tx>[] = [];
  private draining: Promise<void> | undefined;

  constructor(private readonly opts: GroupCommitOptions) {}

  /** Queues `fn`; settles after the batch it ran in has committed (or with its own error). */
  submit<T>(fn: (tx: Tx) => Promise<T>, replayable = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.jobs.push({ fn, replayable, resolve: resolve as WriteJob<Tx>['resolve'], reject });
      if (!this.draining) this.draining = this.drain();
    });
  }

  /** True while batches are running (until the queue is empty). */
  get busy(): boolean {
    return this.draining !== undefined;
  }

  /** Resolves once every queued job has been answered. */
  async idle(): Promise<void> {
    await this.draining;
  }

  /**
   * Takes `done[from:]` out of a batch that has not committed and queues their jobs again, first,
   * in order (see {@link ReplayFrom}); `from`'s job then sends its writes at once.
   */
  replay(done: DoneJob<Tx>[], from: WriteJob<never>, current?: WriteJob<Tx>): void {
    const i = done.findIndex((d) => d.job === (from as WriteJob<unknown>));
    const again = i >= 0 ? done.splice(i).map((d) => d.job) : [];
    if (current) again.push(current);
    (from as WriteJob<unknown>).immediate = true;
    this.jobs.unshift(...again);
  }

  /** Answers every job still queued with `err` (e.g. the lock or a connection could not be had). */
  failQueued(err: unknown): void {
    for (const job of this.jobs.splice(0)) job.reject(this.opts.fault(err));
  }

  /**
   * Runs batches until the queue is empty. Never rejects: every fault ends up in the promises of
   * the jobs it concerns, so a database error can fail requests but never escape as an unhandled
   * rejection that would take the process down.
   */
  private async drain(): Promise<void> {
    try {
      while (this.jobs.length) {
        await this.opts.runBatch();
        await this.opts.afterBatch?.();
      }
    } catch (err) {
      this.failQueued(err);
    } finally {
      this.draining = undefined;
      this.opts.onIdle?.();
    }
  }

  /**
   * Takes jobs off the queue and runs each in its own savepoint, up to `maxBatch`. A job that
   * throws is rejected with its own error and its savepoint undone; when undoing fails too, the
   * batch is lost and no further job is taken.
   */
  async runJobs(steps: SavepointSteps<Tx>): Promise<BatchOutcome<Tx>> {
    const done: DoneJob<Tx>[] = [];
    let yielded = false;
    for (let n = 0; n < this.opts.maxBatch; n++) {
      if (!this.jobs.length) {
        // Writers usually arrive one request at a time. One turn of the event loop lets the
        // requests already waiting on their sockets queue their writes into this batch, so one
        // COMMIT serves them all; when none came, commit now.
        if (yielded) break;
        yielded = true;
        await new Promise((r) => setImmediate(r));
        if (!this.jobs.length) break;
      }
      const job = this.jobs.shift() as WriteJob<Tx>;
      try {
        const tx = await steps.begin(job);
        const result = await job.fn(tx);
        await steps.keep(tx);
        done.push({ job, tx, result });
      } catch (err) {
        // The backend has already undone the failed write; the batch commits what came before it.
        if (err instanceof ReplayFrom) {
          this.replay(done, err.job, job);
          return { done };
        }
        job.reject(this.opts.fault(err));
        let kept: boolean;
        try {
          kept = await steps.undo();
        } catch (undoErr) {
          return { done, failed: undoErr };
        }
        if (!kept) return { done, failed: err };
      }
    }
    return { done };
  }
}

/**
 * Acknowledges a committed batch: per job, in commit order, hands its changes to `publish` (the
 * watch hub or change feed), runs its afterCommit hooks, and resolves its promise.
 */
export function acknowledge<Tx extends JobTx>(done: DoneJob<Tx>[], publish: (changes: ChangeRecord[]) => void): void {
  for (const d of done) {
    if (d.tx.changes.length) afterCommit(() => publish(d.tx.changes));
    for (const hook of d.tx.hooks) afterCommit(hook);
    d.job.resolve(d.result);
  }
}

/** Answers every job of a lost batch: nobody in it was acknowledged. */
export function rejectBatch<Tx>(done: DoneJob<Tx>[], err: unknown): void {
  for (const d of done) d.job.reject(err);
}

/** Runs a post-commit callback; its failure must not undo or fail the committed write. */
function afterCommit(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    console.error('sidekicks store: post-commit callback failed:', err);
  }
}
