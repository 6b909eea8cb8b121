/**
 * The Postgres backend (the shared control plane), on @databases/pg. Objects and history are
 * JSONB; plural/namespace/name use the "C" collation so order and pagination match SQLite
 * byte for byte. Watchers hear other replicas' commits through postgres-feed.ts.
 *
 * Concurrency: every write batch starts by locking the counter row
 * (`SELECT v FROM sk_rv ... FOR UPDATE`) and allocates versions from it, writing the new value
 * back before COMMIT. The row lock serializes writers — across processes too — so a later
 * writer can only get its version after the earlier one committed: commit order equals
 * resourceVersion order, history reads never see a gap that later fills, and the
 * read-modify-write inside a transaction (optimistic concurrency, finalizers, GC) always sees
 * the latest committed state under READ COMMITTED. Transactions are group-committed, many to a
 * batch, each in its own savepoint (postgres-batch.ts).
 */
import m, { IsolationLevel, sql, type ConnectionPool, type SQLQuery } from '@databases/pg';
import {
  DEFAULT_BUSY_TIMEOUT_MS,
  DEFAULT_COMPACTION_INTERVAL_MS,
  DEFAULT_HISTORY_LIMIT,
  STORE_MIGRATIONS,
  TRIM_EVERY,
  type BackendOptions,
  type HistoryPolicy,
  type WatchHistory,
  type BackendReader,
  type BackendTx,
  type ChangeListener,
  type ChangeRecord,
  type ObjectKey,
  type ObjectQuery,
  type StoreBackend,
  type StoredObject,
  type TransactionOptions,
} from './backend.js';
import { kubeKeyOrder } from './object-meta.js';
import { PostgresGroupCommit } from './postgres-batch.js';
import { PostgresChangeFeed } from './postgres-feed.js';
import type { SqlRunner } from './postgres-writer.js';
import { CHANGE_COLUMNS, compactHistory, compactIdle, newestChange, readChangesAfter, readWatchHistory } from './postgres-history.js';
import { migratePostgres } from './postgres-migrate.js';
import { rowConverters, type ChangeRow, type ObjectRow } from './rows.js';
import { retryStoreFault, storeFaultError } from './store-faults.js';

const createConnectionPool = m.default;

/** JSONB forgets key order; restore the conventional one so objects read like manifests. */
function ordered(text: string): string {
  return JSON.stringify(kubeKeyOrder(JSON.parse(text) as Record<string, unknown>));
}

const { toStored, toChange } = rowConverters(ordered);

const OBJECT_COLUMNS = sql`plural, namespace, name, uid, resource_version, object::text AS object`;

function whereOf(q: ObjectQuery): SQLQuery {
  const parts = [sql`plural = ${q.plural}`];
  if (q.namespace !== undefined) parts.push(sql`namespace = ${q.namespace}`);
  if (q.name !== undefined) parts.push(sql`name = ${q.name}`);
  if (q.after) parts.push(sql`(namespace, name) > (${q.after.namespace}, ${q.after.name})`);
  return sql.join(parts, sql` AND `);
}

/** Turns `text` with `$1..$n` placeholders into a parameterized query. */
function withParams(text: string, params: unknown[]): SQLQuery {
  const pieces: SQLQuery[] = [];
  let last = 0;
  for (const match of text.matchAll(/\$(\d+)/g)) {
    pieces.push(sql.__dangerous__rawValue(text.slice(last, match.index)));
    pieces.push(sql.value(params[Number(match[1]) - 1]));
    last = (match.index ?? 0) + match[0].length;
  }
  pieces.push(sql.__dangerous__rawValue(text.slice(last)));
  return sql.join(pieces, sql``);
}

/** Reads through a pool, a read-only snapshot or a write transaction. */
class PgReader implements BackendReader {
  readonly dialect = 'postgres' as const;
  constructor(protected readonly db: SqlRunner) {}

  /** Runs a read of another feature's tables (in a read-only snapshot, Postgres refuses writes). */
  async execute(sqlText: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    return (await this.db.query(withParams(sqlText, params))) as Record<string, unknown>[];
  }

