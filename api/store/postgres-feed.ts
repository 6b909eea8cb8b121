/**
 * Delivers committed changes of a Postgres store to the local watch hub, including commits made
 * by other processes on the same database (control-plane replicas). docs/decisions/0024.
 *
 * Every write transaction ends with a payload-free `pg_notify('sk_changes', rv)` (only the
 * version, never the object: no 8 KB limit, nothing to lose but a wake-up), which Postgres
 * delivers on commit. A dedicated `pg.Client` LISTENs (@databases/pg has no listen API), and each
 * notification triggers a catch-up read of `sk_changes` after the last version delivered.
 * Because writers serialize on the counter row, commit order equals resourceVersion order, so
 * every such read sees a gap-free prefix of the history (a gap means rows were compacted before
 * this process read them; the read then carries the compaction horizons). This process's own
 * commits are handed over directly when they are the next versions, saving the round trip.
 *
 * The safety net (as kine polls): every `pollMs` the newest version in `sk_changes` is read, and
 * anything newer than the last delivered is caught up. A lost notification, a LISTEN connection
 * that died quietly, or one that never works (PgBouncer in transaction mode) therefore leaves a
 * replica stale for at most one poll. When the poll finds changes that no notification announced
 * a full poll later, LISTEN looks broken: that is reported once per episode, not per poll.
 */
import pg from 'pg';
import type { ChangeListener, ChangeRecord, CompactionHorizons } from './backend.js';

/** The NOTIFY channel carrying the newest resourceVersion. */
export const CHANGES_CHANNEL = 'sk_changes';

/** The application_name of the LISTEN connection (find it in pg_stat_activity). */
export const FEED_APPLICATION_NAME = 'sidekicks-change-feed';

/** Reconnect delay of the LISTEN connection after it fails. */
const RECONNECT_MS = 1000;

/** The poll period when none is configured. */
export const DEFAULT_CHANGE_POLL_MS = 1000;

/** Changes read after a version; `horizons` is present when versions right after it were compacted. */
export interface ChangesRead {
  changes: ChangeRecord[];
  horizons?: CompactionHorizons;
}

/** Reads changes after a resourceVersion, oldest first, at most `limit`. */
export type ChangesAfter = (rv: number, limit: number) => Promise<ChangesRead>;

/** How the feed reaches the database. */
export interface FeedSource {
  url: string;
  changesAfter: ChangesAfter;
  /** The newest resourceVersion in the history table (0 when empty). */
  newestChange: () => Promise<number>;
}

/** Tunables of the feed. */
export interface FeedOptions {
  /** false: never LISTEN, rely on the poll alone (e.g. behind PgBouncer in transaction mode). */
  listen?: boolean;
  /** Poll period in ms (default 1 s). */
  pollMs?: number;
  onError: (err: unknown) => void;
}

const BATCH = 1000;

/** Orders, de-duplicates and delivers committed changes; owns the LISTEN connection and the poll. */
export class PostgresChangeFeed {
  private listener: ChangeListener | undefined;
  private last = 0;
  private client: pg.Client | undefined;
  private running = false;
  private again = false;
  private closed = false;
  private idle: Promise<void> = Promise.resolve();
  private readonly pollTimer: NodeJS.Timeout;
  private polling = false;
  /** The newest version a notification (or this process's own commit) announced. */
  private announced = 0;
  /** A version the last poll found that no notification had announced yet. */
  private unannounced: number | undefined;
  private warned = false;

  private constructor(private readonly source: FeedSource, private readonly opts: FeedOptions) {
    this.pollTimer = setInterval(() => void this.poll(), opts.pollMs ?? DEFAULT_CHANGE_POLL_MS);
    this.pollTimer.unref();
  }

  /** Connects the LISTEN client (unless `listen` is false) and starts the poll. */
  static async start(source: FeedSource, opts: FeedOptions): Promise<PostgresChangeFeed> {
    const feed = new PostgresChangeFeed(source, opts);
    try {
      if (opts.listen !== false) await feed.connect();
    } catch (err) {
      clearInterval(feed.pollTimer);
      throw err;
    }
    return feed;
  }

  /**
   * Sets the receiver and delivers everything committed after `afterRv` (read after start, so
   * nothing committed in between is missed: its notification, or the poll, triggers a catch-up).
   */
  attach(afterRv: number, listener: ChangeListener): void {
    this.last = afterRv;
    this.announced = Math.max(this.announced, afterRv);
    this.listener = listener;
    this.catchUp();
  }

