/**
 * Versioned schema migrations for Postgres: `schema_migrations (component, version)` records
 * what ran; each migration is a list of statements applied in one transaction.
 */
import { sql, type ConnectionPool } from '@databases/pg';
import type { MigrationSet } from './backend.js';

/** Advisory lock key that serializes migrations of concurrently starting replicas. */
const MIGRATION_LOCK = 7_261_537;

/** Applies pending migrations of each set under an advisory lock (replicas may start together). */
export async function migratePostgres(pool: ConnectionPool, sets: MigrationSet[]): Promise<void> {
  await pool.tx(async (tx) => {
    await tx.query(sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    await tx.query(
      sql`CREATE TABLE IF NOT EXISTS schema_migrations (component TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (component, version))`,
    );
    for (const set of sets) {
      const rows = await tx.query(sql`SELECT version FROM schema_migrations WHERE component = ${set.component}`);
      const done = new Set(rows.map((r) => r.version as number));
      for (const [i, statements] of set.postgres.entries()) {
        if (done.has(i + 1)) continue;
        for (const s of statements) await tx.query(sql.__dangerous__rawValue(s));
        await tx.query(sql`INSERT INTO schema_migrations (component, version) VALUES (${set.component}, ${i + 1})`);
      }
    }
  });
}
