/**
 * Expands what a command was pointed at — `TYPE NAME...`, `TYPE/NAME...`, `-f FILE`, or a whole
 * type filtered by `-l` / `--all` — into concrete objects (resource, namespace, name).
 */
import { UsageError } from 'clipanion';
import type { ApiClient } from '../api/client/client.js';
import type { ResourceResolver, ResolvedResource } from './resource-resolver.js';
import { parseResourceArgs } from './resource-args.js';

/** One addressed object. */
export interface ObjectTarget {
  ref: ResolvedResource;
  namespace?: string;
  name: string;
}

/** What the command received. */
export interface TargetQuery {
  client: ApiClient;
  resolver: ResourceResolver;
  args: string[];
  filenames?: string[];
  recursive?: boolean;
  cwd: string;
  stdin?: import('node:stream').Readable;
  namespace: string;
  namespaceFlag?: string;
  allNamespaces?: boolean;
  selector?: string;
  fieldSelector?: string;
  all?: boolean;
}

/** Expands the query; a bare type needs names, a selector or --all, as kubectl demands. `noun` words the empty-arguments error. */
export async function expandTargets(q: TargetQuery, noun = 'resources'): Promise<{ targets: ObjectTarget[]; listed: boolean }> {
  if (q.filenames?.length) {
    if (q.args.length) throw new UsageError('when paths, URLs, or stdin is provided as input, you may not specify resource arguments as well');
    const { readManifests } = await import('./apply/manifests.js');
    const { mappingFor, namespaceFor } = await import('./apply/applier.js');
    const set = await readManifests(q.filenames, { cwd: q.cwd, recursive: q.recursive, stdin: q.stdin });
    if (set.errors.length) throw new UsageError(set.errors[0]);
    const targets: ObjectTarget[] = [];
    for (const m of set.manifests) {
      const ref = await mappingFor(q.resolver, m);
      targets.push({ ref, namespace: namespaceFor(ref, m.object, { namespaceFlag: q.namespaceFlag, defaultNamespace: q.namespace }), name: m.object.metadata?.name ?? '' });
    }
    return { targets, listed: false };
  }
  const groups = await parseResourceArgs(q.resolver, q.args);
  if (groups.length === 0) throw new UsageError(`You must provide one or more ${noun} by argument or filename.`);
  const targets: ObjectTarget[] = [];
  let listed = false;
  for (const g of groups) {
    const namespace = g.ref.namespaced ? (q.allNamespaces ? undefined : q.namespace) : undefined;
    if (g.names.length) {
      if (q.selector || q.all) throw new UsageError('name cannot be provided when a selector is specified');
      for (const name of g.names) targets.push({ ref: g.ref, namespace, name });
    } else {
      if (!q.selector && !q.all && !q.fieldSelector) throw new UsageError(`resource(s) were provided, but no name was specified`);
      listed = true;
      const list = await q.client.list(g.ref, { namespace, labelSelector: q.selector, fieldSelector: q.fieldSelector });
      for (const item of list.items) targets.push({ ref: g.ref, namespace: g.ref.namespaced ? item.metadata.namespace ?? namespace : undefined, name: item.metadata.name ?? '' });
    }
  }
  return { targets, listed };
}
