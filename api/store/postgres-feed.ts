/**
 * Delivers committed changes of a Postgres store to the local watch hub, including commits made
 * by other processes on the same database (control-plane replicas).
 *
 * Every write transaction ends with `pg_notify('sk_changes', rv)`, which Postgres delivers on
 * commit. A dedicated `pg.Client` LISTENs (@databases/pg has no listen API), and each
 * notification triggers a catch-up read of `sk_changes` after the last version delivered.
 * Because writers serialize on the counter row, commit order equals resourceVersion order, so
 * every such read sees a gap-free prefix of the history. This process's own commits are handed
 * over directly when they are the next versions, saving the round trip.
 */
import pg from 'pg';
import type { ChangeListener, ChangeRecord } from './backend.js';

/** The NOTIFY channel carrying the newest resourceVersion. */
export const CHANGES_CHANNEL = 'sk_changes';

/** Reconnect delay of the LISTEN connection after it fails. */
const RECONNECT_MS = 1000;

/** Reads changes after a resourceVersion, oldest first, at most `limit`. */
export type ChangesAfter = (rv: number, limit: number) => Promise<ChangeRecord[]>;

const BATCH = 1000;

/** Orders, de-duplicates and delivers committed changes; owns the LISTEN connection. */
export class PostgresChangeFeed {
  private listener: ChangeListener = () => undefined;
  private client: pg.Client | undefined;
  private running = false;
  private again = false;
  private closed = false;
  private idle: Promise<void> = Promise.resolve();

  private constructor(
    private readonly url: string,
    private readonly changesAfter: ChangesAfter,
    private last: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Connects the LISTEN client; `currentRv` must be read AFTER this resolves (nothing is missed). */
  static async start(url: string, changesAfter: ChangesAfter, onError: (err: unknown) => void): Promise<PostgresChangeFeed> {
    const feed = new PostgresChangeFeed(url, changesAfter, 0, onError);
    await feed.connect();
    return feed;
  }

  /** Sets the version already known (read after start) and the receiver of later changes. */
  attach(currentRv: number, listener: ChangeListener): void {
    this.last = Math.max(this.last, currentRv);
    this.listener = listener;
  }

  /** Hands over this process's committed changes; out-of-order ones trigger a catch-up read. */
  offer(changes: ChangeRecord[]): void {
    if (!changes.length) return;
    if (!this.running && changes[0].resourceVersion === this.last + 1) this.deliver(changes);
    else if (changes[changes.length - 1].resourceVersion > this.last) this.catchUp();
  }

  /** Reads and delivers everything after the last delivered version (coalesced; one reader at a time). */
  catchUp(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.idle = (async () => {
      try {
        do {
          this.again = false;
          const rows = await this.changesAfter(this.last, BATCH);
          this.deliver(rows);
          if (rows.length === BATCH) this.again = true;
        } while (this.again && !this.closed);
      } catch (err) {
        if (!this.closed) this.onError(err);
      } finally {
        this.running = false;
      }
    })();
  }

  private deliver(changes: ChangeRecord[]): void {
    const fresh = changes.filter((c) => c.resourceVersion > this.last);
    if (!fresh.length) return;
    this.last = fresh[fresh.length - 1].resourceVersion;
    this.listener(fresh);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', () => this.catchUp());
    client.on('error', (err) => this.reconnect(client, err));
    client.on('end', () => this.reconnect(client, undefined));
    await client.connect();
    await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    this.client = client;
  }

  private reconnect(failed: pg.Client, err: unknown): void {
    if (this.closed || this.client !== failed) return;
    this.client = undefined;
    if (err) this.onError(err);
    failed.end().catch(() => undefined);
    const retry = (): void => {
      if (this.closed) return;
      this.connect()
        .then(() => this.catchUp())
        .catch((e) => {
          this.onError(e);
          setTimeout(retry, RECONNECT_MS).unref();
        });
    };
    setTimeout(retry, RECONNECT_MS).unref();
  }

  /** Stops listening and waits for an in-flight catch-up. */
  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    await this.idle;
    if (client) await client.end();
  }
}