  async getObject(k: ObjectKey): Promise<StoredObject | undefined> {
    const rows = (await this.db.query(
      sql`SELECT ${OBJECT_COLUMNS} FROM sk_objects WHERE plural = ${k.plural} AND namespace = ${k.namespace} AND name = ${k.name}`,
    )) as ObjectRow[];
    return rows.length ? toStored(rows[0]) : undefined;
  }
  async listObjects(q: ObjectQuery): Promise<StoredObject[]> {
    const limit = q.limit !== undefined ? sql` LIMIT ${q.limit}` : sql``;
    const rows = (await this.db.query(sql`SELECT ${OBJECT_COLUMNS} FROM sk_objects WHERE ${whereOf(q)} ORDER BY namespace, name${limit}`)) as ObjectRow[];
    return rows.map(toStored);
  }
  async countObjects(q: ObjectQuery): Promise<number> {
    const rows = await this.db.query(sql`SELECT count(*)::int AS n FROM sk_objects WHERE ${whereOf(q)}`);
    return rows[0].n as number;
  }
  async currentResourceVersion(): Promise<number> {
    const rows = await this.db.query(sql`SELECT v FROM sk_rv WHERE id = 1`);
    return rows[0].v as number;
  }
  async dependentsOf(ownerUid: string): Promise<ObjectKey[]> {
    return (await this.db.query(sql`SELECT plural, namespace, name FROM sk_owners WHERE owner_uid = ${ownerUid}`)) as ObjectKey[];
  }
  async getByUid(uid: string): Promise<StoredObject | undefined> {
    const rows = (await this.db.query(sql`SELECT ${OBJECT_COLUMNS} FROM sk_objects WHERE uid = ${uid}`)) as ObjectRow[];
    return rows.length ? toStored(rows[0]) : undefined;
  }
  async findByFinalizer(finalizer: string): Promise<StoredObject[]> {
    const want = JSON.stringify([finalizer]);
    const rows = (await this.db.query(
      sql`SELECT ${OBJECT_COLUMNS} FROM sk_objects WHERE object->'metadata'->'finalizers' @> ${want}::jsonb`,
    )) as ObjectRow[];
    return rows.map(toStored);
  }
}

/** One write transaction: a job of a batch that holds the counter row lock (postgres-batch.ts). */
class PgTx extends PgReader implements BackendTx {
  readonly changes: ChangeRecord[] = [];
  readonly hooks: (() => void)[] = [];
  private rv: number;

  constructor(private readonly tx: SqlRunner, private readonly startRv: number, private readonly history: HistoryPolicy) {
    super(tx);
    this.rv = startRv;
  }

  override async currentResourceVersion(): Promise<number> {
    return this.rv;
  }
  async nextResourceVersion(): Promise<number> {
    return ++this.rv;
  }
  /** Queued row write, sent with the next history row in one statement (one round trip per change). */
  private pending: SQLQuery | undefined;

