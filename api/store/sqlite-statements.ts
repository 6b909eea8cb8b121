/**
 * SQLite plumbing for the store: connections with the right pragmas, row conversions, prepared
 * statements (one set per connection; list/count statements prepared once per query shape) and
 * migrations.
 */
import Database from 'better-sqlite3';
import { pendingMigrations, type MigrationSet, type ObjectQuery } from './backend.js';
import { rowConverters } from './rows.js';

/** A better-sqlite3 connection. */
export type Db = Database.Database;
type Stmt = Database.Statement;

/** Converts sk_objects and sk_changes rows; SQLite keeps each object's text as it was written. */
export const { toStored, toChange } = rowConverters((text) => text);

/** SQLite's `synchronous` levels the store may run with. */
export type Synchronous = 'FULL' | 'NORMAL';

/** Opens a connection with the pragmas every connection needs. */
export function connect(path: string, synchronous: Synchronous = 'FULL'): Db {
  const db = new Database(path);
  // WAL lets the reader run beside the writer. synchronous=FULL makes every COMMIT fsync the WAL
  // before it returns, so an acknowledged write survives an OS crash or power cut, not only a
  // kill -9 (with NORMAL, WAL is fsynced only at checkpoints and the last commits can vanish).
  // Group commit (sqlite.ts) makes that one fsync per batch, not per write; the cost is measured
  // in docs/decisions/0002.
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  return db;
}

/** Prepared statements bound to one connection, including per-shape list queries. */
export class Statements {
  readonly get: Stmt;
  readonly rv: Stmt;
  readonly dependents: Stmt;
  readonly byUid: Stmt;
  readonly byFinalizer: Stmt;
  private readonly shapes = new Map<string, Stmt>();
  private readonly extra = new Map<string, Stmt>();

  constructor(readonly db: Db) {
    this.get = db.prepare('SELECT * FROM sk_objects WHERE plural = ? AND namespace = ? AND name = ?');
    this.rv = db.prepare('SELECT v FROM sk_rv WHERE id = 1').pluck();
    this.dependents = db.prepare('SELECT plural, namespace, name FROM sk_owners WHERE owner_uid = ?');
    this.byUid = db.prepare('SELECT * FROM sk_objects WHERE uid = ?');
    this.byFinalizer = db.prepare(
      "SELECT o.* FROM sk_objects o WHERE EXISTS (SELECT 1 FROM json_each(o.object, '$.metadata.finalizers') f WHERE f.value = ?)",
    );
  }

  /** A statement of another feature (the journal's), prepared once per text on this connection. */
  prepared(sqlText: string): Stmt {
    let stmt = this.extra.get(sqlText);
    if (!stmt) this.extra.set(sqlText, (stmt = this.db.prepare(sqlText)));
    return stmt;
  }

  /** A list or count statement for the filters present in `q`, prepared once per shape. */
  query(q: ObjectQuery, count: boolean): { stmt: Stmt; params: unknown[] } {
    const where = ['plural = ?'];
    const params: unknown[] = [q.plural];
    if (q.namespace !== undefined) (where.push('namespace = ?'), params.push(q.namespace));
    if (q.name !== undefined) (where.push('name = ?'), params.push(q.name));
    if (q.after) (where.push('(namespace, name) > (?, ?)'), params.push(q.after.namespace, q.after.name));
    let text = `SELECT ${count ? 'count(*)' : '*'} FROM sk_objects WHERE ${where.join(' AND ')}`;
    if (!count) {
      text += ' ORDER BY namespace, name LIMIT ?';
      params.push(q.limit ?? -1);
    }
    let stmt = this.shapes.get(text);
    if (!stmt) {
      stmt = this.db.prepare(text);
      if (count) stmt.pluck();
      this.shapes.set(text, stmt);
    }
    return { stmt, params };
  }
}

/** Write statements of the writer connection. */
export class WriteStatements extends Statements {
  readonly begin: Stmt;
  readonly commit: Stmt;
  readonly rollback: Stmt;
  readonly savepoint: Stmt;
  readonly release: Stmt;
  readonly rollbackTo: Stmt;
  readonly put: Stmt;
  readonly del: Stmt;
  readonly delOwners: Stmt;
  readonly addOwner: Stmt;
  readonly change: Stmt;
  readonly setRv: Stmt;
  readonly ageCut: Stmt;
  readonly raiseHorizons: Stmt;
  readonly trim: Stmt;
  readonly recent: Stmt;
  readonly horizons: Stmt;
  readonly olderThan: Stmt;
  readonly dangling: Stmt;

  constructor(db: Db) {
    super(db);
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.savepoint = db.prepare('SAVEPOINT sk_job');
    this.release = db.prepare('RELEASE sk_job');
    this.rollbackTo = db.prepare('ROLLBACK TO sk_job');
    this.put = db.prepare(
      'INSERT OR REPLACE INTO sk_objects (plural, namespace, name, uid, resource_version, object) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.del = db.prepare('DELETE FROM sk_objects WHERE plural = ? AND namespace = ? AND name = ?');
    this.delOwners = db.prepare('DELETE FROM sk_owners WHERE plural = ? AND namespace = ? AND name = ?');
    this.addOwner = db.prepare('INSERT OR IGNORE INTO sk_owners (owner_uid, plural, namespace, name) VALUES (?, ?, ?, ?)');
    // created_ms is SQLite's clock at the insert (age retention compacts by it).
    this.change = db.prepare(
      `INSERT INTO sk_changes (resource_version, plural, namespace, name, type, object, prev_object, created_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))`,
    );
    this.setRv = db.prepare('UPDATE sk_rv SET v = ? WHERE id = 1');
    // Compaction (see compactHistory in sqlite-tx.ts): the age cut, the horizons, the delete.
    this.ageCut = db
      .prepare(`SELECT max(resource_version) FROM sk_changes WHERE created_ms < CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) - ?`)
      .pluck();
    this.raiseHorizons = db.prepare(
      `INSERT INTO sk_compaction (plural, horizon)
       SELECT plural, max(resource_version) FROM sk_changes WHERE resource_version <= ? GROUP BY plural
       ON CONFLICT (plural) DO UPDATE SET horizon = max(horizon, excluded.horizon)`,
    );
    this.trim = db.prepare('DELETE FROM sk_changes WHERE resource_version <= ?');
    this.recent = db.prepare('SELECT * FROM sk_changes ORDER BY resource_version DESC LIMIT ?');
    this.horizons = db.prepare('SELECT plural, horizon FROM sk_compaction');
    this.olderThan = db.prepare('SELECT plural, max(resource_version) AS horizon FROM sk_changes WHERE resource_version < ? GROUP BY plural');
    this.dangling = db
      .prepare('SELECT DISTINCT owner_uid FROM sk_owners o WHERE NOT EXISTS (SELECT 1 FROM sk_objects WHERE uid = o.owner_uid)')
      .pluck();
  }
}

/** Applies pending migrations of each set, each in its own transaction. */
export function migrateSqlite(db: Db, sets: MigrationSet[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (component TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (component, version))');
  const applied = db.prepare('SELECT version FROM schema_migrations WHERE component = ?').pluck();
  const record = db.prepare('INSERT INTO schema_migrations (component, version) VALUES (?, ?)');
  for (const set of sets) {
    for (const m of pendingMigrations(set, 'sqlite', applied.all(set.component) as number[])) {
      db.transaction(() => {
        for (const s of m.statements) db.exec(s);
        record.run(set.component, m.version);
      }).immediate();
    }
  }
}

