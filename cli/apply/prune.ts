/**
 * `apply --prune -l SEL`: deletes objects that an earlier apply created (they carry the
 * last-applied annotation, as kubectl's prune requires), match the selector, live in a namespace
 * this apply touched, and are absent from the manifests now.
 */
import type { ApiClient } from '../../api/client/client.js';
import { kindGroup, PRIMARY_GROUP_VERSION, type ResourceResolver } from '../resource-resolver.js';
import { LAST_APPLIED } from './three-way.js';
import type { ApplyResult, DryRun } from './applier.js';

/** What to prune. */
export interface PruneOptions {
  client: ApiClient;
  resolver: ResourceResolver;
  selector?: string;
  /** Namespaces the apply wrote to (the default namespace when it wrote none). */
  namespaces: string[];
  applied: ApplyResult[];
  dryRun: DryRun;
}

/** Deletes what is no longer in the manifests; returns the `kind.group/name pruned` lines. */
export async function prune(opts: PruneOptions): Promise<string[]> {
  const lines: string[] = [];
  const keep = new Set(opts.applied.map((a) => `${a.ref.group}/${a.ref.plural}/${a.namespace ?? ''}/${a.name}`));
  const suffix = opts.dryRun === 'client' ? ' (dry run)' : opts.dryRun === 'server' ? ' (server dry run)' : '';
  const resources = (await opts.resolver.all()).filter(
    (r) => `${r.group}/${r.version}` === PRIMARY_GROUP_VERSION && (r.verbs.length === 0 || (r.verbs.includes('list') && r.verbs.includes('delete'))),
  );
  for (const ref of resources) {
    for (const namespace of ref.namespaced ? opts.namespaces : [undefined]) {
      const list = await opts.client.list(ref, { namespace, labelSelector: opts.selector });
      for (const item of list.items) {
        const name = item.metadata.name ?? '';
        const ns = ref.namespaced ? item.metadata.namespace ?? namespace : undefined;
        if (!item.metadata.annotations?.[LAST_APPLIED]) continue;
        if (keep.has(`${ref.group}/${ref.plural}/${ns ?? ''}/${name}`)) continue;
        if (item.metadata.deletionTimestamp) continue;
        if (opts.dryRun !== 'client') await opts.client.delete(ref, ns, name, { dryRun: opts.dryRun === 'server', propagationPolicy: 'Background' });
        lines.push(`${kindGroup(ref)}/${name} pruned${suffix}`);
      }
    }
  }
  return lines;
}
