/** Observes mounted paths with real git: the WorkspaceManager's inspection plus the run worktrees present. */
import { inspectMount, listWorktrees } from '../../node/workspace/repo.js';
import { SimpleGitRunner, type Git } from '../../node/workspace/git.js';
import type { MountInspector, MountObservation } from './reconciler.js';

export class GitMountInspector implements MountInspector {
  constructor(private readonly git: Git = new SimpleGitRunner()) {}

  async inspect(path: string, branchPrefix: string): Promise<MountObservation> {
    const info = await inspectMount(this.git, path);
    const worktrees = info.isGit ? (await listWorktrees(this.git, info.root)).filter((w) => w.branch?.startsWith(`refs/heads/${branchPrefix}`)).length : 0;
    return { root: info.root, isGit: info.isGit, ...(info.headCommit ? { headCommit: info.headCommit } : {}), detached: info.detached, worktrees };
  }
}
