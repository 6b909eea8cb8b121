/**
 * Branch mode: the run works on a named branch of the main checkout itself. It is the explicit
 * opt-in without isolation, so it refuses to switch a checkout that has uncommitted work.
 */
import { WorkspaceError } from './errors.js';
import type { Git } from './git.js';
import { branchExists, gitFailure, listWorktrees, resolveCommit } from './repo.js';
import type { MountInfo, Workspace } from './workspace.js';

export interface BranchPlan {
  mount: MountInfo;
  branch: string;
  /** Ref the branch is created from when it does not exist yet. */
  baseRef: string;
}

/**
 * Checks out the branch in the main checkout (creating it from the base ref if missing). A
 * checkout already on the branch is a retry and is returned as it is, uncommitted work included.
 */
export async function prepareBranch(git: Git, plan: BranchPlan): Promise<Workspace> {
  const { mount, branch } = plan;
  if (mount.branch !== branch) {
    if (mount.dirty) {
      throw new WorkspaceError('DirtyCheckout', `${mount.root} has uncommitted changes; commit or stash them before a Branch-mode run switches it to ${branch}`);
    }
    if (await branchExists(git, mount.root, branch)) {
      const holder = (await listWorktrees(git, mount.root)).find((w) => w.branch === `refs/heads/${branch}` && !w.prunable);
      if (holder) throw new WorkspaceError('BranchInUse', `branch ${branch} is checked out in ${holder.path}`);
      await checkout(git, mount.root, ['checkout', '--quiet', branch], branch);
    } else {
      const base = await resolveCommit(git, mount.root, plan.baseRef);
      if (!base) throw new WorkspaceError('BaseRefNotFound', `base ref ${plan.baseRef} does not name a commit in ${mount.root}`);
      await checkout(git, mount.root, ['checkout', '--quiet', '--no-track', '-b', branch, base], branch);
    }
  }
  const head = await resolveCommit(git, mount.root, 'HEAD');
  return { mode: 'Branch', path: mount.root, readOnly: false, branch, baseCommit: head, headCommit: head, mountRoot: mount.root };
}

async function checkout(git: Git, root: string, args: string[], branch: string): Promise<void> {
  try {
    await git.run(root, args);
  } catch (err) {
    throw gitFailure(`checking out ${branch} in ${root} failed`, err, 'CheckoutFailed');
  }
}