  private async flush(): Promise<void> {
    const q = this.pending;
    this.pending = undefined;
    if (q) await this.write(q);
  }
  /** A write whose result nobody reads: deferred to travel with a later statement when the batch allows it. */
  private async write(q: SQLQuery): Promise<void> {
    if (this.tx.defer) await this.tx.defer(q);
    else await this.tx.query(q);
  }
  async putObject(o: StoredObject): Promise<void> {
    await this.flush();
    this.pending = sql`
      INSERT INTO sk_objects (plural, namespace, name, uid, resource_version, object)
      VALUES (${o.plural}, ${o.namespace}, ${o.name}, ${o.uid}, ${o.resourceVersion}, ${o.json}::jsonb)
      ON CONFLICT (plural, namespace, name) DO UPDATE
      SET uid = EXCLUDED.uid, resource_version = EXCLUDED.resource_version, object = EXCLUDED.object`;
  }
  async createObject(o: StoredObject, c: ChangeRecord): Promise<boolean> {
    await this.flush();
    // The INSERT is the existence check. The history row copies the object Postgres just parsed,
    // so the JSON travels and is parsed once.
    const insert = (onConflict: SQLQuery): SQLQuery => sql`
      WITH object_row AS (
        INSERT INTO sk_objects (plural, namespace, name, uid, resource_version, object)
        VALUES (${o.plural}, ${o.namespace}, ${o.name}, ${o.uid}, ${o.resourceVersion}, ${o.json}::jsonb)${onConflict}
        RETURNING plural, namespace, name, resource_version, object)
      INSERT INTO sk_changes (resource_version, plural, namespace, name, type, object, prev_object)
      SELECT resource_version, plural, namespace, name, 'ADDED', object, NULL FROM object_row
      RETURNING resource_version`;
    if (this.tx.defer) {
      // Deferred, a taken key fails the statement; the batch then runs this job again with its
      // writes sent at once, where the answer below comes back.
      await this.tx.defer(insert(sql``));
    } else {
      // ON CONFLICT DO NOTHING returns no row when the key exists: nothing was written.
      const rows = await this.tx.query(insert(sql` ON CONFLICT (plural, namespace, name) DO NOTHING`));
      if (rows.length === 0) return false;
    }
    this.changes.push(c);
    return true;
  }
  async deleteObject(k: ObjectKey): Promise<void> {
    await this.flush();
    this.pending = sql`DELETE FROM sk_objects WHERE plural = ${k.plural} AND namespace = ${k.namespace} AND name = ${k.name}`;
  }
  async setOwners(k: ObjectKey, ownerUids: string[]): Promise<void> {
    await this.flush();
    await this.write(sql`DELETE FROM sk_owners WHERE plural = ${k.plural} AND namespace = ${k.namespace} AND name = ${k.name}`);
    for (const uid of new Set(ownerUids)) {
      await this.write(sql`INSERT INTO sk_owners (owner_uid, plural, namespace, name) VALUES (${uid}, ${k.plural}, ${k.namespace}, ${k.name})`);
    }
  }
  async appendChange(c: ChangeRecord): Promise<void> {
    const insert = sql`
      INSERT INTO sk_changes (resource_version, plural, namespace, name, type, object, prev_object)
      VALUES (${c.resourceVersion}, ${c.plural}, ${c.namespace}, ${c.name}, ${c.type}, ${c.json}::jsonb, ${c.prevJson ?? null}::jsonb)`;
    const row = this.pending;
    this.pending = undefined;
    // The object row and its history row are different tables: one statement can write both.
    await this.write(row ? sql`WITH object_row AS (${row}) ${insert}` : insert);
    this.changes.push(c);
  }
  override async execute(sqlText: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    await this.flush();
    return (await this.tx.query(withParams(sqlText, params))) as Record<string, unknown>[];
  }
  afterCommit(fn: () => void): void {
    this.hooks.push(fn);
  }

  /** Sends the pending row write and compacts the history; the batch writes the counter and NOTIFY once. */
  async finish(): Promise<void> {
    await this.flush();
    if (this.rv === this.startRv) return;
    if (Math.floor(this.rv / TRIM_EVERY) !== Math.floor(this.startRv / TRIM_EVERY)) {
      await this.write(compactHistory(this.rv - this.history.limit, this.history));
    }
  }
}

/** Options of the Postgres backend. */
export interface PostgresOptions extends BackendOptions {
  /** false: never LISTEN, rely on the change poll alone (PgBouncer in transaction mode breaks LISTEN). */
  listen?: boolean;
  /** How often the change poll looks for commits no notification announced (default 1 s). */
  changePollMs?: number;
  onError?: (err: unknown) => void;
}

/** The Postgres StoreBackend. Open with {@link PostgresBackend.open}. */
export class PostgresBackend implements StoreBackend {
  readonly dialect = 'postgres' as const;
  private readonly writes: PostgresGroupCommit;

  private readonly compactionTimer: NodeJS.Timeout;
  /** The idle compaction in flight, if any. */
  private compacting: Promise<void> | undefined;

