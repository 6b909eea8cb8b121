/**
 * Finishing a run: commit everything it changed (as Sidekicks, with the run and the agent in
 * trailers), then measure base...head — the patch for the Diff artifact and the stats for status.
 */
import { readCopiedFiles } from './copy-files.js';
import { WorkspaceError } from './errors.js';
import type { Git } from './git.js';
import { currentBranch, gitFailure, resolveCommit } from './repo.js';
import type { DiffStats, FinishRequest, FinishResult, Workspace } from './workspace.js';

/** Identity of every commit Sidekicks makes; set per command, so no git config is required. */
const commitConfig = [
  'user.name=Sidekicks',
  'user.email=sidekicks@localhost',
  // A user's signing setup would sign the agent's work with the user's key (or wait on a pinentry).
  'commit.gpgsign=false',
];

// Pinned so the patch is the same whatever diff settings the user has (prefixes, drivers, color).
const diffFlags = ['--no-color', '--no-ext-diff', '--no-textconv', '--src-prefix=a/', '--dst-prefix=b/'];

/**
 * Commits the workspace's changes (if any) and returns the commit, base...head patch and stats.
 * Files copied in by `copyFiles` are never committed. Hooks run: a hook that rejects the commit
 * fails with `CommitFailed`, leaving the changes in place.
 */
export async function commitAndDiff(git: Git, ws: Workspace, req: FinishRequest): Promise<FinishResult> {
  if (!ws.baseCommit) throw new WorkspaceError('InvalidSpec', `workspace ${ws.path} has no base commit to diff against`);
  // In Branch mode the checkout is the user's too: never commit onto a branch they switched to.
  const branch = await currentBranch(git, ws.path);
  if (ws.branch && branch !== ws.branch) {
    throw new WorkspaceError('BranchMoved', `${ws.path} is on ${branch ?? 'a detached HEAD'}, not the run's branch ${ws.branch}; nothing was committed`);
  }
  await git.run(ws.path, ['add', '--all']);
  const copied = await readCopiedFiles(git, ws.path);
  // Unstaged again rather than excluded from `add`: git refuses exclude pathspecs naming ignored files.
  if (copied.length > 0) await git.run(ws.path, ['reset', '--quiet', '--', ...copied.map((f) => `:(literal)${f}`)]);
  const staged = await git.run(ws.path, ['diff', '--cached', '--name-only', '-z']);
  let commit: string | undefined;
  if (staged.length > 0) {
    const message = req.message.trim() || `Sidekicks run ${req.runUid}`;
    try {
      await git.run(
        ws.path,
        ['commit', '--quiet', '--message', message, '--trailer', `Agent-Run: ${req.runUid}`, '--trailer', `Co-authored-by: ${coAuthor(req.agentName)}`],
        { config: commitConfig },
      );
    } catch (err) {
      throw gitFailure(`committing the run's changes in ${ws.path} failed`, err, 'CommitFailed');
    }
    commit = await resolveCommit(git, ws.path, 'HEAD');
  }
  const headCommit = commit ?? (await resolveCommit(git, ws.path, 'HEAD'));
  if (!headCommit) throw new WorkspaceError('GitFailed', `workspace ${ws.path} has no HEAD commit`);
  const range = `${ws.baseCommit}...${headCommit}`;
  const diff = await git.runBuffer(ws.path, ['diff', ...diffFlags, '--binary', range]);
  const stats = parseNumstat(await git.run(ws.path, ['diff', ...diffFlags, '--numstat', range]));
  return { commit, baseCommit: ws.baseCommit, headCommit, diff, stats };
}

/** `name <name@sidekicks.local>`, with the name reduced to what an email local part allows. */
export function coAuthor(agentName: string): string {
  const local = agentName.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'agent';
  return `${agentName.replace(/[<>\n]/g, '')} <${local}@sidekicks.local>`;
}

/** Sums `git diff --numstat` lines; binary files (`-\t-`) count as files without lines. */
export function parseNumstat(out: string): DiffStats {
  const stats: DiffStats = { files: 0, insertions: 0, deletions: 0 };
  for (const line of out.split('\n')) {
    const m = /^(\d+|-)\t(\d+|-)\t/.exec(line);
    if (!m) continue;
    stats.files += 1;
    stats.insertions += m[1] === '-' ? 0 : Number(m[1]);
    stats.deletions += m[2] === '-' ? 0 : Number(m[2]);
  }
  return stats;
}
