/**
 * Versioned migrations on both backends: what runs once, what a dry run plans, and the refusal of
 * a schema written by a newer binary (an older sidekick must never use it).
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import m, { sql } from '@databases/pg';
import { describeWithPostgres, pgAdmin } from '../../test/services.js';
import { SchemaTooNewError, STORE_MIGRATIONS, type MigrationSet } from './backend.js';
import { migratePostgres, planPostgresMigrations } from './postgres-migrate.js';
import { SqliteBackend } from './sqlite.js';

const extra = (versions: number): MigrationSet => ({
  component: 'extra',
  sqlite: Array.from({ length: versions }, (_, i) => [`CREATE TABLE extra_${i + 1} (x INTEGER)`]),
  postgres: Array.from({ length: versions }, (_, i) => [`CREATE TABLE extra_${i + 1} (x INTEGER)`]),
});

describe('migrations on SQLite', () => {
  it('refuses a database migrated by a newer binary, naming the versions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sk-migrate-'));
    try {
      const path = join(dir, 'db.sqlite');
      await new SqliteBackend(path, { migrations: [extra(2)] }).close();
      await new SqliteBackend(path, { migrations: [extra(2)] }).close();
      expect(() => new SqliteBackend(path, { migrations: [extra(1)] })).toThrow(SchemaTooNewError);
      expect(() => new SqliteBackend(path, { migrations: [extra(1)] })).toThrow('the database schema of "extra" is at version 2, newer than this sidekick knows (1)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeWithPostgres('migrations on Postgres', (getUrl) => {
  const createPool = m.default;
  const databases: string[] = [];
  afterAll(async () => {
    for (const name of databases) await pgAdmin(getUrl(), `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  async function freshDatabase(): Promise<string> {
    const name = `${new URL(getUrl()).pathname.slice(1)}_${databases.length}`;
    await pgAdmin(getUrl(), `CREATE DATABASE ${name}`);
    databases.push(name);
    const u = new URL(getUrl());
    u.pathname = `/${name}`;
    return u.toString();
  }

  it('plans without changing anything, then applies each migration once', async () => {
    const pool = createPool({ connectionString: await freshDatabase(), bigIntMode: 'number' });
    try {
      const plan = await planPostgresMigrations(pool, [STORE_MIGRATIONS, extra(2)]);
      expect(plan.map((p) => `${p.component}/${p.version}`)).toEqual([
        ...STORE_MIGRATIONS.postgres.map((_, i) => `store/${i + 1}`),
        'extra/1',
        'extra/2',
      ]);
      // The dry run created nothing, not even the bookkeeping table.
      const tables = await pool.query(sql`SELECT to_regclass('schema_migrations') IS NULL AS absent, to_regclass('sk_objects') IS NULL AS no_objects`);
      expect(tables[0]).toEqual({ absent: true, no_objects: true });
      const ran = await migratePostgres(pool, [STORE_MIGRATIONS, extra(2)]);
      expect(ran).toHaveLength(plan.length);
      expect(await migratePostgres(pool, [STORE_MIGRATIONS, extra(2)])).toEqual([]);
      expect(await planPostgresMigrations(pool, [STORE_MIGRATIONS, extra(3)])).toEqual([{ component: 'extra', version: 3, statements: ['CREATE TABLE extra_3 (x INTEGER)'] }]);
    } finally {
      await pool.dispose();
    }
  });

  it('migrates once when two replicas start at the same moment', async () => {
    const url = await freshDatabase();
    const pools = [createPool({ connectionString: url, bigIntMode: 'number' }), createPool({ connectionString: url, bigIntMode: 'number' })];
    try {
      const ran = await Promise.all(pools.map((p) => migratePostgres(p, [STORE_MIGRATIONS, extra(2)])));
      // One replica ran everything; the other, holding the lock after it, found nothing to do.
      expect(ran.map((r) => r.length).sort()).toEqual([0, STORE_MIGRATIONS.postgres.length + 2]);
      const rows = await pools[0].query(sql`SELECT component, version FROM schema_migrations ORDER BY component, version`);
      expect(rows.filter((r) => r.component === 'extra')).toEqual([
        { component: 'extra', version: 1 },
        { component: 'extra', version: 2 },
      ]);
    } finally {
      await Promise.all(pools.map((p) => p.dispose()));
    }
  });

  it('refuses a schema newer than the binary, in a dry run too', async () => {
    const pool = createPool({ connectionString: await freshDatabase(), bigIntMode: 'number' });
    try {
      await migratePostgres(pool, [extra(3)]);
      await expect(migratePostgres(pool, [extra(2)])).rejects.toThrow(SchemaTooNewError);
      await expect(planPostgresMigrations(pool, [extra(2)])).rejects.toThrow('is at version 3, newer than this sidekick knows (2)');
    } finally {
      await pool.dispose();
    }
  });
});
