/** The schema the control plane owns: the store's tables and the features that share its database. */
import { STORE_MIGRATIONS, type MigrationSet } from '../../api/store/backend.js';
import { JOURNAL_MIGRATIONS } from '../../api/journal/journal.js';
import { INGEST_MIGRATIONS } from '../../api/runtime/ingest.js';
import { CHECKPOINT_MIGRATIONS } from '../../controllers/run/checkpoints.js';
import { NODE_IDENTITY_MIGRATIONS } from '../../api/runtime/node-registry.js';

/** Every migration set, in the order they are applied (the store's first). */
export function controlPlaneMigrations(): MigrationSet[] {
  return [STORE_MIGRATIONS, ...featureMigrations()];
}

/** The sets beside the store's own (openStore adds the store's itself). */
export function featureMigrations(): MigrationSet[] {
  return [JOURNAL_MIGRATIONS, CHECKPOINT_MIGRATIONS, NODE_IDENTITY_MIGRATIONS, INGEST_MIGRATIONS];
}
