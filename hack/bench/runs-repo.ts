/**
 * The repository the Runs benchmark works in, and the worktree baselines it is compared with:
 * raw `git worktree add` of the same repository, and the WorkspaceManager called in-process
 * (the controller's git work without the daemon around it).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { WorkspaceManager } from '../../controllers/run/workspace/workspace-manager.js';
import { msSince } from './http.js';

/** The file the benchmark agent edits (tracked, so the edit shows in the run's diff). */
export const EDITED_FILE = 'README.md';
export const EDITED_TEXT = 'Hello from the benchmark repository';

/** Runs git in `cwd`; throws with git's stderr on a non-zero exit. */
export function git(cwd: string, args: string[]): string {
  const r = spawnSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@localhost', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/**
 * Creates a repository of `files` small files spread over directories of 100, plus README.md,
 * in one commit on `main`. Returns the commit.
 */
export function generateRepo(dir: string, files: number): string {
  mkdirSync(dir, { recursive: true });
  git(dir, ['init', '-q', '-b', 'main']);
  writeFileSync(join(dir, EDITED_FILE), `# Bench\n\n${EDITED_TEXT}\n`);
  for (let i = 0; i < files - 1; i++) {
    const sub = join(dir, 'src', `pkg${Math.floor(i / 100)}`);
    if (i % 100 === 0) mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `mod${i % 100}.ts`), `// module ${i}\nexport const value${i} = ${i};\n`);
  }
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'initial']);
  return git(dir, ['rev-parse', 'HEAD']).trim();
}

/**
 * Times `git worktree add -b <branch> <path> <base>` `count` times in a row (ms, ascending),
 * then removes the worktrees and branches so the repository is as before.
 */
export function rawWorktreeAdds(repo: string, base: string, into: string, count: number): number[] {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    git(repo, ['worktree', 'add', '-b', `raw/${i}`, join(into, `raw-${i}`), base]);
    samples.push(msSince(start));
  }
  for (let i = 0; i < count; i++) {
    git(repo, ['worktree', 'remove', '--force', join(into, `raw-${i}`)]);
    git(repo, ['branch', '-q', '-D', `raw/${i}`]);
  }
  return samples.sort((a, b) => a - b);
}

/**
 * Times WorkspaceManager.prepare (Worktree mode) `count` times in a row in this process (ms,
 * ascending): every git command the controller runs to make a worktree, without the daemon's
 * queues, store writes or event loop. Retires the worktrees and deletes the branches afterwards.
 */
export async function managerPrepares(repo: string, worktreesRoot: string, count: number): Promise<number[]> {
  const manager = new WorkspaceManager({ worktreesRoot });
  const samples: number[] = [];
  const made = [];
  for (let i = 0; i < count; i++) {
    const run = { namespace: 'default', name: `inproc-${i}`, uid: uuidv7(), session: 'inproc' };
    const start = process.hrtime.bigint();
    made.push(await manager.prepare({ run, mode: 'Worktree', mount: { path: repo } }));
    samples.push(msSince(start));
  }
  for (const ws of made) await manager.retire(ws, 'OnDelete', 'RunDeleted');
  for (let i = 0; i < count; i++) git(repo, ['branch', '-q', '-D', `sidekicks/inproc/inproc-${i}`]);
  return samples.sort((a, b) => a - b);
}
