/**
 * Merging a run's branch into the checkout it was made from, with git on this machine: checks
 * first (clean checkout, the target branch checked out, no conflict — asked of `git merge-tree`,
 * which touches neither the index nor the files), then merges (fast-forward when it can, else a
 * merge commit) or squashes into one commit. A refusal leaves the checkout as it was.
 */
import { execFile } from 'node:child_process';
import type { Git } from '../../node/workspace/git.js';
import { GitCommandError } from '../../node/workspace/git.js';

/** A merge refused before anything changed; the message says why and what to do. */
export class MergeRefused extends Error {}

export interface MergeRequest {
  /** The main checkout (the RepoMount's root). */
  checkout: string;
  /** The run's branch. */
  branch: string;
  /** The branch to merge into; it must be the one checked out. */
  into: string;
  squash: boolean;
  /** The commit message: the squash commit's, or the merge commit's. */
  message: string;
}

export interface MergeOutcome {
  kind: 'fast-forward' | 'merge commit' | 'squash commit' | 'up to date';
  before: string;
  after: string;
  /** `git diff --stat` lines of before..after. */
  files: string[];
}

/** Brings `branch` into `into` in the checkout, or throws MergeRefused having changed nothing. */
export async function mergeBranch(git: Git, req: MergeRequest): Promise<MergeOutcome> {
  const { checkout, branch, into } = req;
  const branchCommit = await revParse(git, checkout, `refs/heads/${branch}`);
  if (!branchCommit) throw new MergeRefused(`branch ${branch} does not exist in ${checkout} (the run made no commit there)`);
  const current = (await git.run(checkout, ['symbolic-ref', '--quiet', '--short', 'HEAD']).catch(() => '')).trim();
  if (current !== into) {
    throw new MergeRefused(`${checkout} has ${current ? `${current} checked out` : 'a detached HEAD'}, not ${into}: run \`git -C ${checkout} switch ${into}\` first (or pass --into ${current || 'BRANCH'})`);
  }
  // Untracked files are left alone (a fresh .sidekick/ folder, build output): only changes git tracks count.
  const dirty = (await git.run(checkout, ['status', '--porcelain', '--untracked-files=no'])).split('\n').filter((l) => l.trim() !== '');
  if (dirty.length > 0) {
    // Porcelain lines are `XY path`: two status columns (either may be a space), a space, the path.
    const files = dirty.map((l) => l.slice(3));
    throw new MergeRefused(`${checkout} has uncommitted changes (${files.slice(0, 5).join(', ')}${files.length > 5 ? ', …' : ''}): commit or stash them first`);
  }
  const before = (await git.run(checkout, ['rev-parse', 'HEAD'])).trim();
  if (await isAncestor(git, checkout, branchCommit, before)) return { kind: 'up to date', before, after: before, files: [] };

  const conflicts = await conflictsOf(checkout, before, branchCommit);
  if (conflicts.length > 0) throw new MergeRefused(`merging ${branch} into ${into} would conflict in ${conflicts.join(', ')}; nothing was changed (resolve by hand: git merge ${branch})`);

  const fastForward = !req.squash && (await isAncestor(git, checkout, before, branchCommit));
  try {
    if (req.squash) {
      await git.run(checkout, ['merge', '--squash', '--quiet', branch]);
      await git.run(checkout, ['commit', '--quiet', '--message', req.message]);
    } else {
      await git.run(checkout, ['merge', '--quiet', '--no-edit', '--message', req.message, branch]);
    }
  } catch (err) {
    await undo(git, checkout, before, req.squash);
    const said = err instanceof GitCommandError ? err.stderr.trim().split('\n')[0] : (err as Error).message;
    throw new MergeRefused(`git refused the merge (${said}); the checkout was put back as it was`);
  }
  const after = (await git.run(checkout, ['rev-parse', 'HEAD'])).trim();
  const stat = (await git.run(checkout, ['diff', '--stat', '--no-color', `${before}..${after}`])).split('\n').filter((l) => l.trim() !== '');
  return { kind: req.squash ? 'squash commit' : fastForward ? 'fast-forward' : 'merge commit', before, after, files: stat };
}

/** Deletes the run's branch; says why not when git refuses (a worktree still has it checked out). */
export async function deleteBranch(git: Git, checkout: string, branch: string): Promise<string | undefined> {
  try {
    await git.run(checkout, ['branch', '-D', branch]);
    return undefined;
  } catch (err) {
    return err instanceof GitCommandError ? err.stderr.trim().split('\n')[0] : (err as Error).message;
  }
}

/**
 * Files that would conflict, from `git merge-tree --write-tree` (git 2.38+): exit 1 on conflicts,
 * with the tree and then one conflicted path per line on stdout. Run directly rather than through
 * Git, whose errors keep stderr only.
 */
function conflictsOf(cwd: string, ours: string, theirs: string): Promise<string[]> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_')));
  return new Promise((resolve, reject) => {
    execFile('git', ['merge-tree', '--write-tree', '--name-only', '--no-messages', ours, theirs], { cwd, env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve([]);
      // Git before 2.38 has no --write-tree (usage error, 129): it cannot tell beforehand, so the
      // real merge finds a conflict, and is undone (see mergeBranch), leaving the checkout as it was.
      if (err.code === 129) return resolve([]);
      if (err.code !== 1) return reject(new Error(`git merge-tree failed: ${stderr.trim() || err.message}`));
      const paths = stdout.split('\n').slice(1).filter(Boolean);
      resolve(paths.length > 0 ? [...new Set(paths)] : ['(files git did not name)']);
    });
  });
}

async function undo(git: Git, cwd: string, before: string, squash: boolean): Promise<void> {
  if (!squash) await git.run(cwd, ['merge', '--abort']).catch(() => undefined);
  await git.run(cwd, ['reset', '--quiet', '--merge', before]).catch(() => undefined);
}

async function revParse(git: Git, cwd: string, ref: string): Promise<string | undefined> {
  try {
    return (await git.run(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim() || undefined;
  } catch {
    return undefined;
  }
}

async function isAncestor(git: Git, cwd: string, ancestor: string, descendant: string): Promise<boolean> {
  try {
    await git.run(cwd, ['merge-base', '--is-ancestor', ancestor, descendant]);
    return true;
  } catch (err) {
    if (err instanceof GitCommandError && err.exitCode === 1) return false;
    throw err;
  }
}
