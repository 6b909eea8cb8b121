/**
 * Database faults as API answers. A store that is busy (another process holds SQLite's write
 * lock, Postgres is restarting or out of connections) or cannot write (I/O error) answers 503
 * with `Retry-After`; a full disk answers 507. Both are the client's cue to retry later — never a
 * 500, and never a reason for the daemon to exit.
 */
import { ApiError, StatusReason } from '../errors.js';

/** What kind of fault an error from a database driver is, if it is one the store expects. */
export type StoreFault = 'busy' | 'io' | 'full';

/** Seconds a client is told to wait (`Retry-After`) after a busy or I/O fault. */
export const STORE_RETRY_AFTER_SECONDS = 1;

// better-sqlite3 throws SqliteError with the extended result code name, e.g. SQLITE_BUSY_SNAPSHOT.
const SQLITE_FAULTS: [prefix: string, fault: StoreFault][] = [
  ['SQLITE_BUSY', 'busy'],
  ['SQLITE_LOCKED', 'busy'],
  ['SQLITE_FULL', 'full'],
  ['SQLITE_IOERR', 'io'],
];

// Postgres SQLSTATEs (Appendix A): 08 connection exceptions, 53 insufficient resources,
// 57P01-03 shutting down / cannot connect now, 40001/40P01 serialization failure / deadlock.
const PG_STATES: Record<string, StoreFault> = { '53100': 'full', '53200': 'busy', '53300': 'busy', '57P01': 'busy', '57P02': 'busy', '57P03': 'busy', '40001': 'busy', '40P01': 'busy' };

// Node socket errors of a Postgres client whose server went away or never answered.
const NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** Classifies a database driver error; undefined for anything else (a bug, a constraint). */
export function storeFault(err: unknown): StoreFault | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string') {
    // pg reports a connection that dies mid-query without a code.
    const message = (err as { message?: unknown }).message;
    return typeof message === 'string' && /^Connection terminated/.test(message) ? 'busy' : undefined;
  }
  if (code.startsWith('SQLITE_')) return SQLITE_FAULTS.find(([prefix]) => code.startsWith(prefix))?.[1];
  if (PG_STATES[code]) return PG_STATES[code];
  if (/^08[0-9A-Z]{3}$/.test(code)) return 'busy';
  return NET_CODES.has(code) ? 'busy' : undefined;
}

/**
 * The API error a store fault answers with (503 or 507, one line naming the cause), or `err`
 * itself when it is not a store fault. `where` names the database (a file path or "postgres").
 */
export function storeFaultError(err: unknown, where: string): unknown {
  const fault = storeFault(err);
  if (!fault || err instanceof ApiError) return err;
  // Not `instanceof Error`: the driver's error may come from another realm (a VM context).
  const message = (err as { message?: unknown }).message;
  const cause = typeof message === 'string' ? message : String(err);
  const code = (err as { code?: string }).code ?? 'connection lost';
  if (fault === 'full') {
    return new ApiError(StatusReason.InsufficientStorage, `the store cannot write: the disk holding ${where} is full (${code}); free space and retry`);
  }
  const why = fault === 'busy' ? `the store is busy (${code}: ${cause})` : `the store could not read or write ${where} (${code}: ${cause})`;
  return new ApiError(StatusReason.ServiceUnavailable, `${why}; retry in ${STORE_RETRY_AFTER_SECONDS}s`, { retryAfterSeconds: STORE_RETRY_AFTER_SECONDS });
}

/** Options of {@link retryStoreFault}. */
export interface RetryOptions {
  /** Total time to keep retrying (the store's busy timeout). */
  budgetMs: number;
  /** Faults worth retrying; default busy and io (a full disk rarely frees itself within seconds). */
  retry?: readonly StoreFault[];
  /** Asked after a failure: false when repeating is no longer safe (e.g. a transaction had begun). */
  canRetry?: () => boolean;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** First and largest pause between attempts: short at first (most locks are brief), then capped. */
const FIRST_PAUSE_MS = 5;
const MAX_PAUSE_MS = 250;

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `attempt` until it succeeds, fails with something that is not a retryable store fault, or
 * the budget is spent (exponential backoff with jitter between attempts); the last error is thrown.
 * Only for operations that are safe to repeat (acquiring a lock, opening a connection).
 */
export async function retryStoreFault<T>(attempt: () => T | Promise<T>, opts: RetryOptions): Promise<T> {
  const { sleep = realSleep, now = Date.now, retry = ['busy', 'io'] } = opts;
  const deadline = now() + opts.budgetMs;
  for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
    try {
      return await attempt();
    } catch (err) {
      const fault = storeFault(err);
      if (!fault || !retry.includes(fault) || opts.canRetry?.() === false) throw err;
      const left = deadline - now();
      if (left <= 0) throw err;
      await sleep(Math.min(left, pause / 2 + Math.random() * (pause / 2)));
    }
  }
}
