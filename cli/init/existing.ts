/**
 * What the server already has for the repository `init` sets up: a RepoMount of this checkout
 * (reused, with its session, so a second init never makes a second mount of one repository), or a
 * RepoMount of another checkout under the name init would use (two clones both called `app`: the
 * new one's names get a suffix from its path, since a mount's path cannot change).
 */
import { createHash } from 'node:crypto';
import type { ApiClient } from '../../api/client/client.js';
import type { ResourceRef } from '../../api/client/types.js';
import type { RepoMount } from '../../resources/kinds/repomount.js';

const REPOMOUNTS: ResourceRef = { group: 'sidekicks.dev', version: 'v1alpha1', plural: 'repomounts', kind: 'RepoMount', namespaced: true };

/** The names init uses: the mount's and the session's. */
export interface InitNames {
  repoMount: string;
  session: string;
}

/** The names for the repository at `root`, given the mounts in the namespace. */
export async function namesFor(client: ApiClient, namespace: string, root: string, base: string): Promise<InitNames> {
  const mounts = (await client.list<RepoMount>(REPOMOUNTS, { namespace })).items;
  const mine = mounts.find((m) => (m.status?.root ?? m.spec.path) === root || m.spec.path === root);
  if (mine?.metadata.name) return { repoMount: mine.metadata.name, session: mine.spec.session };
  const taken = mounts.some((m) => m.metadata.name === base);
  if (!taken) return { repoMount: base, session: base };
  const suffixed = `${base.slice(0, 33).replace(/-+$/, '')}-${createHash('sha256').update(root).digest('hex').slice(0, 6)}`;
  return { repoMount: suffixed, session: suffixed };
}