  private constructor(
    private readonly pool: ConnectionPool,
    private readonly feed: PostgresChangeFeed,
    url: string,
    private readonly history: HistoryPolicy,
    private readonly busyTimeoutMs: number,
    compactionIntervalMs: number,
    onError: (err: unknown) => void,
  ) {
    this.writes = new PostgresGroupCommit({
      url,
      newTx: (db, rv) => new PgTx(db, rv, history),
      publish: (changes) => feed.offer(changes),
      busyTimeoutMs,
    });
    // A quiet database still shrinks (age retention); writers compact as they go. One at a time:
    // a slow one must not pile the next ones up on the counter lock, holding the pool's connections.
    const compact = (): void => {
      this.compacting ??= compactIdle(pool, history)
        .catch(onError)
        .finally(() => (this.compacting = undefined));
    };
    this.compactionTimer = setInterval(compact, compactionIntervalMs);
    this.compactionTimer.unref();
  }

  /** Connects to `url`, migrates, and starts listening for (and polling) other processes' commits. */
  static async open(url: string, opts: PostgresOptions = {}): Promise<PostgresBackend> {
    const onError = opts.onError ?? ((err: unknown) => console.error('sidekicks store: postgres change feed:', err));
    const pool = createConnectionPool({ connectionString: url, bigIntMode: 'number', onError });
    try {
      await migratePostgres(pool, [STORE_MIGRATIONS, ...(opts.migrations ?? [])]);
      const feed = await PostgresChangeFeed.start(
        { url, changesAfter: (rv, limit) => readChangesAfter(pool, rv, limit, toChange), newestChange: () => newestChange(pool) },
        { listen: opts.listen, pollMs: opts.changePollMs, onError },
      );
      const history = { limit: opts.historyLimit ?? DEFAULT_HISTORY_LIMIT, retentionMs: opts.historyRetentionMs };
      const interval = opts.compactionIntervalMs ?? DEFAULT_COMPACTION_INTERVAL_MS;
      return new PostgresBackend(pool, feed, url, history, opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS, interval, onError);
    } catch (err) {
      await pool.dispose();
      throw err;
    }
  }

  /** Reads are repeated while Postgres cannot be reached (they change nothing), then answer 503. */
  read<T>(fn: (r: BackendReader) => Promise<T>): Promise<T> {
    return retryStoreFault(() => this.pool.tx((tx) => fn(new PgReader(tx)), { isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true }), {
      budgetMs: this.busyTimeoutMs,
    }).catch((err: unknown) => Promise.reject(storeFaultError(err, 'postgres')));
  }

  /**
   * Runs `fn` in the next group-committed batch. Getting a connection and the lock is retried;
   * once the batch has begun a lost connection is not retried (the COMMIT may have reached the
   * server), only answered 503.
   */
  transaction<T>(fn: (tx: BackendTx) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
    return this.writes.submit(fn, opts.replayable === true);
  }

  async recentChanges(limit: number): Promise<ChangeRecord[]> {
    const rows = (await this.pool.query(
      sql`SELECT ${CHANGE_COLUMNS} FROM sk_changes ORDER BY resource_version DESC LIMIT ${limit}`,
    )) as ChangeRow[];
    return rows.map(toChange).reverse();
  }

  watchHistory(limit: number): Promise<WatchHistory> {
    return readWatchHistory(this.pool, limit, toChange);
  }

  onChanges(listener: ChangeListener, afterRv: number): void {
    this.feed.attach(afterRv, listener);
  }

  async danglingOwnerUids(): Promise<string[]> {
    const rows = await this.pool.query(
      sql`SELECT DISTINCT owner_uid FROM sk_owners o WHERE NOT EXISTS (SELECT 1 FROM sk_objects WHERE uid = o.owner_uid)`,
    );
    return rows.map((r) => r.owner_uid as string);
  }

  async close(): Promise<void> {
    clearInterval(this.compactionTimer);
    await this.compacting;
    await this.writes.close();
    await this.feed.close();
    await this.pool.dispose();
  }
}
