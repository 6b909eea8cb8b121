/** The last step of a reconciler that rebuilds an object's status each pass: write it only when it changed. */
import { isReason } from '../../api/errors.js';
import type { Store } from '../../api/store/store.js';
import type { KubeObject } from '../../resources/meta.js';
import type { Result } from './controller.js';

/**
 * Writes `status` onto `obj` when it differs (as JSON) from `current` (default: the status `obj`
 * carries). A Conflict (written since we read) resolves `{ requeueAfterMs: 0 }`: look again now.
 * Unchanged, written, or NotFound (deleted since) resolve undefined: the caller says what follows.
 */
export async function updateStatusIfChanged<T extends KubeObject & { status?: unknown }>(store: Store, plural: string, obj: T, status: NonNullable<T['status']>, current: unknown = obj.status): Promise<Result | undefined> {
  if (JSON.stringify(status) === JSON.stringify(current)) return undefined;
  try {
    await store.updateStatus(plural, { ...obj, status });
  } catch (err) {
    if (isReason(err, 'Conflict')) return { requeueAfterMs: 0 };
    if (!isReason(err, 'NotFound')) throw err;
  }
  return undefined;
}
