/**
 * Maps what users type (`runs`, `run`, `Run`, `rm`, `runs.sidekicks.dev`, `all`) to REST
 * resources, from the server's discovery documents — like kubectl's RESTMapper. Discovery of our
 * own group is one request on a local socket, far cheaper than loading every schema at start-up.
 */
import { UsageError } from 'clipanion';
import type { ApiClient } from '../api/client/client.js';
import type { APIResource, APIResourceList, ResourceRef } from '../api/client/types.js';

/** Our group-version, asked first. */
export const PRIMARY_GROUP_VERSION = 'sidekicks.dev/v1alpha1';

/** A resource as discovery describes it. */
export interface ResolvedResource extends ResourceRef {
  singular: string;
  shortNames: string[];
  categories: string[];
  verbs: string[];
}

/** `run.sidekicks.dev` — how kubectl names a kind in output lines. */
export function kindGroup(ref: Pick<ResourceRef, 'kind' | 'group'>): string {
  return ref.group ? `${ref.kind.toLowerCase()}.${ref.group}` : ref.kind.toLowerCase();
}

/** `runs.sidekicks.dev` — how API messages name a resource. */
export function pluralGroup(ref: Pick<ResourceRef, 'plural' | 'group'>): string {
  return ref.group ? `${ref.plural}.${ref.group}` : ref.plural;
}

/** Resolves type names through discovery, caching each group-version for the command's life. */
export class ResourceResolver {
  private readonly lists = new Map<string, Promise<ResolvedResource[]>>();
  private groupVersions?: Promise<string[]>;

  constructor(private readonly client: ApiClient) {}

  /** Resolves one type name, or throws kubectl's "doesn't have a resource type" error. */
  async resolve(name: string): Promise<ResolvedResource> {
    const found = await this.find(name);
    if (!found) throw new UsageError(`the server doesn't have a resource type "${name}"`);
    return found;
  }

  /** Resolves a comma-separated list of types; a category such as `all` expands to its members. */
  async resolveList(arg: string): Promise<ResolvedResource[]> {
    const out: ResolvedResource[] = [];
    for (const part of arg.split(',').filter(Boolean)) {
      const direct = await this.find(part);
      const members = direct ? [direct] : await this.category(part);
      if (members.length === 0) throw new UsageError(`the server doesn't have a resource type "${part}"`);
      for (const m of members) if (!out.some((o) => o.plural === m.plural && o.group === m.group)) out.push(m);
    }
    return out;
  }

  /** The resource serving `kind` in `apiVersion`, or undefined when the server has no such kind. */
  async byKind(apiVersion: string, kind: string): Promise<ResolvedResource | undefined> {
    const list = await this.groupVersion(apiVersion);
    return list.find((r) => r.kind === kind);
  }

  /** Every resource of every group-version the server serves (for api-resources and prune). */
  async all(): Promise<ResolvedResource[]> {
    const out: ResolvedResource[] = [];
    for (const gv of await this.allGroupVersions()) out.push(...(await this.groupVersion(gv)));
    return out;
  }

  /** Members of a category, e.g. `all`. */
  async category(name: string): Promise<ResolvedResource[]> {
    return (await this.all()).filter((r) => r.categories.includes(name));
  }

  private async find(name: string): Promise<ResolvedResource | undefined> {
    const lower = name.toLowerCase();
    const dot = lower.indexOf('.');
    // `runs.sidekicks.dev` or `run.sidekicks.dev/v1alpha1`-style qualified names pin the group.
    const [bare, group] = dot > 0 ? [lower.slice(0, dot), lower.slice(dot + 1).split('/')[0]] : [lower, undefined];
    const matches = (r: ResolvedResource): boolean =>
      (group === undefined || r.group === group) &&
      (r.plural === bare || r.singular === bare || r.kind.toLowerCase() === bare || r.shortNames.includes(bare));
    const primary = (await this.groupVersion(PRIMARY_GROUP_VERSION)).find(matches);
    if (primary) return primary;
    return (await this.all()).find(matches);
  }

  private allGroupVersions(): Promise<string[]> {
    this.groupVersions ??= (async () => {
      const gvs = [PRIMARY_GROUP_VERSION];
      try {
        const apis = await this.client.raw<{ groups?: { preferredVersion?: { groupVersion: string }; versions?: { groupVersion: string }[] }[] }>('/apis');
        for (const g of apis.groups ?? []) {
          const gv = g.preferredVersion?.groupVersion ?? g.versions?.[0]?.groupVersion;
          if (gv && !gvs.includes(gv)) gvs.push(gv);
        }
      } catch (err) {
        if ((err as { reason?: string }).reason !== 'NotFound') throw err;
      }
      gvs.push('v1');
      return gvs;
    })();
    return this.groupVersions;
  }

  private groupVersion(gv: string): Promise<ResolvedResource[]> {
    let cached = this.lists.get(gv);
    if (!cached) {
      cached = this.client.discovery(gv).then(
        (list) => toResolved(list),
        (err: unknown) => {
          // A group-version the server does not serve simply has no resources; anything else
          // (unreachable, Unauthorized, Forbidden) is the real answer and propagates.
          if ((err as { reason?: string }).reason === 'NotFound') return [];
          throw err;
        },
      );
      this.lists.set(gv, cached);
    }
    return cached;
  }
}

function toResolved(list: APIResourceList): ResolvedResource[] {
  const [group, version] = list.groupVersion.includes('/') ? list.groupVersion.split('/') : ['', list.groupVersion];
  return (list.resources ?? [])
    .filter((r: APIResource) => !r.name.includes('/'))
    .map((r: APIResource) => ({
      group,
      version,
      plural: r.name,
      kind: r.kind,
      namespaced: r.namespaced,
      singular: r.singularName || r.kind.toLowerCase(),
      shortNames: r.shortNames ?? [],
      categories: r.categories ?? [],
      verbs: r.verbs ?? [],
    }));
}
