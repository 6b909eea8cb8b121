/**
 * The thin storage layer under ObjectStore. Each database (SQLite, Postgres) implements this
 * interface; every Kubernetes rule lives above it, in object-store.ts, written once.
 *
 * Tables (names prefixed `sk_` so other features can share the database):
 * - `sk_objects`  (plural, namespace, name) → uid, resource_version, object JSON
 * - `sk_owners`   (owner_uid, plural, namespace, name): the ownerReferences index for GC
 * - `sk_changes`  (resource_version PK, plural, namespace, name, type, object, prev_object):
 *   the watch history, written in the SAME transaction as the object row, so a crash never
 *   shows one without the other; compacted to the last N entries (and, optionally, by age)
 * - `sk_compaction` (plural PK, horizon): per plural, the newest resourceVersion compacted out
 *   of sk_changes, written in the compacting transaction; a watch of that plural from an older
 *   version answers 410 (docs/decisions/0024)
 * - `sk_rv`       one row holding the global resourceVersion counter
 * - `schema_migrations` (component, version): versioned migrations applied at open
 */
import type { Dialect, ExtraReads, ExtraWrites } from './store.js';

export type { Dialect, ExtraReads, ExtraWrites };

/** The address of one object. Cluster-scoped objects have namespace ''. */
export interface ObjectKey {
  plural: string;
  namespace: string;
  name: string;
}

/** One row of the objects table. `json` is the whole object, resourceVersion included. */
export interface StoredObject extends ObjectKey {
  uid: string;
  resourceVersion: number;
  json: string;
}

/** The watch event types a change can carry. */
export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One row of the changes table (the watch history). */
export interface ChangeRecord extends ObjectKey {
  resourceVersion: number;
  type: ChangeType;
  /** The object after the change (for DELETED: as it was removed). */
  json: string;
  /** The object before the change (absent for ADDED); lets watchers see selector transitions. */
  prevJson?: string;
}

/** Filters for reading objects in (namespace, name) order. */
export interface ObjectQuery {
  plural: string;
  namespace?: string;
  name?: string;
  /** Exclusive lower bound on (namespace, name), for pagination. */
  after?: { namespace: string; name: string };
  limit?: number;
}

/** Reads, inside or outside a transaction; `execute` reads other features' tables (read-only outside one). */
export interface BackendReader extends ExtraReads {
  getObject(key: ObjectKey): Promise<StoredObject | undefined>;
  /** Objects matching `q`, ordered by (namespace, name). */
  listObjects(q: ObjectQuery): Promise<StoredObject[]>;
  /** How many objects match `q` (ignoring `limit`). */
  countObjects(q: ObjectQuery): Promise<number>;
  /** The latest committed resourceVersion (inside a transaction: the latest allocated). */
  currentResourceVersion(): Promise<number>;
  /** Keys of the objects whose ownerReferences name `ownerUid`. */
  dependentsOf(ownerUid: string): Promise<ObjectKey[]>;
  /** The object with this uid, if it exists. */
  getByUid(uid: string): Promise<StoredObject | undefined>;
  /** Objects (any plural) carrying `finalizer`; a full scan, used only by the sweep at open. */
  findByFinalizer(finalizer: string): Promise<StoredObject[]>;
}

/** A write transaction. Writers are serialized (see each backend for how). */
export interface BackendTx extends BackendReader, ExtraWrites {
  /** Allocates the next global resourceVersion (one per object change). */
  nextResourceVersion(): Promise<number>;
  /** Inserts or replaces the object row. */
  putObject(obj: StoredObject): Promise<void>;
  /**
   * Inserts a new object's row and its ADDED history row `change`, unless an object with this key
   * exists: then nothing is written and the answer is false. On Postgres the INSERT is the
   * existence check, so a create costs one round trip under the write lock instead of a read and
   * a write.
   */
  createObject(obj: StoredObject, change: ChangeRecord): Promise<boolean>;
  deleteObject(key: ObjectKey): Promise<void>;
  /** Replaces the ownerReferences index entries of `key`. */
  setOwners(key: ObjectKey, ownerUids: string[]): Promise<void>;
  /** Appends a watch history row (same transaction as the object row). */
  appendChange(change: ChangeRecord): Promise<void>;
}

/**
 * Receives committed changes, in resourceVersion order, each exactly once. When versions before
 * `changes[0]` were compacted before this process read them (a gap), `horizons` says, per plural,
 * the newest version compacted away, so only watchers of those plurals expire.
 */
export type ChangeListener = (changes: ChangeRecord[], horizons?: CompactionHorizons) => void;

/** Per plural, the newest resourceVersion of a change no longer retained. */
export type CompactionHorizons = ReadonlyMap<string, number>;

