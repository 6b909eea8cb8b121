/**
 * Worktree mode: `git worktree add -b <branch> <derived path> <base>`. The main checkout's files,
 * index and HEAD are never touched; the only change to the repository is the new branch ref and
 * the worktree's metadata under `.git/worktrees/`.
 */
import { mkdir, realpath, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { copyUntrackedFiles } from './copy-files.js';
import { WorkspaceError } from './errors.js';
import type { Git } from './git.js';
import { branchExists, gitFailure, listWorktrees, resolveCommit, type WorktreeEntry } from './repo.js';
import type { BranchTarget, DeleteBranchResult, Workspace } from './workspace.js';

export interface WorktreePlan {
  /** Canonical root of the main checkout. */
  mountRoot: string;
  /** Derived directory of the worktree. */
  dir: string;
  branch: string;
  baseCommit: string;
  copyFiles: readonly string[];
}

/**
 * Creates the run's worktree, or returns the one an earlier try created at the same path on the
 * same branch. Anything else occupying the path or the branch is an error, never reused.
 */
export async function prepareWorktree(git: Git, plan: WorktreePlan): Promise<Workspace> {
  const dir = await canonicalTarget(plan.dir);
  const existing = (await listWorktrees(git, plan.mountRoot)).find((w) => w.path === dir);
  let baseCommit = plan.baseCommit;
  if (existing && !existing.prunable && (await exists(dir))) {
    if (existing.branch !== `refs/heads/${plan.branch}`) {
      throw new WorkspaceError('PathInUse', `${dir} is already a worktree on ${existing.branch ?? 'a detached HEAD'}, not ${plan.branch}`);
    }
    // The work may already have commits; the run's base is where its branch left the base ref.
    baseCommit = (await git.run(dir, ['merge-base', plan.baseCommit, 'HEAD'])).trim() || plan.baseCommit;
  } else {
    await createWorktree(git, plan, dir, existing);
  }
  await copyUntrackedFiles(git, plan.mountRoot, dir, plan.copyFiles);
  const headCommit = await resolveCommit(git, dir, 'HEAD');
  return { mode: 'Worktree', path: dir, readOnly: false, branch: plan.branch, baseCommit, headCommit, mountRoot: plan.mountRoot };
}

async function createWorktree(git: Git, plan: WorktreePlan, dir: string, stale: WorktreeEntry | undefined): Promise<void> {
  // Metadata left by a worktree whose directory vanished blocks `worktree add` at that path.
  if (stale) await git.run(plan.mountRoot, ['worktree', 'prune']);
  // The path is derived from this run's uid, so anything there is a crashed try of this run.
  await rm(dir, { recursive: true, force: true });
  let args: string[];
  if (await branchExists(git, plan.mountRoot, plan.branch)) {
    await checkBranchReusable(git, plan);
    args = ['worktree', 'add', dir, plan.branch];
  } else {
    // --no-track: tracking a remote base would write branch config into the main repository.
    args = ['worktree', 'add', '--no-track', '-b', plan.branch, dir, plan.baseCommit];
  }
  try {
    await git.run(plan.mountRoot, args);
  } catch (err) {
    throw gitFailure(`git worktree add ${dir} failed`, err, 'WorktreeFailed');
  }
}

/** How many suffixed names (`-2` … `-100`) a new run tries when its derived branch is taken. */
const MAX_BRANCH_SUFFIX = 100;

/**
 * The branch a new run's worktree goes on: its derived name, or — when a branch of that name holds
 * other work (an earlier run of the same name was deleted, and deleting a run keeps its branch) —
 * the first free `<derived>-2`, `-3`…. A worktree this run already made at `plannedDir` (a try
 * that crashed before the status recorded its branch) keeps its branch; a branch still at the
 * base commit and checked out nowhere (no work on it) is free.
 */
export async function chooseRunBranch(git: Git, mountRoot: string, derived: string, plannedDir: string, baseCommit: string): Promise<string> {
  const dir = await canonicalTarget(plannedDir);
  const worktrees = await listWorktrees(git, mountRoot);
  const mine = worktrees.find((w) => w.path === dir && !w.prunable);
  if (mine?.branch?.startsWith('refs/heads/') && (await exists(dir))) return mine.branch.slice('refs/heads/'.length);
  for (let n = 1; n <= MAX_BRANCH_SUFFIX; n++) {
    const candidate = n === 1 ? derived : `${derived}-${n}`;
    const ref = `refs/heads/${candidate}`;
    const tip = await resolveCommit(git, mountRoot, ref);
    if (tip === undefined) return candidate;
    if (tip === baseCommit && !worktrees.some((w) => w.branch === ref && !w.prunable)) return candidate;
  }
  throw new WorkspaceError(
    'BranchExists',
    `branches ${derived} and ${derived}-2 … -${MAX_BRANCH_SUFFIX} all exist with other work; delete the ones you no longer need (git -C ${mountRoot} branch -D NAME)`,
  );
}

/**
 * An existing run branch is reused only when it is still exactly the base (a try that created
 * the branch and then crashed) and no other worktree has it checked out. A branch with commits
 * is someone's work: it is kept, and the run fails instead.
 */
async function checkBranchReusable(git: Git, plan: WorktreePlan): Promise<void> {
  const ref = `refs/heads/${plan.branch}`;
  const holder = (await listWorktrees(git, plan.mountRoot)).find((w) => w.branch === ref && !w.prunable);
  if (holder) throw new WorkspaceError('BranchInUse', `branch ${plan.branch} is checked out in ${holder.path}`);
  const tip = await resolveCommit(git, plan.mountRoot, ref);
  if (tip !== plan.baseCommit) {
    throw new WorkspaceError(
      'BranchExists',
      `branch ${plan.branch} already exists with other commits (${tip?.slice(0, 12)}); delete it or give the run another name`,
    );
  }
}

/** Creates the worktree's parent and returns the path under its real parent (git records real paths). */
async function canonicalTarget(dir: string): Promise<string> {
  await mkdir(path.dirname(dir), { recursive: true, mode: 0o700 });
  return path.join(await realpath(path.dirname(dir)), path.basename(dir));
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/**
 * Removes a run's worktree and prunes its metadata; the branch stays. Already gone is fine.
 * `mountRoot` may be gone too (the user deleted the repository): then only the directory goes.
 */
export async function removeWorktree(git: Git, mountRoot: string | undefined, dir: string): Promise<void> {
  if (mountRoot && (await exists(mountRoot))) {
    try {
      await git.run(mountRoot, ['worktree', 'remove', '--force', dir]);
    } catch (err) {
      // Not (or no longer) a registered worktree: what is left is removed below, metadata pruned.
      if (!(err instanceof Error && /not a working tree|does not exist|No such file/i.test(errorText(err)))) {
        throw gitFailure(`git worktree remove ${dir} failed`, err, 'WorktreeFailed');
      }
    }
  }
  await rm(dir, { recursive: true, force: true });
  if (mountRoot && (await exists(mountRoot))) await git.run(mountRoot, ['worktree', 'prune']);
}

function errorText(err: Error): string {
  return 'stderr' in err ? String((err as { stderr: unknown }).stderr) : err.message;
}

/**
 * Deletes a deleted run's branch when it is still only the run's: checked out nowhere, and its tip
 * is the run's base (it committed nothing) or a commit of the run (trailer `Agent-Run: <uid>`). A
 * branch someone built on, or checked out (a Manual-cleanup worktree still there), is kept and
 * the answer says why.
 */
export async function deleteRunBranch(git: Git, target: BranchTarget): Promise<DeleteBranchResult> {
  const ref = `refs/heads/${target.branch}`;
  const tip = await resolveCommit(git, target.mountRoot, ref);
  // Already gone (a finalizer pass repeated, or the user deleted it) is success.
  if (tip === undefined) return { deleted: true };
  const holder = (await listWorktrees(git, target.mountRoot)).find((w) => w.branch === ref && !w.prunable);
  if (holder) return { deleted: false, kept: `branch ${target.branch} is checked out in ${holder.path}` };
  const trailers = tip === target.baseCommit ? '' : await git.run(target.mountRoot, ['log', '-1', '--format=%(trailers:key=Agent-Run,valueonly)', tip]);
  if (tip !== target.baseCommit && trailers.trim() !== target.runUid) {
    return { deleted: false, kept: `branch ${target.branch} has commits that are not the run's (tip ${tip.slice(0, 12)})` };
  }
  await git.run(target.mountRoot, ['branch', '-D', target.branch]);
  return { deleted: true };
}
