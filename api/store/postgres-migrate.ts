/**
 * Versioned schema migrations for Postgres: `schema_migrations (component, version)` records
 * what ran; each migration is a list of statements applied in one transaction. Replicas starting
 * at once take turns under an advisory lock, so each migration runs once; a database migrated by a
 * newer binary is refused (SchemaTooNewError), not written with an older schema's assumptions.
 */
import m, { sql, type ConnectionPool, type Queryable } from '@databases/pg';
import { pendingMigrations, type MigrationSet, type PendingMigration } from './backend.js';

const createConnectionPool = m.default;

/** Advisory lock key that serializes migrations of concurrently starting replicas. */
const MIGRATION_LOCK = 7_261_537;

async function appliedVersions(db: Queryable, component: string): Promise<number[]> {
  const exists = await db.query(sql`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`);
  if (!exists[0].present) return [];
  const rows = await db.query(sql`SELECT version FROM schema_migrations WHERE component = ${component}`);
  return rows.map((r) => r.version as number);
}

/** The migrations that would run, in order, changing nothing (`controlplane migrate --dry-run`). */
export async function planPostgresMigrations(pool: ConnectionPool, sets: MigrationSet[]): Promise<PendingMigration[]> {
  const plan: PendingMigration[] = [];
  for (const set of sets) plan.push(...pendingMigrations(set, 'postgres', await appliedVersions(pool, set.component)));
  return plan;
}

/** Applies pending migrations of each set under an advisory lock; returns what ran. */
export async function migratePostgres(pool: ConnectionPool, sets: MigrationSet[]): Promise<PendingMigration[]> {
  return pool.tx(async (tx) => {
    await tx.query(sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    await tx.query(
      sql`CREATE TABLE IF NOT EXISTS schema_migrations (component TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (component, version))`,
    );
    const ran: PendingMigration[] = [];
    for (const set of sets) {
      for (const m of pendingMigrations(set, 'postgres', await appliedVersions(tx, set.component))) {
        for (const s of m.statements) await tx.query(sql.__dangerous__rawValue(s));
        await tx.query(sql`INSERT INTO schema_migrations (component, version) VALUES (${set.component}, ${m.version})`);
        ran.push(m);
      }
    }
    return ran;
  });
}

/** Runs `fn` with a pool of its own on `url`, closed afterwards (the `migrate` command's connection). */
export async function withMigrationPool<T>(url: string, fn: (pool: ConnectionPool) => Promise<T>): Promise<T> {
  const pool = createConnectionPool({ connectionString: url, bigIntMode: 'number', poolSize: 1 });
  try {
    return await fn(pool);
  } finally {
    await pool.dispose();
  }
}
