/**
 * Test support for the controllers' tests (not used by production code): the real SQLite store,
 * with the journal's tables, that reconciler tests run against.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JOURNAL_MIGRATIONS } from '../api/journal/journal.js';
import type { ObjectStore } from '../api/store/object-store.js';
import { openStore } from '../api/store/open-store.js';
import { schemeResolver } from '../api/store/scheme-resolver.js';
import { scheme } from '../resources/index.js';

/** Opens a SQLite store (with the journal's tables) in a fresh temp dir named with `prefix`; `cleanup` closes it and removes the dir. */
export async function tempSqliteStore(prefix: string): Promise<{ dir: string; store: ObjectStore; cleanup(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const store = await openStore({ kind: 'sqlite', path: join(dir, 'db.sqlite') }, schemeResolver(scheme), { migrations: [JOURNAL_MIGRATIONS] });
  return {
    dir,
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
