/**
 * The repository the Runs benchmark works in, and the worktree baselines it is compared with:
 * raw `git worktree add` of the same repository, and the WorkspaceManager called in-process
 * (the controller's git work without the daemon around it).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { WorkspaceManager } from '../../node/workspace/workspace-manager.js';
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
 * Makes worktrees of one repository two ways, one call at a time, so a caller can interleave
 * them with controller runs: raw `git worktree add -b <branch> <path> <base>`, and
 * WorkspaceManager.prepare in this process (every git command the controller runs for a
 * worktree, without the daemon's queues, store writes or event loop). `clear()` removes what
 * both made, branches included, so the repository is as before.
 */
export class WorktreeBaselines {
  private readonly manager: WorkspaceManager;
  private readonly rawMade: { path: string; branch: string }[] = [];
  private readonly prepared: Awaited<ReturnType<WorkspaceManager['prepare']>>[] = [];

  constructor(
    private readonly repo: string,
    private readonly base: string,
    private readonly into: string,
  ) {
    this.manager = new WorkspaceManager({ worktreesRoot: join(into, 'manager') });
  }

  /** Times one raw `git worktree add -b` (ms). */
  raw(): number {
    const n = this.rawMade.length;
    const made = { path: join(this.into, 'raw', `raw-${n}`), branch: `bench-raw/${n}` };
    const start = process.hrtime.bigint();
    git(this.repo, ['worktree', 'add', '-b', made.branch, made.path, this.base]);
    const elapsed = msSince(start);
    this.rawMade.push(made);
    return elapsed;
  }

  /** Times one WorkspaceManager.prepare in Worktree mode (ms). */
  async inProcess(): Promise<number> {
    const run = { namespace: 'default', name: `inproc-${this.prepared.length}`, uid: uuidv7(), session: 'inproc' };
    const start = process.hrtime.bigint();
    this.prepared.push(await this.manager.prepare({ run, mode: 'Worktree', mount: { path: this.repo } }));
    return msSince(start);
  }

  async clear(): Promise<void> {
    for (const m of this.rawMade.splice(0)) {
      git(this.repo, ['worktree', 'remove', '--force', m.path]);
      git(this.repo, ['branch', '-q', '-D', m.branch]);
    }
    for (const ws of this.prepared.splice(0)) {
      await this.manager.retire(ws, 'OnDelete', 'RunDeleted');
      git(this.repo, ['branch', '-q', '-D', ws.branch!]);
    }
  }
}
