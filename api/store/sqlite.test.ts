/**
 * The SQLite backend's WAL checkpoints: never inside a COMMIT (autocheckpoint is off), run by the
 * writer once it is idle, and between batches under load that never goes idle.
 */
import { describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { copyFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../../test/eventually.js';
import { SqliteBackend } from './sqlite.js';
import { tempDirsPerTest } from '../../test/support/temp-dirs.js';

const tempDir = tempDirsPerTest('sk-sqlite-');

/** A write of one history row carrying `json` (~`json.length` bytes of pages). */
function write(b: SqliteBackend, rv: number, json: string): Promise<unknown> {
  return b.transaction((tx) => tx.appendChange({ resourceVersion: rv, plural: 'notes', namespace: 'default', name: `n${rv}`, type: 'ADDED', json }));
}

/**
 * The history rows the database file alone holds, without its WAL: what has been checkpointed.
 * Read from a copy, so the store's own files are not touched.
 */
function checkpointedRows(dir: string): number {
  const copy = join(tempDir(), 'copy.db');
  copyFileSync(join(dir, 'sidekick.db'), copy);
  const db = new Database(copy, { readonly: true });
  try {
    // The schema itself is in the WAL until the first checkpoint.
    if (!db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'sk_changes'").get()) return 0;
    return db.prepare('SELECT count(*) FROM sk_changes').pluck().get() as number;
  } finally {
    db.close();
  }
}

describe('SQLite WAL checkpoints', () => {
  it('a COMMIT that crosses the autocheckpoint size does not checkpoint; the idle writer does afterwards', async () => {
    const dir = tempDir();
    const backend = new SqliteBackend(join(dir, 'sidekick.db'));
    await write(backend, 1, '{}');
    await eventually(() => checkpointedRows(dir) === 1);
    // ~8 MB in one commit: some 2,000 pages, twice SQLite's default autocheckpoint threshold.
    await write(backend, 2, JSON.stringify({ pad: 'x'.repeat(8 * 1024 * 1024) }));
    // Acknowledged, and nothing of it in the database file yet: the COMMIT only appended to the WAL.
    expect(checkpointedRows(dir)).toBe(1);
    await eventually(() => checkpointedRows(dir) === 2);
    await backend.close();
  });

  it('keeps the WAL bounded when the queue never goes idle', async () => {
    const dir = tempDir();
    // NORMAL only to keep the test fast: checkpoints do not depend on it.
    const backend = new SqliteBackend(join(dir, 'sidekick.db'), { synchronous: 'NORMAL' });
    // One writer awaiting each write, a few awaits up the stack like ObjectStore's callers: the
    // next write is queued within the same turn of the event loop as the previous one is
    // acknowledged (the idle checkpoint has no moment to run), yet after the queue looked empty.
    // 2,000 rows of 8 KiB: some 24 MB of WAL frames without checkpoints.
    const row = JSON.stringify({ pad: 'x'.repeat(8 * 1024) });
    for (let rv = 1; rv <= 2000; rv++) {
      await write(backend, rv, row);
      for (let hop = 0; hop < 10; hop++) await null;
    }
    expect(statSync(join(dir, 'sidekick.db-wal')).size).toBeLessThan(8 * 1024 * 1024);
    expect(checkpointedRows(dir)).toBeGreaterThan(0);
    await backend.close();
  });
});
