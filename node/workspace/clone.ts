/**
 * EphemeralClone mode: a `git clone --local --no-hardlinks` of the mount at the run's derived
 * path, on the run's branch. The clone is built under `<path>.partial` and renamed into place,
 * so a directory at the derived path is always a finished clone and a retry can reuse it.
 */
import { mkdir, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { copyUntrackedFiles } from './copy-files.js';
import { WorkspaceError } from './errors.js';
import type { Git } from './git.js';
import { currentBranch, gitFailure, resolveCommit } from './repo.js';
import type { Workspace } from './workspace.js';

export interface ClonePlan {
  mountRoot: string;
  dir: string;
  branch: string;
  baseCommit: string;
  copyFiles: readonly string[];
}

/** Creates the run's clone, or returns the one an earlier try finished at the same path. */
export async function prepareClone(git: Git, plan: ClonePlan): Promise<Workspace> {
  const parent = path.dirname(plan.dir);
  await mkdir(parent, { recursive: true, mode: 0o700 });
  const dir = path.join(await realpath(parent), path.basename(plan.dir));
  if (await exists(dir)) return reuseClone(git, plan, dir);

  const partial = `${dir}.partial`;
  await rm(partial, { recursive: true, force: true });
  try {
    // --no-checkout: the only checkout is of the run's branch, made next.
    await git.run(parent, ['clone', '--quiet', '--local', '--no-hardlinks', '--no-checkout', plan.mountRoot, partial]);
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    throw gitFailure(`git clone of ${plan.mountRoot} failed`, err, 'CloneFailed');
  }
  try {
    await git.run(partial, ['checkout', '--quiet', '--no-track', '-b', plan.branch, plan.baseCommit]);
    await copyUntrackedFiles(git, plan.mountRoot, partial, plan.copyFiles);
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    if (err instanceof WorkspaceError) throw err;
    throw gitFailure(`checking out ${plan.branch} in the clone failed`, err, 'CloneFailed');
  }
  await rename(partial, dir);
  return { mode: 'EphemeralClone', path: dir, readOnly: false, branch: plan.branch, baseCommit: plan.baseCommit, headCommit: plan.baseCommit, mountRoot: plan.mountRoot };
}

async function reuseClone(git: Git, plan: ClonePlan, dir: string): Promise<Workspace> {
  const branch = await currentBranch(git, dir).catch(() => undefined);
  if (branch !== plan.branch) {
    throw new WorkspaceError('PathInUse', `${dir} exists but is not this run's clone on ${plan.branch}`);
  }
  const headCommit = await resolveCommit(git, dir, 'HEAD');
  const baseCommit = (await git.run(dir, ['merge-base', plan.baseCommit, 'HEAD'])).trim() || plan.baseCommit;
  return { mode: 'EphemeralClone', path: dir, readOnly: false, branch: plan.branch, baseCommit, headCommit, mountRoot: plan.mountRoot };
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