/** What a watch hub starts from: one consistent snapshot of the history. */
export interface WatchHistory {
  /** The latest committed resourceVersion. */
  resourceVersion: number;
  /** The newest retained changes, oldest first. */
  changes: ChangeRecord[];
  /** Horizons of everything older than `changes` (compacted, or retained but not loaded). */
  horizons: CompactionHorizons;
}

/** A versioned set of migrations for one component; each migration is a list of statements. */
export interface MigrationSet {
  component: string;
  sqlite: string[][];
  postgres: string[][];
}

/** One migration not yet applied: its component, version (1-based) and statements. */
export interface PendingMigration {
  component: string;
  version: number;
  statements: string[];
}

/** The database was migrated by a newer sidekick: this one does not know its schema, so it refuses to use it. */
export class SchemaTooNewError extends Error {
  constructor(readonly component: string, readonly applied: number, readonly known: number) {
    super(
      `the database schema of "${component}" is at version ${applied}, newer than this sidekick knows (${known}): ` +
        'it was migrated by a newer version; run that version (or newer), never an older one, against it',
    );
    this.name = 'SchemaTooNewError';
  }
}

/**
 * The migrations of `set` not in `applied` (the versions recorded for its component), oldest
 * first. Throws SchemaTooNewError when a version beyond what this binary knows was applied: an
 * older binary must not write a schema it cannot read.
 */
export function pendingMigrations(set: MigrationSet, dialect: Dialect, applied: Iterable<number>): PendingMigration[] {
  const known = set[dialect].length;
  const done = new Set(applied);
  const newest = Math.max(0, ...done);
  if (newest > known) throw new SchemaTooNewError(set.component, newest, known);
  return set[dialect].flatMap((statements, i) => (done.has(i + 1) ? [] : [{ component: set.component, version: i + 1, statements }]));
}

/** How a write transaction may be run. */
export interface TransactionOptions {
  /**
   * `fn` only reads and writes through its `tx` and may run again from scratch (nothing it did is
   * kept or seen outside until the commit). Postgres then sends its writes with later statements
   * and, when one of those fails, runs it again (postgres-batch.ts).
   */
  replayable?: boolean;
}

/** What ObjectStore needs from a database. */
export interface StoreBackend {
  readonly dialect: Dialect;
  /** Runs `fn` in one read snapshot (a list and its resourceVersion agree). */
  read<T>(fn: (r: BackendReader) => Promise<T>): Promise<T>;
  /** Runs `fn` in one write transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: BackendTx) => Promise<T>, opts?: TransactionOptions): Promise<T>;
  /** The newest `limit` changes, oldest first. */
  recentChanges(limit: number): Promise<ChangeRecord[]>;
  /** The newest `limit` changes with the current version and the horizons of the rest (the hub at open). */
  watchHistory(limit: number): Promise<WatchHistory>;
  /**
   * Registers the single listener for committed changes (this process's and, for Postgres, other
   * processes'), delivering everything committed after `afterRv` (the version the hub was loaded at).
   */
  onChanges(listener: ChangeListener, afterRv: number): void;
  /** Owner uids referenced in the owners index that no longer exist (dangling after a crash). */
  danglingOwnerUids(): Promise<string[]>;
  close(): Promise<void>;
}

/** Tunables shared by both backends. */
export interface BackendOptions {
  /** Changes kept in the history table (default 4,096); older ones are compacted. */
  historyLimit?: number;
  /**
   * Changes older than this (ms) are compacted even while fewer than `historyLimit` are kept
   * (default: none, the count alone bounds the history). kube-apiserver compacts etcd every 5 min.
   */
  historyRetentionMs?: number;
  /** How often an idle store compacts its history by itself (default 60 s). */
  compactionIntervalMs?: number;
  /** Extra migration sets (other features' tables), applied after the store's own. */
  migrations?: MigrationSet[];
  /**
   * How long a write keeps retrying while the database is busy (another process holds SQLite's
   * write lock; Postgres cannot be reached) before it is answered 503 (default 5 s).
   */
  busyTimeoutMs?: number;
}

/** How much history is kept: the newest `limit` changes, and none older than `retentionMs`. */
export interface HistoryPolicy {
  limit: number;
  retentionMs?: number;
}

/** The busy timeout when none is configured. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/**
 * The history size when none is configured. Every retained change is held in memory too (the watch
 * ring), so this bounds the daemon's memory; a watcher that falls further behind relists, which
 * informers and kubectl do on their own (410 Gone). kube-apiserver keeps far less per resource.
 */
export const DEFAULT_HISTORY_LIMIT = 4096;

