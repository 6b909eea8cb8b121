/**
 * The runtime node's outbox is its local store itself: what to send is read from the store's own
 * tables (the session journal and the watch history, sk_changes), and how far the control plane
 * has acknowledged is kept in two cursor tables beside them. Nothing is copied into a queue, so a
 * node that runs for days without NATS holds no second copy of its work, and a crash between a
 * publish and its cursor write only re-sends (JetStream and the ingest drop the repeat).
 */
import type { KubeObject } from '../../resources/meta.js';
import type { MigrationSet } from '../store/backend.js';
import { forDialect as sql } from '../store/placeholders.js';
import type { ExtraReads, Store } from '../store/store.js';

export const OUTBOX_MIGRATIONS: MigrationSet = {
  component: 'runtime-outbox',
  sqlite: [
    [
      `CREATE TABLE sk_outbox_journal (session TEXT PRIMARY KEY, sequence INTEGER NOT NULL) WITHOUT ROWID`,
      `CREATE TABLE sk_outbox_objects (id INTEGER PRIMARY KEY CHECK (id = 1), resource_version INTEGER NOT NULL)`,
    ],
  ],
  postgres: [
    [
      `CREATE TABLE sk_outbox_journal (session TEXT PRIMARY KEY, sequence BIGINT NOT NULL)`,
      `CREATE TABLE sk_outbox_objects (id INTEGER PRIMARY KEY CHECK (id = 1), resource_version BIGINT NOT NULL)`,
    ],
  ],
};

/** The kinds a node reports: status of what the control plane gave it, whole objects of what it made. */
export const PUBLISHED_PLURALS = ['runs', 'interventions', 'approvals', 'artifacts', 'events'] as const;

/** One object change to send, as the node's history holds it. */
export interface OutboxChange {
  resourceVersion: number;
  plural: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObject;
  prev?: KubeObject;
}

/** What one pass sends: the object changes up to `upTo`, read in one snapshot. */
export interface ObjectSnapshot {
  /** Where the object cursor moves once these are acknowledged. */
  upTo: number;
  changes: OutboxChange[];
  /** True when the history no longer reaches back to the cursor: `changes` is the current state of everything. */
  relisted: boolean;
  /** True when this is one page of a longer history (read again after sending it). */
  more: boolean;
}

/** Changes read per pass; a longer history is sent over several passes. */
const PAGE = 2000;

/** SQLite keeps object text; Postgres JSONB comes back parsed. */
function parsed(v: unknown): KubeObject {
  return (typeof v === 'string' ? JSON.parse(v) : v) as KubeObject;
}

function placeholders(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/**
 * Reads, in one snapshot, the published kinds' changes after the object cursor. When history
 * older than the cursor was compacted away (the node's 410), it answers the current objects
 * instead (a relist: level, not edge), each at its own resourceVersion.
 */
export async function readObjectChanges(store: Store, plurals: readonly string[] = PUBLISHED_PLURALS): Promise<ObjectSnapshot> {
  return snapshot(store, async (r) => {
    const cursor = await objectCursor(r);
    const head = Number((await r.execute('SELECT v FROM sk_rv WHERE id = 1'))[0]?.v ?? 0);
    const horizons = await r.execute(sql(r, `SELECT plural, horizon FROM sk_compaction WHERE plural IN (${placeholders(plurals.length + 1)})`), ['*', ...plurals]);
    if (horizons.some((h) => Number(h.horizon) > cursor)) {
      const rows = await r.execute(sql(r, `SELECT plural, resource_version, object FROM sk_objects WHERE plural IN (${placeholders(plurals.length)}) ORDER BY resource_version`), [...plurals]);
      const changes = rows.map((row) => ({ resourceVersion: Number(row.resource_version), plural: String(row.plural), type: 'MODIFIED' as const, object: parsed(row.object) }));
      return { upTo: head, changes, relisted: true, more: false };
    }
    const rows = await r.execute(
      sql(r, `SELECT resource_version, plural, type, object, prev_object FROM sk_changes WHERE resource_version > ? AND resource_version <= ? AND plural IN (${placeholders(plurals.length)}) ORDER BY resource_version LIMIT ${PAGE}`),
      [cursor, head, ...plurals],
    );
    const changes = rows.map((row) => ({
      resourceVersion: Number(row.resource_version),
      plural: String(row.plural),
      type: String(row.type) as OutboxChange['type'],
      object: parsed(row.object),
      ...(row.prev_object !== null && row.prev_object !== undefined ? { prev: parsed(row.prev_object) } : {}),
    }));
    const more = changes.length === PAGE;
    return { upTo: more ? changes[PAGE - 1].resourceVersion : head, changes, relisted: false, more };
  });
}

function snapshot<T>(store: Store, fn: (r: ExtraReads) => Promise<T>): Promise<T> {
  if (store.readTransaction) return store.readTransaction(fn);
  if (store.transaction) return store.transaction(fn);
  throw new Error('runtime outbox: the local store offers no transactions');
}

async function objectCursor(r: ExtraReads): Promise<number> {
  const rows = await r.execute('SELECT resource_version FROM sk_outbox_objects WHERE id = 1');
  return Number(rows[0]?.resource_version ?? 0);
}

/** The journal heads not yet acknowledged: per session, the cursor and the last local sequence. */
export async function journalBacklog(store: Store): Promise<{ session: string; cursor: number; head: number }[]> {
  const rows = await snapshot(store, (r) =>
    r.execute(
      `SELECT j.session AS session, MAX(j.sequence) AS head, COALESCE(MAX(o.sequence), 0) AS cursor
         FROM sk_journal j LEFT JOIN sk_outbox_journal o ON o.session = j.session
        GROUP BY j.session`,
    ),
  );
  return rows
    .map((row) => ({ session: String(row.session), cursor: Number(row.cursor), head: Number(row.head) }))
    .filter((s) => s.head > s.cursor);
}

/**
 * Moves the journal cursors and the object cursor forward (never back) in one transaction: one
 * commit per publishing pass.
 */
export async function advanceCursors(store: Store, journal: readonly { session: string; sequence: number }[], resourceVersion: number | undefined): Promise<void> {
  if (journal.length === 0 && resourceVersion === undefined) return;
  await store.transaction!(async (tx) => {
    for (const c of journal) {
      await tx.execute(
        sql(tx, `INSERT INTO sk_outbox_journal (session, sequence) VALUES (?, ?)
                 ON CONFLICT (session) DO UPDATE SET sequence = excluded.sequence WHERE sk_outbox_journal.sequence < excluded.sequence`),
        [c.session, c.sequence],
      );
    }
    if (resourceVersion === undefined) return;
    await tx.execute(
      sql(tx, `INSERT INTO sk_outbox_objects (id, resource_version) VALUES (1, ?)
               ON CONFLICT (id) DO UPDATE SET resource_version = excluded.resource_version WHERE sk_outbox_objects.resource_version < excluded.resource_version`),
      [resourceVersion],
    );
  });
}

/** How many published-kind changes are past the object cursor (the object backlog). */
export async function objectBacklog(store: Store, plurals: readonly string[] = PUBLISHED_PLURALS): Promise<number> {
  return snapshot(store, async (r) => {
    const cursor = await objectCursor(r);
    const rows = await r.execute(sql(r, `SELECT COUNT(*) AS n FROM sk_changes WHERE resource_version > ? AND plural IN (${placeholders(plurals.length)})`), [cursor, ...plurals]);
    return Number(rows[0]?.n ?? 0);
  });
}
