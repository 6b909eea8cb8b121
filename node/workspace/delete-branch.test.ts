/**
 * Deleting a deleted run's branch (`sidekick delete run NAME --delete-branch`) with real git: only
 * a branch checked out nowhere whose tip is the run's (its base, or a commit with its Agent-Run
 * trailer) goes; work someone added is kept, and an already deleted branch is success.
 */
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { WorkspaceManager } from './workspace-manager.js';
import type { RunRef } from './workspace.js';
import { git, makeRepo, removeTempDirs, tempDir, writeFiles } from './test-repo.js';

afterAll(removeTempDirs);

let manager: WorkspaceManager;

beforeEach(() => {
  manager = new WorkspaceManager({ worktreesRoot: path.join(tempDir('sidekicks-home-'), 'worktrees') });
});

let runCounter = 0;
function run(name: string): RunRef {
  return { namespace: 'default', name, uid: `${(0xb0000000 + ++runCounter).toString(16)}-1111-4222-8333-444455556666`, session: 'ses' };
}

describe('deleteBranch (delete --delete-branch)', () => {
  it("deletes a retired run's branch holding only its commits, and keeps one checked out or built on", async () => {
    const repo = makeRepo();
    const r = run('doomed');
    const ws = await manager.prepare({ run: r, mode: 'Worktree', mount: { path: repo } });
    writeFiles(ws.path, { 'work.txt': 'w\n' });
    await manager.finish(ws, { runUid: r.uid, agentName: 'coder', message: 'work' });
    const target = { mountRoot: ws.mountRoot!, branch: ws.branch!, runUid: r.uid, baseCommit: ws.baseCommit! };
    // Still checked out in the run's worktree (a Manual cleanup leaves it): kept.
    expect(await manager.deleteBranch(target)).toEqual({ deleted: false, kept: `branch ${ws.branch} is checked out in ${ws.path}` });
    await manager.retire(ws, 'OnDelete', 'RunDeleted');
    expect(await manager.deleteBranch(target)).toEqual({ deleted: true });
    expect(git(repo, 'branch', '--list', ws.branch!)).toBe('');
    // Gone already is success.
    expect(await manager.deleteBranch(target)).toEqual({ deleted: true });
  });

  it('keeps a branch someone committed on after the run, and deletes one the run left at its base', async () => {
    const repo = makeRepo();
    const r = run('built-on');
    const ws = await manager.prepare({ run: r, mode: 'Worktree', mount: { path: repo } });
    git(ws.path, 'commit', '-q', '--allow-empty', '-m', 'mine, not the run');
    await manager.retire(ws, 'OnDelete', 'RunDeleted');
    const kept = await manager.deleteBranch({ mountRoot: ws.mountRoot!, branch: ws.branch!, runUid: r.uid, baseCommit: ws.baseCommit! });
    expect(kept.deleted).toBe(false);
    expect(kept.kept).toMatch(/has commits that are not the run's/);
    expect(git(repo, 'branch', '--list', ws.branch!)).toContain(ws.branch!);

    const idle = run('idle');
    const untouched = await manager.prepare({ run: idle, mode: 'Worktree', mount: { path: repo } });
    await manager.retire(untouched, 'OnDelete', 'RunDeleted');
    expect(await manager.deleteBranch({ mountRoot: untouched.mountRoot!, branch: untouched.branch!, runUid: idle.uid, baseCommit: untouched.baseCommit! })).toEqual({ deleted: true });
  });
});
