/**
 * The Run's finalizer: it guards the run's workspace, so a deleted run is only removed once its
 * driver is stopped and its worktree retired. A queued run has no workspace yet; it gets the
 * finalizer when it is admitted.
 */
import { isReason } from '../../api/errors.js';
import type { Store } from '../../api/store/store.js';
import type { Run } from '../../resources/kinds/run.js';

export const WORKSPACE_FINALIZER = 'sidekicks.dev/worktree';

/** Whether the run carries the workspace finalizer. */
export function hasFinalizer(run: Run): boolean {
  return (run.metadata.finalizers ?? []).includes(WORKSPACE_FINALIZER);
}

/** Adds the workspace finalizer to the stored run. */
export async function addFinalizer(store: Store, run: Run): Promise<void> {
  const next = structuredClone(run);
  next.metadata.finalizers = [...(run.metadata.finalizers ?? []), WORKSPACE_FINALIZER];
  await store.update('runs', next);
}

/** Drops the workspace finalizer (the store then removes the run); a run already gone is fine. */
export async function removeFinalizer(store: Store, run: Run): Promise<void> {
  const next = structuredClone(run);
  next.metadata.finalizers = (run.metadata.finalizers ?? []).filter((f) => f !== WORKSPACE_FINALIZER);
  try {
    await store.update('runs', next);
  } catch (err) {
    if (!isReason(err, 'NotFound')) throw err;
  }
}
