/**
 * Read-only questions about a repository (what a mount is, what a ref names, which worktrees
 * exist), asked through the Git interface. Nothing here changes a repository.
 */
import { realpath, stat } from 'node:fs/promises';
import { WorkspaceError } from './errors.js';
import { GitCommandError, gitSaid, type Git } from './git.js';
import type { MountInfo } from './workspace.js';

/** Inspects a mounted path: canonical root, whether it is git, branch, HEAD and dirtiness. */
export async function inspectMount(git: Git, mountPath: string, opts: { status?: boolean } = {}): Promise<MountInfo> {
  const real = await canonicalDir(mountPath);
  let top: string;
  try {
    top = (await git.run(real, ['rev-parse', '--show-toplevel'])).trim();
  } catch (err) {
    if (gitSaid(err, /not a git repository/i)) return { root: real, isGit: false, detached: false, dirty: false };
    if (gitSaid(err, /must be run in a work tree/i)) {
      throw new WorkspaceError('ModeNotSupported', `${mountPath} is a bare repository; mount a checkout with a working tree`);
    }
    // Anything else (dubious ownership, a corrupt repository) must not be mistaken for a plain directory.
    throw gitFailure(`cannot inspect ${mountPath}`, err);
  }
  const root = await realpath(top);
  const branch = await currentBranch(git, root);
  const headCommit = await resolveCommit(git, root, 'HEAD');
  // A status walks the whole checkout (60 ms on 5,000 files): only asked for when someone needs it.
  if (opts.status === false) return { root, isGit: true, branch, detached: branch === undefined, headCommit };
  // --no-optional-locks: a status must not refresh the main checkout's index behind the user's back.
  const status = await git.run(root, ['--no-optional-locks', 'status', '--porcelain=v1', '-z', '--untracked-files=normal']);
  return { root, isGit: true, branch, detached: branch === undefined, headCommit, dirty: status.length > 0 };
}

/** Returns the real path of an existing directory, or throws PathNotFound / NotADirectory. */
export async function canonicalDir(p: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new WorkspaceError('PathNotFound', `mount path ${p} does not exist`);
    throw err;
  }
  if (!(await stat(real)).isDirectory()) throw new WorkspaceError('NotADirectory', `mount path ${p} is not a directory`);
  return real;
}

/** Returns the checked-out branch's short name, or undefined on a detached HEAD. */
export async function currentBranch(git: Git, cwd: string): Promise<string | undefined> {
  try {
    return (await git.run(cwd, ['symbolic-ref', '--quiet', '--short', 'HEAD'])).trim() || undefined;
  } catch (err) {
    if (err instanceof GitCommandError && err.exitCode === 1) return undefined;
    throw err;
  }
}

/** Returns the commit `ref` names, or undefined when it names none. */
export async function resolveCommit(git: Git, cwd: string, ref: string): Promise<string | undefined> {
  try {
    return (await git.run(cwd, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`])).trim() || undefined;
  } catch (err) {
    if (err instanceof GitCommandError && (err.exitCode === 1 || err.exitCode === 128)) return undefined;
    throw err;
  }
}

/** Whether the local branch exists. */
export async function branchExists(git: Git, cwd: string, branch: string): Promise<boolean> {
  return (await resolveCommit(git, cwd, `refs/heads/${branch}`)) !== undefined;
}

/** Refuses a branch name git would not accept (the derived one embeds user-chosen names). */
export async function checkBranchName(git: Git, cwd: string, branch: string): Promise<void> {
  try {
    await git.run(cwd, ['check-ref-format', '--branch', branch]);
  } catch {
    throw new WorkspaceError('InvalidSpec', `${JSON.stringify(branch)} is not a valid branch name`);
  }
}

/** One entry of `git worktree list --porcelain`. */
export interface WorktreeEntry {
  path: string;
  head?: string;
  /** Full ref, e.g. `refs/heads/sidekicks/s/run`; absent when detached. */
  branch?: string;
  prunable: boolean;
}

/** Lists the repository's worktrees, the main one first. */
export async function listWorktrees(git: Git, root: string): Promise<WorktreeEntry[]> {
  const out = await git.run(root, ['worktree', 'list', '--porcelain', '-z']);
  const entries: WorktreeEntry[] = [];
  let current: WorktreeEntry | undefined;
  for (const field of out.split('\0')) {
    if (field === '') {
      current = undefined;
      continue;
    }
    const [key, ...rest] = field.split(' ');
    const value = rest.join(' ');
    if (key === 'worktree') {
      current = { path: value, prunable: false };
      entries.push(current);
    } else if (current && key === 'HEAD') current.head = value;
    else if (current && key === 'branch') current.branch = value;
    else if (current && key === 'prunable') current.prunable = true;
  }
  return entries;
}

/** Wraps an unexpected git failure so the run's status carries git's own words. */
export function gitFailure(what: string, err: unknown, reason: WorkspaceError['reason'] = 'GitFailed'): WorkspaceError {
  const detail = err instanceof GitCommandError ? err.stderr.trim() : err instanceof Error ? err.message : String(err);
  return new WorkspaceError(reason, `${what}: ${detail}`, { cause: err });
}
