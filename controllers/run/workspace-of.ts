/** A run's workspace as its status records it, for the git operations that finish or retire it. */
import type { Store } from '../../api/store/store.js';
import type { Run } from '../../resources/kinds/run.js';
import type { RepoMount } from '../../resources/kinds/repomount.js';
import type { WorkspaceInfo } from '../../node/ports.js';

/** The workspace as recorded in status (plus the mount root, for git operations). */
export async function workspaceFromStatus(store: Store, run: Run): Promise<WorkspaceInfo> {
  const s = run.status?.workspace ?? {};
  const mount = run.spec.repoMount ? await store.find<RepoMount>('repomounts', run.metadata.namespace!, run.spec.repoMount) : undefined;
  return {
    mode: (s.mode ?? 'Scratch') as WorkspaceInfo['mode'],
    path: s.path ?? '',
    readOnly: s.mode === 'ReadOnly',
    ...(s.branch ? { branch: s.branch } : {}),
    ...(s.baseCommit ? { baseCommit: s.baseCommit } : {}),
    ...(s.headCommit ? { headCommit: s.headCommit } : {}),
    ...(mount ? { mountRoot: mount.status?.root ?? mount.spec.path } : {}),
  };
}
