/**
 * Opens the Store for a configuration: embedded SQLite (the daemon) or Postgres (the control
 * plane). Both give the same ObjectStore semantics.
 */
import type { StoreMetrics } from '../metrics.js';
import type { MigrationSet, StoreBackend } from './backend.js';
import { ObjectStore, type ObjectStoreOptions } from './object-store.js';
import { PostgresBackend } from './postgres.js';
import { SqliteBackend } from './sqlite.js';
import type { ResourceResolver } from './store.js';
import { TimedBackend } from './timed-backend.js';

/** Where the store lives: a SQLite file (e.g. `$SIDEKICK_HOME/sidekick.db`) or a Postgres URL. */
export type StoreConfig = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/** Options of {@link openStore}. */
export interface OpenStoreOptions extends ObjectStoreOptions {
  /** Other features' tables (e.g. the session journal), migrated at open with the store's own. */
  migrations?: MigrationSet[];
  /** How long a write waits for a busy database before it is answered 503 (default 5 s). */
  busyTimeoutMs?: number;
  /** Receives the duration of every read and write transaction (sidekick_store_operation_duration_seconds). */
  metrics?: StoreMetrics;
  /** Changes older than this (ms) leave the database's history even below `historyLimit` (default: none). */
  historyRetentionMs?: number;
  /** How often an idle store compacts its history (default 60 s). */
  compactionIntervalMs?: number;
  /** Postgres: how often the change poll catches up what no notification announced (default 1 s). */
  changePollMs?: number;
  /** Postgres: false never LISTENs and relies on the poll (PgBouncer in transaction mode). */
  listen?: boolean;
}

/** Opens (creating and migrating as needed) the store described by `config`. */
export async function openStore(config: StoreConfig, resolver: ResourceResolver, opts: OpenStoreOptions = {}): Promise<ObjectStore> {
  const backendOpts = {
    historyLimit: opts.historyLimit,
    historyRetentionMs: opts.historyRetentionMs,
    compactionIntervalMs: opts.compactionIntervalMs,
    migrations: opts.migrations,
    busyTimeoutMs: opts.busyTimeoutMs,
    changePollMs: opts.changePollMs,
    listen: opts.listen,
    onError: opts.onBackgroundError,
  };
  const opened: StoreBackend = config.kind === 'sqlite' ? new SqliteBackend(config.path, backendOpts) : await PostgresBackend.open(config.url, backendOpts);
  const backend = opts.metrics ? new TimedBackend(opened, opts.metrics) : opened;
  try {
    return await ObjectStore.open(backend, resolver, opts);
  } catch (err) {
    await backend.close();
    throw err;
  }
}
