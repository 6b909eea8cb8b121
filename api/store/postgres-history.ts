/**
 * The watch history of the Postgres store: compaction of `sk_changes` (recording per-plural
 * horizons in `sk_compaction` in the same statement), the snapshot a watch hub starts from, and
 * the reads of the change feed. docs/decisions/0024.
 */
import { IsolationLevel, sql, type ConnectionPool, type Queryable, type SQLQuery } from '@databases/pg';
import type { ChangeRecord, CompactionHorizons, HistoryPolicy, WatchHistory } from './backend.js';
import type { ChangesRead } from './postgres-feed.js';
import type { ChangeRow } from './rows.js';

/** The columns of sk_changes as rows.ts reads them. */
export const CHANGE_COLUMNS = sql`resource_version, plural, namespace, name, type, object::text AS object, prev_object::text AS prev_object`;

/**
 * One statement that compacts the history: everything at or below `countCut`, and, with a
 * retention, the prefix up to the newest change older than it (a prefix, so the history never
 * has holes that a reader by revision would mistake for lost changes). The deleted rows' newest
 * version per plural raises that plural's horizon. Runs under the counter row lock (writers and
 * the idle timer alike), so compactions never interleave.
 */
export function compactHistory(countCut: number, policy: HistoryPolicy): SQLQuery {
  const byAge =
    policy.retentionMs !== undefined
      ? sql`(SELECT max(resource_version) FROM sk_changes WHERE created_at < now() - ${policy.retentionMs}::double precision * interval '1 millisecond')`
      : sql`NULL`;
  return sql`
    WITH gone AS (
      DELETE FROM sk_changes WHERE resource_version <= GREATEST(${countCut}::bigint, ${byAge})
      RETURNING plural, resource_version)
    INSERT INTO sk_compaction (plural, horizon)
    SELECT plural, max(resource_version) FROM gone GROUP BY plural ORDER BY plural
    ON CONFLICT (plural) DO UPDATE SET horizon = GREATEST(sk_compaction.horizon, EXCLUDED.horizon)`;
}

/** Compacts outside any writer (the idle timer): takes the counter row lock like a writer. */
export async function compactIdle(pool: ConnectionPool, policy: HistoryPolicy): Promise<void> {
  await pool.tx(async (tx) => {
    const rows = await tx.query(sql`SELECT v FROM sk_rv WHERE id = 1 FOR UPDATE`);
    await tx.query(compactHistory((rows[0].v as number) - policy.limit, policy));
  });
}

/** Per plural, the newest compacted version (the ALL_PLURALS row of backend.ts applies to every plural). */
async function compactionHorizons(db: Queryable): Promise<Map<string, number>> {
  const rows = await db.query(sql`SELECT plural, horizon FROM sk_compaction`);
  return new Map(rows.map((r) => [r.plural as string, r.horizon as number]));
}

/** The hub's starting point, in one snapshot: the newest `limit` changes and the horizons of the rest. */
export function readWatchHistory(pool: ConnectionPool, limit: number, toChange: (r: ChangeRow) => ChangeRecord): Promise<WatchHistory> {
  return pool.tx(
    async (tx) => {
      const [{ v }] = await tx.query(sql`SELECT v FROM sk_rv WHERE id = 1`);
      const rows = (await tx.query(sql`SELECT ${CHANGE_COLUMNS} FROM sk_changes ORDER BY resource_version DESC LIMIT ${limit}`)) as ChangeRow[];
      const changes = rows.map(toChange).reverse();
      const horizons = await compactionHorizons(tx);
      // Retained rows older than the loaded ones are as good as compacted for this hub.
      const oldestLoaded = changes.length ? changes[0].resourceVersion : (v as number) + 1;
      const older = await tx.query(sql`SELECT plural, max(resource_version) AS rv FROM sk_changes WHERE resource_version < ${oldestLoaded} GROUP BY plural`);
      for (const r of older) horizons.set(r.plural as string, Math.max(horizons.get(r.plural as string) ?? 0, r.rv as number));
      return { resourceVersion: v as number, changes, horizons };
    },
    { isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true },
  );
}

/**
 * Changes after `rv`. When the first is not `rv + 1` the versions between were compacted before
 * this process read them: the read is repeated in one snapshot with the compaction horizons, so
 * the hub expires only the watchers of the plurals that lost a change.
 */
export async function readChangesAfter(pool: ConnectionPool, rv: number, limit: number, toChange: (r: ChangeRow) => ChangeRecord): Promise<ChangesRead> {
  const after = (db: Queryable): Promise<ChangeRow[]> =>
    db.query(sql`SELECT ${CHANGE_COLUMNS} FROM sk_changes WHERE resource_version > ${rv} ORDER BY resource_version LIMIT ${limit}`) as Promise<ChangeRow[]>;
  const rows = await after(pool);
  if (!rows.length || rows[0].resource_version === rv + 1) return { changes: rows.map(toChange) };
  return pool.tx(
    async (tx) => {
      const again = await after(tx);
      const horizons: CompactionHorizons = await compactionHorizons(tx);
      return { changes: again.map(toChange), horizons };
    },
    { isolationLevel: IsolationLevel.REPEATABLE_READ, readOnly: true },
  );
}

/** The newest version in the history table (what the feed's poll compares with). */
export async function newestChange(pool: ConnectionPool): Promise<number> {
  const rows = await pool.query(sql`SELECT coalesce(max(resource_version), 0) AS rv FROM sk_changes`);
  return rows[0].rv as number;
}
