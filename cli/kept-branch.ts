/**
 * What `sidekick delete` says about a deleted run's branch: deleting a Worktree run retires its
 * worktree but keeps its branch (the work is the user's), so the delete line says so and how to
 * remove it — `(branch sidekicks/hello/hello kept: git -C /repo branch -D sidekicks/hello/hello
 * removes it)`. A run applied again under the same name then works on `<branch>-2`.
 */
import type { ApiClient } from '../api/client/client.js';
import type { ResourceRef } from '../api/client/types.js';
import type { KubeObject } from '../resources/meta.js';

const REPOMOUNTS: ResourceRef = { group: 'sidekicks.dev', version: 'v1alpha1', namespaced: true, plural: 'repomounts', kind: 'RepoMount' };

/** The fields of a deleted Run (as the delete answered it) this note reads. */
interface DeletedRun extends KubeObject {
  spec?: { repoMount?: string };
  status?: { workspace?: { mode?: string; branch?: string } };
}

/**
 * ` (branch B kept: git -C ROOT branch -D B removes it)` for a run that worked on a branch of its
 * mount's repository (` (branch B deleted with it)` with --delete-branch), else ''. `deleted` is what the DELETE answered (the run, while its finalizer
 * retires the worktree); the mount is read for its repository root.
 */
export async function keptBranchNote(client: ApiClient, namespace: string, deleted: unknown, opts: { deleteBranch?: boolean } = {}): Promise<string> {
  const run = deleted as DeletedRun;
  if (run?.kind !== 'Run') return '';
  const ws = run.status?.workspace;
  if (ws?.mode !== 'Worktree' || !ws.branch || !run.spec?.repoMount) return '';
  // The finalizer deletes it (a branch holding other work is kept: the run's events say so).
  if (opts.deleteBranch) return ` (branch ${ws.branch} deleted with it)`;
  const mount = await client.get<KubeObject & { spec: { path: string }; status?: { root?: string } }>(REPOMOUNTS, namespace, run.spec.repoMount).catch(() => undefined);
  const root = mount?.status?.root ?? mount?.spec.path;
  const how = root ? `: git -C ${quote(root)} branch -D ${ws.branch} removes it` : '';
  return ` (branch ${ws.branch} kept${how})`;
}

/** A path as a shell word: quoted only when it needs to be. */
function quote(p: string): string {
  return /^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
}
