/**
 * Copies a mount's `copyFiles` (untracked files such as `.env`) from the main checkout into a
 * run's worktree or clone, and remembers which files it copied so finishing never commits them.
 */
import { copyFile, lstat, mkdir, readFile, readlink, realpath, symlink, writeFile, constants } from 'node:fs/promises';
import path from 'node:path';
import { WorkspaceError } from './errors.js';
import type { Git } from './git.js';
import { isInside } from './layout.js';

// Kept in the workspace's own git directory (`.git/worktrees/<name>/` for a worktree): it is
// metadata git removes together with the worktree, and it is never part of the working tree.
const RecordFile = 'sidekicks-copied-files.json';

/**
 * Copies the untracked files of `fromRoot` matching `globs` into `toRoot`. Files the workspace
 * tracks are skipped (the base commit's content wins); files already there are kept (a retry
 * copies only what is missing). Returns every relative path copied, now or by an earlier try.
 */
export async function copyUntrackedFiles(git: Git, fromRoot: string, toRoot: string, globs: readonly string[]): Promise<string[]> {
  if (globs.length === 0) return [];
  const untracked = await listUntracked(git, fromRoot, globs);
  const tracked = new Set(await listTracked(git, toRoot, untracked));
  const copied: string[] = [];
  for (const rel of untracked.filter((f) => !tracked.has(f))) {
    const target = path.join(toRoot, rel);
    try {
      await mkdir(path.dirname(target), { recursive: true });
      // A tracked symlink in the worktree could point a copy outside it; refuse rather than follow.
      if (!isInside(await realpath(toRoot), path.join(await realpath(path.dirname(target)), path.basename(target)))) {
        throw new WorkspaceError('CopyFailed', `copyFiles: ${rel} would be written outside the workspace`);
      }
      await copyOne(path.join(fromRoot, rel), target);
      copied.push(rel);
    } catch (err) {
      if (err instanceof WorkspaceError) throw err;
      throw new WorkspaceError('CopyFailed', `copyFiles: cannot copy ${rel}: ${(err as Error).message}`, { cause: err });
    }
  }
  const all = [...new Set([...(await readCopiedFiles(git, toRoot)), ...copied])].sort();
  await writeFile(path.join(await gitDir(git, toRoot), RecordFile), JSON.stringify(all), { mode: 0o600 });
  return all;
}

/** Returns the relative paths `copyUntrackedFiles` put into the workspace at `root`. */
export async function readCopiedFiles(git: Git, root: string): Promise<string[]> {
  try {
    return JSON.parse(await readFile(path.join(await gitDir(git, root), RecordFile), 'utf8')) as string[];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/**
 * Lists untracked files (ignored or not) matching the globs. Git matches them: pathspec `glob`
 * magic gives `*` (not crossing `/`), `**` (any depth) and `?`, and limits the walk to the globs'
 * directories.
 */
async function listUntracked(git: Git, root: string, globs: readonly string[]): Promise<string[]> {
  checkCopyGlobs(globs);
  const out = await git.run(root, ['ls-files', '-z', '--others', '--', ...globs.map((g) => `:(glob)${g}`)]);
  return out.split('\0').filter((f) => f !== '');
}

/** Which of `files` the workspace tracks: those came from the base commit and are left alone. */
async function listTracked(git: Git, root: string, files: readonly string[]): Promise<string[]> {
  if (files.length === 0) return [];
  const out = await git.run(root, ['ls-files', '-z', '--', ...files.map((f) => `:(literal)${f}`)]);
  return out.split('\0').filter((f) => f !== '');
}

/** Refuses globs that are empty, absolute or climb out of the repository. */
export function checkCopyGlobs(globs: readonly string[]): void {
  for (const glob of globs) {
    if (glob === '' || path.isAbsolute(glob) || glob.split(/[\\/]/).includes('..')) {
      throw new WorkspaceError('InvalidSpec', `copyFiles: ${JSON.stringify(glob)} must be a relative glob inside the repository`);
    }
  }
}

/** Copies one file (a symlink stays a symlink); an existing target is a copy from an earlier try. */
async function copyOne(source: string, target: string): Promise<void> {
  const info = await lstat(source);
  try {
    if (info.isSymbolicLink()) await symlink(await readlink(source), target);
    else await copyFile(source, target, constants.COPYFILE_EXCL);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

async function gitDir(git: Git, root: string): Promise<string> {
  return (await git.run(root, ['rev-parse', '--absolute-git-dir'])).trim();
}