  /** Hands over this process's committed changes; out-of-order ones trigger a catch-up read. */
  offer(changes: ChangeRecord[]): void {
    if (!changes.length) return;
    const newest = changes[changes.length - 1].resourceVersion;
    this.announced = Math.max(this.announced, newest);
    if (!this.listener) return;
    if (!this.running && changes[0].resourceVersion === this.last + 1) this.deliver({ changes });
    else if (newest > this.last) this.catchUp();
  }

  /** Reads and delivers everything after the last delivered version (coalesced; one reader at a time). */
  catchUp(): void {
    if (this.closed || !this.listener) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.idle = (async () => {
      try {
        do {
          this.again = false;
          const read = await this.source.changesAfter(this.last, BATCH);
          this.deliver(read);
          if (read.changes.length === BATCH) this.again = true;
        } while (this.again && !this.closed);
      } catch (err) {
        if (!this.closed) this.opts.onError(err);
      } finally {
        this.running = false;
      }
    })();
  }

  private deliver(read: ChangesRead): void {
    const fresh = read.changes.filter((c) => c.resourceVersion > this.last);
    if (!fresh.length || !this.listener) return;
    this.last = fresh[fresh.length - 1].resourceVersion;
    this.listener(fresh, read.horizons);
  }

  /** One tick of the safety net: catch up what no notification announced, and notice when LISTEN stays silent. */
  private async poll(): Promise<void> {
    if (this.closed || this.polling || !this.listener) return;
    this.polling = true;
    try {
      const newest = await this.source.newestChange();
      if (this.client) this.checkListen(newest);
      if (newest > this.last) this.catchUp();
    } catch (err) {
      if (!this.closed) this.opts.onError(err);
    } finally {
      this.polling = false;
    }
  }

  /**
   * A notification arrives milliseconds after its commit; a version still unannounced a whole
   * poll after the poll first saw it means notifications are not reaching this connection.
   */
  private checkListen(newest: number): void {
    if (this.unannounced !== undefined && this.announced < this.unannounced && !this.warned) {
      this.warned = true;
      this.opts.onError(
        new Error(
          `LISTEN ${CHANGES_CHANNEL} looks broken: resourceVersion ${this.unannounced} was committed but never announced; ` +
            `watches are served by the ${this.opts.pollMs ?? DEFAULT_CHANGE_POLL_MS} ms poll (behind PgBouncer, use session mode for this connection)`,
        ),
      );
    }
    this.unannounced = newest > this.announced ? newest : undefined;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.source.url, application_name: FEED_APPLICATION_NAME });
    client.on('notification', (msg) => {
      const rv = Number(msg.payload);
      if (Number.isFinite(rv)) this.announced = Math.max(this.announced, rv);
      // Notifications flow again: a later silence is a new episode, reported again.
      this.warned = false;
      // Delivery is gap-free and in order, so a version at or below the last delivered one (most
      // often this process's own commit, handed over by offer) announces nothing to read.
      if (Number.isFinite(rv) && rv <= this.last) return;
      this.catchUp();
    });
    client.on('error', (err) => this.reconnect(client, err));
    client.on('end', () => this.reconnect(client, undefined));
    await client.connect();
    await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    // What was committed before LISTEN began (while reconnecting) is never announced to this
    // connection: only later versions count as unannounced. Failing to read that costs at most
    // one warning, so it does not fail the connection.
    const before = await this.source.newestChange().catch(() => 0);
    this.announced = Math.max(this.announced, before);
    this.client = client;
  }

  private reconnect(failed: pg.Client, err: unknown): void {
    if (this.closed || this.client !== failed) return;
    this.client = undefined;
    this.unannounced = undefined;
    if (err) this.opts.onError(err);
    failed.end().catch(() => undefined);
    const retry = (): void => {
      if (this.closed) return;
      this.connect()
        .then(() => this.catchUp())
        .catch((e) => {
          this.opts.onError(e);
          setTimeout(retry, RECONNECT_MS).unref();
        });
    };
    setTimeout(retry, RECONNECT_MS).unref();
  }

  /** Stops listening and polling, and waits for an in-flight catch-up. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.pollTimer);
    const client = this.client;
    this.client = undefined;
    await this.idle;
    if (client) await client.end();
  }
}