/** The sk_compaction row whose horizon applies to every plural (history trimmed before horizons were kept). */
export const ALL_PLURALS = '*';

/** How often an idle store compacts its history when none is configured. */
export const DEFAULT_COMPACTION_INTERVAL_MS = 60_000;

/** The store's own schema, one migration per entry, per dialect. */
export const STORE_MIGRATIONS: MigrationSet = {
  component: 'store',
  sqlite: [
    [
      `CREATE TABLE sk_objects (
         plural TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
         uid TEXT NOT NULL, resource_version INTEGER NOT NULL, object TEXT NOT NULL,
         PRIMARY KEY (plural, namespace, name)) WITHOUT ROWID`,
      `CREATE UNIQUE INDEX sk_objects_uid ON sk_objects (uid)`,
      `CREATE TABLE sk_owners (
         owner_uid TEXT NOT NULL, plural TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
         PRIMARY KEY (owner_uid, plural, namespace, name)) WITHOUT ROWID`,
      `CREATE INDEX sk_owners_dependent ON sk_owners (plural, namespace, name)`,
      `CREATE TABLE sk_changes (
         resource_version INTEGER PRIMARY KEY, plural TEXT NOT NULL, namespace TEXT NOT NULL,
         name TEXT NOT NULL, type TEXT NOT NULL CHECK (type IN ('ADDED','MODIFIED','DELETED')),
         object TEXT NOT NULL, prev_object TEXT)`,
      `CREATE TABLE sk_rv (id INTEGER PRIMARY KEY CHECK (id = 1), v INTEGER NOT NULL)`,
      `INSERT INTO sk_rv (id, v) VALUES (1, 0)`,
    ],
    // Per-kind compaction horizons and the commit time that age retention compacts by (ms since
    // the epoch; SQLite cannot default a new column to the clock, so inserts set it). What was
    // trimmed before this migration is of unknown kinds: the row ALL_PLURALS covers every kind.
    [
      `CREATE TABLE sk_compaction (plural TEXT PRIMARY KEY, horizon INTEGER NOT NULL) WITHOUT ROWID`,
      `INSERT INTO sk_compaction (plural, horizon) SELECT '*', coalesce((SELECT min(resource_version) FROM sk_changes), v + 1) - 1 FROM sk_rv`,
      `ALTER TABLE sk_changes ADD COLUMN created_ms INTEGER NOT NULL DEFAULT 0`,
      `UPDATE sk_changes SET created_ms = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)`,
      `CREATE INDEX sk_changes_created ON sk_changes (created_ms)`,
    ],
  ],
  postgres: [
    [
      `CREATE TABLE sk_objects (
         plural TEXT COLLATE "C" NOT NULL, namespace TEXT COLLATE "C" NOT NULL, name TEXT COLLATE "C" NOT NULL,
         uid TEXT NOT NULL UNIQUE, resource_version BIGINT NOT NULL, object JSONB NOT NULL,
         PRIMARY KEY (plural, namespace, name))`,
      `CREATE TABLE sk_owners (
         owner_uid TEXT NOT NULL, plural TEXT COLLATE "C" NOT NULL, namespace TEXT COLLATE "C" NOT NULL,
         name TEXT COLLATE "C" NOT NULL,
         PRIMARY KEY (owner_uid, plural, namespace, name))`,
      `CREATE INDEX sk_owners_dependent ON sk_owners (plural, namespace, name)`,
      `CREATE TABLE sk_changes (
         resource_version BIGINT PRIMARY KEY, plural TEXT NOT NULL, namespace TEXT NOT NULL,
         name TEXT NOT NULL, type TEXT NOT NULL CHECK (type IN ('ADDED','MODIFIED','DELETED')),
         object JSONB NOT NULL, prev_object JSONB)`,
      `CREATE TABLE sk_rv (id INTEGER PRIMARY KEY CHECK (id = 1), v BIGINT NOT NULL)`,
      `INSERT INTO sk_rv (id, v) VALUES (1, 0)`,
    ],
    [
      `CREATE TABLE sk_compaction (plural TEXT NOT NULL PRIMARY KEY, horizon BIGINT NOT NULL)`,
      `INSERT INTO sk_compaction (plural, horizon) SELECT '*', coalesce((SELECT min(resource_version) FROM sk_changes), v + 1) - 1 FROM sk_rv`,
      `ALTER TABLE sk_changes ADD COLUMN created_at TIMESTAMPTZ NOT NULL DEFAULT now()`,
      `CREATE INDEX sk_changes_created ON sk_changes (created_at)`,
    ],
  ],
};

/** How often (in allocated versions) a writer compacts the history table. */
export const TRIM_EVERY = 64;
