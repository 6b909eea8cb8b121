/**
 * Parses kubectl's resource arguments: `TYPE[,TYPE...] [NAME...]` or `TYPE/NAME [TYPE/NAME...]`,
 * resolved through discovery and grouped by resource.
 */
import { UsageError } from 'clipanion';
import type { ResolvedResource, ResourceResolver } from './resource-resolver.js';

/** The objects (or whole collections when `names` is empty) of one resource. */
export interface ResourceTarget {
  ref: ResolvedResource;
  names: string[];
}

/** Resolves the arguments; returns [] when there are none (callers word that error themselves). */
export async function parseResourceArgs(resolver: ResourceResolver, args: string[]): Promise<ResourceTarget[]> {
  if (args.length === 0) return [];
  const slashed = args.filter((a) => a.includes('/'));
  if (slashed.length > 0) {
    if (slashed.length !== args.length) {
      throw new UsageError(
        "there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'sidekick get resource/<resource_name>' instead of 'sidekick get resource resource/<resource_name>'",
      );
    }
    const targets: ResourceTarget[] = [];
    for (const arg of args) {
      const slash = arg.indexOf('/');
      const type = arg.slice(0, slash);
      const name = arg.slice(slash + 1);
      if (!type || !name) throw new UsageError(`arguments in resource/name form must have a single resource and name`);
      const ref = await resolver.resolve(type);
      const existing = targets.find((t) => t.ref === ref);
      if (existing) existing.names.push(name);
      else targets.push({ ref, names: [name] });
    }
    return targets;
  }
  const [types, ...names] = args;
  const refs = await resolver.resolveList(types);
  return refs.map((ref) => ({ ref, names: [...names] }));
}
