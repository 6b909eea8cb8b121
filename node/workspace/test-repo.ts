/**
 * Test fixtures: throwaway git repositories built with the real git binary (never the code under
 * test), and a fingerprint of a checkout that proves it was not touched.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, readdirSync, readFileSync, readlinkSync, lstatSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Runs git in `cwd` with a fixed identity (never the global config) and returns trimmed stdout. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

const created: string[] = [];

/** Creates a fresh temp directory, removed by `removeTempDirs`. */
export function tempDir(prefix = 'sidekicks-ws-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Removes every directory `tempDir` created (call from afterAll). */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Writes files (relative path → content) under `root`, creating directories. */
export function writeFiles(root: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), content);
  }
}

/** Creates a repository on `main` with the files committed once. */
export function makeRepo(files: Record<string, string | Buffer> = { 'README.md': '# demo\n' }): string {
  const root = tempDir('sidekicks-repo-');
  git(root, 'init', '-q', '-b', 'main');
  writeFiles(root, files);
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'initial');
  return root;
}

/**
 * What must not change in a main checkout: every file outside `.git` (path, type and content
 * hash), `.git/index`, `.git/config` and `.git/HEAD`, `git status --porcelain`, HEAD, and the
 * branch list minus `allowedNewBranches`.
 */
export function fingerprint(root: string, allowedNewBranches: string[] = []): string {
  const lines: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (dir === root && name === '.git') continue;
      const full = path.join(dir, name);
      const info = lstatSync(full);
      const rel = path.relative(root, full);
      if (info.isDirectory()) walk(full);
      else if (info.isSymbolicLink()) lines.push(`L ${rel} ${readlinkSync(full)}`);
      else lines.push(`F ${rel} ${info.mode.toString(8)} ${createHash('sha256').update(readFileSync(full)).digest('hex')}`);
    }
  };
  walk(root);
  // Inside .git only new refs and worktree metadata may appear: the index, config and HEAD stay.
  for (const name of ['index', 'config', 'HEAD']) {
    lines.push(`.git/${name} ${createHash('sha256').update(readFileSync(path.join(root, '.git', name))).digest('hex')}`);
  }
  lines.push(`status ${git(root, '--no-optional-locks', 'status', '--porcelain=v1', '--untracked-files=all', '--ignored')}`);
  lines.push(`HEAD ${git(root, 'rev-parse', 'HEAD')} ${git(root, 'rev-parse', '--symbolic-full-name', 'HEAD')}`);
  const branches = git(root, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads').split('\n');
  lines.push(...branches.filter((b) => !allowedNewBranches.some((a) => b.startsWith(`refs/heads/${a}`))));
  return lines.join('\n');
}
