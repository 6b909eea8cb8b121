/**
 * Writes a controller's child object only when it must (controller-runtime's CreateOrUpdate):
 * create it when it is missing; when it exists, let `mutate` bring the stored copy toward what
 * the controller wants and update only if that changed something. A child that another pass (or
 * a crashed earlier try) already made is found, never made twice: names are derived, so
 * AlreadyExists means "done".
 */
import { isReason } from '../../api/errors.js';
import type { Store, WriteOptions } from '../../api/store/store.js';
import type { KubeObject } from '../../resources/meta.js';

export const WriteOutcome = { Created: 'created', Updated: 'updated', Unchanged: 'unchanged' } as const;
export type WriteOutcome = (typeof WriteOutcome)[keyof typeof WriteOutcome];

export interface CreateOrUpdateResult<T extends KubeObject> {
  outcome: WriteOutcome;
  /** The object as stored after this call. */
  object: T;
}

export interface CreateOrUpdateOptions<T extends KubeObject> {
  /**
   * Brings an existing object toward the wanted one, in place; returns true when it changed
   * something. Without it an existing object is left as it is (create-once children).
   */
  mutate?: (existing: T) => boolean;
  /** Options of the create (a journal event written in the same transaction, dry run). */
  createOptions?: WriteOptions;
}

const CONFLICT_RETRIES = 5;

/**
 * Creates `desired` or updates the stored copy through `mutate`; says which it did. `desired` is
 * written as a person would write it (a manifest): admission fills in the kind's defaults, so the
 * object returned, not `desired`, is the `T` with every default.
 */
export async function createOrUpdate<T extends KubeObject>(
  store: Store,
  plural: string,
  desired: KubeObject,
  opts: CreateOrUpdateOptions<T> = {},
): Promise<CreateOrUpdateResult<T>> {
  const { namespace, name } = desired.metadata;
  for (let attempt = 0; ; attempt++) {
    const existing = await store.find<T>(plural, namespace ?? '', name!);
    if (!existing) {
      try {
        return { outcome: WriteOutcome.Created, object: await store.create<T>(plural, desired as T, opts.createOptions) };
      } catch (err) {
        // Made meanwhile (another worker, or an earlier try whose answer was lost): look again.
        if (isReason(err, 'AlreadyExists') && attempt < CONFLICT_RETRIES) continue;
        throw err;
      }
    }
    if (!opts.mutate) return { outcome: WriteOutcome.Unchanged, object: existing };
    const draft = structuredClone(existing);
    if (!opts.mutate(draft)) return { outcome: WriteOutcome.Unchanged, object: existing };
    try {
      return { outcome: WriteOutcome.Updated, object: await store.update(plural, draft) };
    } catch (err) {
      if ((isReason(err, 'Conflict') || isReason(err, 'NotFound')) && attempt < CONFLICT_RETRIES) continue;
      throw err;
    }
  }
}
