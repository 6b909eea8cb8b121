/**
 * Driver checkpoints (transcript, provider resume id, script cursor) persisted per run, so a
 * paused run — or any run after a daemon restart — continues where it stopped. Kept in the
 * store's database beside the objects, keyed by run uid.
 */
import type { Store } from '../../api/store/store.js';
import { forDialect as q } from '../../api/store/placeholders.js';
import type { MigrationSet } from '../../api/store/backend.js';
import type { DriverCheckpoint } from '../../node/drivers/contract.js';
import { systemClock, type Clock } from '../runtime/clock.js';

export const CHECKPOINT_MIGRATIONS: MigrationSet = {
  component: 'run-checkpoints',
  sqlite: [[`CREATE TABLE sk_run_checkpoints (run_uid TEXT PRIMARY KEY, checkpoint TEXT NOT NULL, updated TEXT NOT NULL) WITHOUT ROWID`]],
  postgres: [[`CREATE TABLE sk_run_checkpoints (run_uid TEXT PRIMARY KEY, checkpoint TEXT NOT NULL, updated TEXT NOT NULL)`]],
};

/** Reads and writes run checkpoints. */
export class CheckpointStore {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock = systemClock,
  ) {}

  async save(runUid: string, checkpoint: DriverCheckpoint): Promise<void> {
    await this.store.transaction!((tx) =>
      tx.execute(
        q(tx, 'INSERT INTO sk_run_checkpoints (run_uid, checkpoint, updated) VALUES (?, ?, ?) ON CONFLICT (run_uid) DO UPDATE SET checkpoint = excluded.checkpoint, updated = excluded.updated'),
        [runUid, JSON.stringify(checkpoint), new Date(this.clock.now()).toISOString()],
      ),
    );
  }

  async load(runUid: string): Promise<DriverCheckpoint | undefined> {
    const rows = await this.store.transaction!((tx) => tx.execute(q(tx, 'SELECT checkpoint FROM sk_run_checkpoints WHERE run_uid = ?'), [runUid]));
    return rows.length ? (JSON.parse(String(rows[0].checkpoint)) as DriverCheckpoint) : undefined;
  }

  async remove(runUid: string): Promise<void> {
    await this.store.transaction!((tx) => tx.execute(q(tx, 'DELETE FROM sk_run_checkpoints WHERE run_uid = ?'), [runUid]));
  }
}
