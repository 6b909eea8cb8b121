/**
 * Test support for the controllers' tests (not used by production code): the real SQLite store,
 * with the journal's tables, that reconciler tests run against, and what they build on it.
 */
import { afterEach } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, JOURNAL_MIGRATIONS } from '../api/journal/journal.js';
import { AdmittedStore } from '../api/server/admitted-store.js';
import type { ObjectStore } from '../api/store/object-store.js';
import type { MigrationSet } from '../api/store/backend.js';
import { openStore } from '../api/store/open-store.js';
import { schemeResolver } from '../api/store/scheme-resolver.js';
import { scheme } from '../resources/index.js';
import { ManualClock } from './runtime/clock.js';

/** Opens a SQLite store (with the journal's tables, and `migrations`' too) in a fresh temp dir named with `prefix`; `cleanup` closes it and removes the dir. */
export async function tempSqliteStore(prefix: string, migrations: MigrationSet[] = []): Promise<{ dir: string; store: ObjectStore; cleanup(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const store = await openStore({ kind: 'sqlite', path: join(dir, 'db.sqlite') }, schemeResolver(scheme), { migrations: [JOURNAL_MIGRATIONS, ...migrations] });
  return {
    dir,
    store,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A tempSqliteStore per test: returns the opener a test calls, and closes and removes the store
 * after each test (registered with afterEach, so call it at the top of a test file).
 */
export function storePerTest(prefix: string, migrations: MigrationSet[] = []): () => Promise<ObjectStore> {
  let open: { cleanup(): Promise<void> } | undefined;
  afterEach(async () => {
    await open?.cleanup();
    open = undefined;
  });
  return async () => {
    const temp = await tempSqliteStore(prefix, migrations);
    open = temp;
    return temp.store;
  };
}

/** What a reconciler test works with. */
export interface ReconcilerStore {
  /** The store itself, to arrange objects as they would be without admission. */
  raw: ObjectStore;
  /** The store behind API admission, as the daemon gives it to controllers. */
  store: AdmittedStore;
  journal: Journal;
  /** A manual clock at 2026-01-01T12:00:00Z. */
  clock: ManualClock;
  /** Closes the store and removes its directory. */
  cleanup(): Promise<void>;
}

/** A tempSqliteStore (named with `prefix`) with admission, the journal and a manual clock on it. */
export async function reconcilerStore(prefix: string): Promise<ReconcilerStore> {
  const { store: raw, cleanup } = await tempSqliteStore(prefix);
  return { raw, store: new AdmittedStore(raw, scheme), journal: new Journal(raw), clock: new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0)), cleanup };
}
