/**
 * The demo repository the hello (and steering) examples work in: a greeting, a test script and a
 * README on branch main, one commit. `npm run quickstart` makes one in its temporary home;
 * `npm run demo-repo` makes one at the path examples/hello/repomount.yaml names.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expandMountPath } from '../cli/apply/manifests.js';

const FILES: Record<string, string> = {
  'greeting.txt': 'Hello, world\n',
  'test.sh': '#!/bin/sh\n# The greeting must name someone.\ngrep -q "Hello, " greeting.txt && echo "test passed"\n',
  'README.md': '# demo\n\nA repository for the Sidekicks quickstart.\n',
};

/** Creates the demo repository at `path` (which must not exist, or be an empty directory). */
export function createDemoRepository(path: string): void {
  const git = (...args: string[]): void => {
    execFileSync('git', ['-c', 'user.name=Sidekicks Quickstart', '-c', 'user.email=quickstart@sidekicks.local', ...args], { cwd: path, stdio: 'ignore' });
  };
  mkdirSync(path, { recursive: true });
  execFileSync('git', ['init', '-q', '-b', 'main', path]);
  for (const [name, content] of Object.entries(FILES)) writeFileSync(join(path, name), content);
  git('add', '-A');
  git('commit', '-q', '-m', 'Initial commit');
}

/** Whether `path` is a demo repository: a git checkout whose main branch has the demo's files as created. */
export function isDemoRepository(path: string): boolean {
  if (!existsSync(join(path, '.git'))) return false;
  try {
    return Object.entries(FILES).every(([name, content]) => execFileSync('git', ['show', `main:${name}`], { cwd: path, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }) === content);
  } catch {
    return false;
  }
}

/** The RepoMount path an example names (the first RepoMount document with an absolute or ~/ path; ~ is the home directory). */
export function examplePath(repomountFile: string): string {
  const match = /^\s*path:\s*((?:\/|~\/)\S+)\s*$/m.exec(readFileSync(repomountFile, 'utf8'));
  if (!match) throw new Error(`${repomountFile} names no absolute or ~/ spec.path`);
  // The same expansion `sidekick apply -f` gives the path, so the repository lands where the mount looks.
  return expandMountPath(match[1]!, dirname(repomountFile));
}
