/**
 * What `sidekick init` learns about the repository it runs in: the toplevel of the git checkout
 * (from any subdirectory), a session name derived from it, and a look at its files for the demo
 * agent.
 */
import { execFile } from 'node:child_process';
import { basename } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository `init` sets up. */
export interface InitRepository {
  /** Absolute path of the checkout's toplevel. */
  root: string;
  /** A DNS-1123 label derived from the toplevel's directory name. */
  name: string;
  /** Tracked files (paths relative to the root), as `git ls-files` lists them. */
  files: string[];
  /** Whether HEAD names a commit (runs start their worktree from one). */
  hasCommit: boolean;
}

/** Thrown when the directory is not inside a git checkout. */
export class NotARepositoryError extends Error {}

/** Finds the git checkout `cwd` is in; throws NotARepositoryError outside one. */
export async function findRepository(cwd: string, env: NodeJS.ProcessEnv): Promise<InitRepository> {
  const git = (...args: string[]) => run('git', args, { cwd, env: gitEnv(env), maxBuffer: 64 * 1024 * 1024 }).then((r) => r.stdout);
  let root: string;
  try {
    root = (await git('rev-parse', '--show-toplevel')).trim();
  } catch {
    throw new NotARepositoryError(`${cwd} is not inside a git repository (run \`git init\` first, or cd into a checkout)`);
  }
  if (root === '') throw new NotARepositoryError(`${cwd} is inside a git directory, not a checkout`);
  const files = (await git('-C', root, 'ls-files', '-z')).split('\0').filter(Boolean);
  const hasCommit = await git('-C', root, 'rev-parse', '--verify', '--quiet', 'HEAD^{commit}').then(
    () => true,
    () => false,
  );
  return { root, name: dnsLabelFrom(basename(root)), files, hasCommit };
}

/**
 * A DNS-1123 label (lowercase letters, digits and '-', starting and ending alphanumeric, at most
 * 63 characters) made from a directory name: `My_Repo.js` becomes `my-repo-js`.
 */
export function dnsLabelFrom(text: string, max = 63): string {
  const label = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .slice(0, max)
    .replace(/^-+|-+$/g, '');
  return label === '' ? 'repo' : label;
}

// Hooks and shells export GIT_DIR and friends; they would aim these commands at another repository.
function gitEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('GIT_')));
}
