/**
 * Binding a Run to a RuntimeNode, and taking it back: `spec.nodeName` is the one field that says
 * where a run executes (the node's mirror copies the runs naming it). Written as a spec update of
 * a fresh read, re-read on a conflict, and only while `still` holds for what is stored — so a run
 * bound, started or deleted meanwhile is left as it is.
 */
import { isReason } from '../../api/errors.js';
import type { Store } from '../../api/store/store.js';
import type { Run } from '../../resources/kinds/run.js';
import { CROSS_NODE_DISPATCH } from '../../resources/cross-node.js';

/** Set on a run the scheduler bound to a node whose owner is not the run's creator (a session grant let it). */
export { CROSS_NODE_DISPATCH };

const CONFLICT_RETRIES = 8;

/**
 * Sets `spec.nodeName` to `node` (undefined clears it), with the cross-node-dispatch annotation
 * when `crossDispatch` (cleared otherwise). Resolves the written run, or undefined when the run is
 * gone or `still` refused the stored copy.
 */
export async function setRunNode(store: Store, namespace: string, name: string, node: string | undefined, opts: { crossDispatch?: boolean; still: (run: Run) => boolean }): Promise<Run | undefined> {
  for (let attempt = 0; ; attempt++) {
    const run = await store.find<Run>('runs', namespace, name);
    if (!run || run.metadata.deletionTimestamp || !opts.still(run)) return undefined;
    const next = structuredClone(run);
    if (node === undefined) delete next.spec.nodeName;
    else next.spec.nodeName = node;
    const annotations = { ...(next.metadata.annotations ?? {}) };
    if (opts.crossDispatch) annotations[CROSS_NODE_DISPATCH] = 'true';
    else delete annotations[CROSS_NODE_DISPATCH];
    if (Object.keys(annotations).length) next.metadata.annotations = annotations;
    else delete next.metadata.annotations;
    try {
      return await store.update<Run>('runs', next);
    } catch (err) {
      if (isReason(err, 'Conflict') && attempt < CONFLICT_RETRIES) continue;
      if (isReason(err, 'NotFound')) return undefined;
      throw err;
    }
  }
}
