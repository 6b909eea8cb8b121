import { afterAll, describe, expect, it, beforeEach } from '@jest/globals';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WorkspaceError } from './errors.js';
import { WorkspaceManager } from './workspace-manager.js';
import type { PrepareRequest, RunRef } from './workspace.js';
import { fingerprint, git, makeRepo, removeTempDirs, tempDir, writeFiles } from './test-repo.js';

afterAll(removeTempDirs);

let home: string;
let manager: WorkspaceManager;

beforeEach(() => {
  home = path.join(tempDir('sidekicks-home-'), 'worktrees');
  manager = new WorkspaceManager({ worktreesRoot: home });
});

let runCounter = 0;
function run(name = `run-${++runCounter}`): RunRef {
  return { namespace: 'default', name, uid: `${(0xa0000000 + runCounter).toString(16)}-1111-4222-8333-444455556666`, session: 'ses' };
}

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof WorkspaceError) return err.reason;
    throw err;
  }
  throw new Error('expected a WorkspaceError');
}

describe('inspectMount', () => {
  it('reports root, branch, head and dirtiness of a repository (from a subdirectory too)', async () => {
    const repo = makeRepo({ 'src/a.ts': 'a\n' });
    const info = await manager.inspectMount(path.join(repo, 'src'));
    expect(info).toEqual({ root: realpathSync(repo), isGit: true, branch: 'main', detached: false, headCommit: git(repo, 'rev-parse', 'HEAD'), dirty: false });
    writeFileSync(path.join(repo, 'new.txt'), 'x');
    expect((await manager.inspectMount(repo)).dirty).toBe(true);
  });

  it('does not count ignored files as dirty', async () => {
    const repo = makeRepo({ '.gitignore': '.env\n' });
    writeFileSync(path.join(repo, '.env'), 'SECRET=1\n');
    expect((await manager.inspectMount(repo)).dirty).toBe(false);
  });

  it('reports a detached HEAD', async () => {
    const repo = makeRepo();
    git(repo, 'checkout', '-q', '--detach');
    expect(await manager.inspectMount(repo)).toMatchObject({ isGit: true, detached: true, branch: undefined });
  });

  it('reports a plain directory and refuses a missing path or a file', async () => {
    const dir = tempDir();
    expect(await manager.inspectMount(dir)).toEqual({ root: realpathSync(dir), isGit: false, detached: false, dirty: false });
    expect(await reason(manager.inspectMount(path.join(dir, 'nope')))).toBe('PathNotFound');
    writeFileSync(path.join(dir, 'f'), '');
    expect(await reason(manager.inspectMount(path.join(dir, 'f')))).toBe('NotADirectory');
  });
});

describe('Worktree mode', () => {
  it('adds a worktree on the run branch at the derived path, leaving the main checkout untouched', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n', '.gitignore': '.env\nconfig/*.local\n' });
    writeFiles(repo, { '.env': 'TOKEN=1\n', 'config/db.local': 'db\n', 'config/other.txt': 'x\n', 'scratch.txt': 'mine\n' });
    const before = fingerprint(repo, ['sidekicks/']);
    const r = run('fix-bug');
    const ws = await manager.prepare({ run: r, mode: 'Worktree', mount: { path: repo, copyFiles: ['.env', 'config/*.local'] } });

    expect(ws).toMatchObject({ mode: 'Worktree', readOnly: false, branch: 'sidekicks/ses/fix-bug', mountRoot: realpathSync(repo) });
    expect(ws.path).toBe(path.join(realpathSync(home), 'default', `fix-bug-${r.uid.slice(0, 8)}`));
    expect(ws.baseCommit).toBe(git(repo, 'rev-parse', 'main'));
    expect(ws.headCommit).toBe(ws.baseCommit);
    expect(git(ws.path, 'symbolic-ref', '--short', 'HEAD')).toBe('sidekicks/ses/fix-bug');
    expect(readFileSync(path.join(ws.path, '.env'), 'utf8')).toBe('TOKEN=1\n');
    expect(readFileSync(path.join(ws.path, 'config/db.local'), 'utf8')).toBe('db\n');
    expect(existsSync(path.join(ws.path, 'config/other.txt'))).toBe(false);
    expect(existsSync(path.join(ws.path, 'scratch.txt'))).toBe(false);
    expect(fingerprint(repo, ['sidekicks/'])).toBe(before);
    expect(git(repo, 'for-each-ref', '--format=%(refname)', 'refs/heads')).toContain('refs/heads/sidekicks/ses/fix-bug');
  });

  it('returns the same worktree when prepared again (a retry after a crash)', async () => {
    const repo = makeRepo();
    const req: PrepareRequest = { run: run(), mode: 'Worktree', mount: { path: repo } };
    const first = await manager.prepare(req);
    writeFileSync(path.join(first.path, 'work.txt'), 'in progress\n');
    const second = await new WorkspaceManager({ worktreesRoot: home }).prepare(req);
    expect(second).toEqual(first);
    expect(readFileSync(path.join(second.path, 'work.txt'), 'utf8')).toBe('in progress\n');
    expect(git(repo, 'worktree', 'list').split('\n')).toHaveLength(2);
  });

  it('recreates a worktree whose directory was deleted by hand', async () => {
    const repo = makeRepo();
    const req: PrepareRequest = { run: run(), mode: 'Worktree', mount: { path: repo } };
    const first = await manager.prepare(req);
    rmSync(first.path, { recursive: true, force: true });
    const second = await manager.prepare(req);
    expect(second.path).toBe(first.path);
    expect(existsSync(path.join(second.path, 'README.md'))).toBe(true);
  });

  it('starts from spec.baseRef', async () => {
    const repo = makeRepo();
    git(repo, 'checkout', '-q', '-b', 'release');
    writeFiles(repo, { 'release.txt': 'r\n' });
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'release');
    git(repo, 'checkout', '-q', 'main');
    const ws = await manager.prepare({ run: run(), mode: 'Worktree', mount: { path: repo, baseRef: 'release', branchPrefix: 'agents/' } });
    expect(ws.baseCommit).toBe(git(repo, 'rev-parse', 'release'));
    expect(ws.branch).toMatch(/^agents\/ses\//);
    expect(existsSync(path.join(ws.path, 'release.txt'))).toBe(true);
  });

  it('fails without touching anything when the base ref does not exist', async () => {
    const repo = makeRepo();
    const before = fingerprint(repo);
    expect(await reason(manager.prepare({ run: run(), mode: 'Worktree', mount: { path: repo, baseRef: 'no-such-branch' } }))).toBe('BaseRefNotFound');
    expect(fingerprint(repo)).toBe(before);
    expect(git(repo, 'worktree', 'list').split('\n')).toHaveLength(1);
  });

  it('refuses a detached HEAD without a base ref', async () => {
    const repo = makeRepo();
    git(repo, 'checkout', '-q', '--detach');
    expect(await reason(manager.prepare({ run: run(), mode: 'Worktree', mount: { path: repo } }))).toBe('DetachedHead');
  });

  it('keeps an existing run branch that has other commits and takes the next free suffix, then keeps its recorded branch on a retry', async () => {
    const repo = makeRepo();
    const r = run('taken');
    // Branches left by earlier runs of the same name: one with work, one checked out elsewhere.
    git(repo, 'branch', 'sidekicks/ses/taken');
    git(repo, 'checkout', '-q', 'sidekicks/ses/taken');
    git(repo, 'commit', '-q', '--allow-empty', '-m', 'earlier work');
    git(repo, 'checkout', '-q', 'main');
    git(repo, 'worktree', 'add', '-q', '-b', 'sidekicks/ses/taken-2', path.join(tempDir(), 'elsewhere'));
    const tip = git(repo, 'rev-parse', 'sidekicks/ses/taken');
    const ws = await manager.prepare({ run: r, mode: 'Worktree', mount: { path: repo } });
    expect(ws.branch).toBe('sidekicks/ses/taken-3');
    expect(git(ws.path, 'symbolic-ref', '--short', 'HEAD')).toBe('sidekicks/ses/taken-3');
    expect(git(repo, 'rev-parse', 'sidekicks/ses/taken')).toBe(tip);
    // A retry that lost its status finds its own worktree's branch; one with the recorded branch uses it.
    expect((await manager.prepare({ run: r, mode: 'Worktree', mount: { path: repo } })).branch).toBe('sidekicks/ses/taken-3');
    expect((await manager.prepare({ run: r, mode: 'Worktree', mount: { path: repo }, branch: 'sidekicks/ses/taken-3' })).path).toBe(ws.path);
  });

  it('fails with BranchExists when a recorded branch is taken by other work', async () => {
    const repo = makeRepo();
    git(repo, 'branch', 'sidekicks/ses/other');
    git(repo, 'checkout', '-q', 'sidekicks/ses/other');
    git(repo, 'commit', '-q', '--allow-empty', '-m', 'other work');
    git(repo, 'checkout', '-q', 'main');
    expect(await reason(manager.prepare({ run: run('recorded'), mode: 'Worktree', mount: { path: repo }, branch: 'sidekicks/ses/other' }))).toBe('BranchExists');
  });

  it('reuses a run branch that is still exactly the base (a try that crashed before checkout)', async () => {
    const repo = makeRepo();
    const r = run('resumed');
    git(repo, 'branch', 'sidekicks/ses/resumed');
    const ws = await manager.prepare({ run: r, mode: 'Worktree', mount: { path: repo } });
    expect(git(ws.path, 'symbolic-ref', '--short', 'HEAD')).toBe('sidekicks/ses/resumed');
  });

  it('refuses a plain directory instead of substituting another mode', async () => {
    const dir = tempDir();
    for (const mode of ['Worktree', 'EphemeralClone', 'Branch'] as const) {
      expect(await reason(manager.prepare({ run: run(), mode, mount: { path: dir, branch: 'b' } }))).toBe('ModeNotSupported');
    }
    expect(existsSync(home)).toBe(false);
  });

  it('refuses copyFiles globs that leave the repository', async () => {
    const repo = makeRepo();
    expect(await reason(manager.prepare({ run: run(), mode: 'Worktree', mount: { path: repo, copyFiles: ['../secrets'] } }))).toBe('InvalidSpec');
    expect(await reason(manager.prepare({ run: run(), mode: 'Worktree', mount: { path: repo, copyFiles: ['/etc/passwd'] } }))).toBe('InvalidSpec');
    expect(git(repo, 'worktree', 'list').split('\n')).toHaveLength(1);
  });

  it('creates concurrent worktrees of one repository, and retiring them all leaves only the main one', async () => {
    const repo = makeRepo();
    const runs = Array.from({ length: 5 }, () => run());
    const workspaces = await Promise.all(runs.map((r) => manager.prepare({ run: r, mode: 'Worktree', mount: { path: repo } })));
    expect(new Set(workspaces.map((w) => w.path)).size).toBe(5);
    expect(git(repo, 'worktree', 'list').split('\n')).toHaveLength(6);
    await Promise.all(workspaces.map((w) => manager.retire(w, 'OnDelete', 'RunDeleted')));
    expect(git(repo, 'worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
    for (const w of workspaces) expect(existsSync(w.path)).toBe(false);
    // Branches are kept.
    expect(git(repo, 'for-each-ref', '--format=%(refname)', 'refs/heads/sidekicks').split('\n')).toHaveLength(5);
  });
});

describe('finish', () => {
  it('commits the changes with trailers as Sidekicks and reports the base...head diff', async () => {
    const repo = makeRepo({ 'keep.txt': 'one\ntwo\n', 'gone.txt': 'x\ny\n', '.gitignore': '.env\n' });
    writeFiles(repo, { '.env': 'K=1\n', 'notes.txt': 'untracked\n' });
    const r = run();
    const ws = await manager.prepare({ run: r, mode: 'Worktree', mount: { path: repo, copyFiles: ['.env', 'notes.txt'] } });
    writeFiles(ws.path, { 'new.txt': 'a\nb\nc\n', 'keep.txt': 'one\nTWO\n', 'logo.bin': Buffer.from([0, 1, 2, 255, 0]) });
    rmSync(path.join(ws.path, 'gone.txt'));

    const result = await manager.finish(ws, { runUid: r.uid, agentName: 'coder', message: 'Fix the bug' });

    expect(result.stats).toEqual({ files: 4, insertions: 4, deletions: 3 });
    expect(result.commit).toBe(git(ws.path, 'rev-parse', 'HEAD'));
    expect(result.headCommit).toBe(result.commit);
    expect(result.baseCommit).toBe(ws.baseCommit);
    const body = git(ws.path, 'log', '-1', '--format=%an <%ae>%n%B');
    expect(body).toContain('Sidekicks <sidekicks@localhost>');
    expect(body).toContain('Fix the bug');
    expect(git(ws.path, 'log', '-1', '--format=%(trailers:key=Agent-Run,valueonly)')).toBe(r.uid);
    expect(git(ws.path, 'log', '-1', '--format=%(trailers:key=Co-authored-by,valueonly)')).toBe('coder <coder@sidekicks.local>');
    // The copied untracked file is never committed, ignored or not.
    expect(git(ws.path, 'show', '--name-only', '--format=', 'HEAD').split('\n').sort()).toEqual(['gone.txt', 'keep.txt', 'logo.bin', 'new.txt']);

    // The patch is what git itself says about base...head, and it applies to the base.
    const diff = result.diff.toString('utf8');
    expect(diff).toContain('diff --git a/new.txt b/new.txt');
    expect(diff).toContain('GIT binary patch');
    const check = tempDir();
    git(check, 'clone', '-q', repo, '.');
    git(check, 'checkout', '-q', ws.baseCommit!);
    writeFileSync(path.join(check, '..', 'run.patch'), result.diff);
    git(check, 'apply', '--index', path.join(check, '..', 'run.patch'));
    expect(git(check, 'write-tree')).toBe(git(ws.path, 'rev-parse', 'HEAD^{tree}'));
  });

  it('makes no commit and reports an empty diff when nothing changed', async () => {
    const repo = makeRepo();
    const r = run();
    const ws = await manager.prepare({ run: r, mode: 'Worktree', mount: { path: repo } });
    const result = await manager.finish(ws, { runUid: r.uid, agentName: 'coder', message: 'nothing' });
    expect(result).toEqual({ commit: undefined, baseCommit: ws.baseCommit, headCommit: ws.baseCommit, diff: Buffer.alloc(0), stats: { files: 0, insertions: 0, deletions: 0 } });
    expect(git(ws.path, 'rev-parse', 'HEAD')).toBe(ws.baseCommit);
  });

  it('finishing twice commits once and reports the same diff', async () => {
    const repo = makeRepo();
    const r = run();
    const ws = await manager.prepare({ run: r, mode: 'Worktree', mount: { path: repo } });
    writeFiles(ws.path, { 'x.txt': 'x\n' });
    const first = await manager.finish(ws, { runUid: r.uid, agentName: 'coder', message: 'm' });
    const second = await manager.finish(ws, { runUid: r.uid, agentName: 'coder', message: 'm' });
    expect(second.commit).toBeUndefined();
    expect(second.headCommit).toBe(first.commit);
    expect(second.diff.equals(first.diff)).toBe(true);
  });

  it('reports a commit a hook rejects as CommitFailed and keeps the changes', async () => {
    const repo = makeRepo();
    mkdirSync(path.join(repo, '.git', 'hooks'), { recursive: true });
    writeFileSync(path.join(repo, '.git', 'hooks', 'pre-commit'), '#!/bin/sh\necho "lint failed" >&2\nexit 1\n', { mode: 0o755 });
    const r = run();
    const ws = await manager.prepare({ run: r, mode: 'Worktree', mount: { path: repo } });
    writeFiles(ws.path, { 'x.txt': 'x\n' });
    const err = await manager.finish(ws, { runUid: r.uid, agentName: 'coder', message: 'm' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkspaceError);
    expect((err as WorkspaceError).reason).toBe('CommitFailed');
    expect((err as WorkspaceError).message).toContain('lint failed');
    expect(readFileSync(path.join(ws.path, 'x.txt'), 'utf8')).toBe('x\n');
  });
});

describe('EphemeralClone mode', () => {
  it('clones at the derived path on the run branch, commits there, and is deleted on completion', async () => {
    const repo = makeRepo({ 'a.txt': 'a\n', '.gitignore': '.env\n' });
    writeFiles(repo, { '.env': 'K=1\n' });
    const before = fingerprint(repo);
    const r = run();
    const ws = await manager.prepare({ run: r, mode: 'EphemeralClone', mount: { path: repo, copyFiles: ['.env'] } });
    expect(ws).toMatchObject({ mode: 'EphemeralClone', readOnly: false, branch: `sidekicks/ses/${r.name}`, baseCommit: git(repo, 'rev-parse', 'HEAD') });
    expect(git(ws.path, 'symbolic-ref', '--short', 'HEAD')).toBe(`sidekicks/ses/${r.name}`);
    expect(readFileSync(path.join(ws.path, '.env'), 'utf8')).toBe('K=1\n');
    expect(await manager.prepare({ run: r, mode: 'EphemeralClone', mount: { path: repo } })).toEqual(ws);

    writeFiles(ws.path, { 'a.txt': 'b\n' });
    const result = await manager.finish(ws, { runUid: r.uid, agentName: 'coder', message: 'change a' });
    expect(result.stats).toEqual({ files: 1, insertions: 1, deletions: 1 });
    expect(fingerprint(repo)).toBe(before);

    expect(await manager.retire(ws, 'OnDelete', 'RunCompleted')).toEqual({ retired: true });
    expect(existsSync(ws.path)).toBe(false);
    expect(await manager.retire(ws, 'OnDelete', 'RunCompleted')).toEqual({ retired: true });
  });
});

describe('Branch mode', () => {
  it('checks out spec.branch in the main checkout, creating it from the base ref', async () => {
    const repo = makeRepo();
    const r = run();
    const ws = await manager.prepare({ run: r, mode: 'Branch', mount: { path: repo, branch: 'feature/x' } });
    expect(ws).toMatchObject({ mode: 'Branch', path: realpathSync(repo), readOnly: false, branch: 'feature/x', baseCommit: git(repo, 'rev-parse', 'main') });
    expect(git(repo, 'symbolic-ref', '--short', 'HEAD')).toBe('feature/x');
    writeFiles(repo, { 'f.txt': 'f\n' });
    // A retry finds the checkout already on the branch; the run's uncommitted work is not "dirty".
    expect(await manager.prepare({ run: r, mode: 'Branch', mount: { path: repo, branch: 'feature/x' } })).toEqual(ws);
    const result = await manager.finish(ws, { runUid: r.uid, agentName: 'coder', message: 'add f' });
    expect(result.stats.files).toBe(1);
    expect(git(repo, 'log', '-1', '--format=%s', 'feature/x')).toBe('add f');
    expect(git(repo, 'rev-parse', 'main')).toBe(ws.baseCommit);
  });

  it('refuses to commit when the checkout was switched to another branch meanwhile', async () => {
    const repo = makeRepo();
    const r = run();
    const ws = await manager.prepare({ run: r, mode: 'Branch', mount: { path: repo, branch: 'feature/z' } });
    git(repo, 'checkout', '-q', 'main');
    writeFiles(repo, { 'user.txt': 'the user\'s own work\n' });
    expect(await reason(manager.finish(ws, { runUid: r.uid, agentName: 'coder', message: 'm' }))).toBe('BranchMoved');
    expect(git(repo, 'status', '--porcelain')).toBe('?? user.txt');
  });

  it('refuses to switch a dirty checkout', async () => {
    const repo = makeRepo();
    writeFiles(repo, { 'README.md': 'edited\n' });
    const before = fingerprint(repo);
    expect(await reason(manager.prepare({ run: run(), mode: 'Branch', mount: { path: repo, branch: 'feature/y' } }))).toBe('DirtyCheckout');
    expect(fingerprint(repo)).toBe(before);
  });

  it('requires spec.branch', async () => {
    const repo = makeRepo();
    expect(await reason(manager.prepare({ run: run(), mode: 'Branch', mount: { path: repo } }))).toBe('InvalidSpec');
  });
});

describe('ReadOnly and Scratch', () => {
  it('ReadOnly uses the mount itself, git or not, and finishing reports nothing', async () => {
    const repo = makeRepo();
    const before = fingerprint(repo);
    const ws = await manager.prepare({ run: run(), mode: 'ReadOnly', mount: { path: repo } });
    expect(ws).toEqual({ mode: 'ReadOnly', path: realpathSync(repo), readOnly: true, branch: 'main', baseCommit: git(repo, 'rev-parse', 'HEAD'), headCommit: git(repo, 'rev-parse', 'HEAD'), mountRoot: realpathSync(repo) });
    const result = await manager.finish(ws, { runUid: 'u', agentName: 'a', message: 'm' });
    expect(result.stats).toEqual({ files: 0, insertions: 0, deletions: 0 });
    expect(await manager.retire(ws, 'OnRunComplete', 'RunCompleted')).toEqual({ retired: false });
    expect(fingerprint(repo)).toBe(before);

    const dir = tempDir();
    expect(await manager.prepare({ run: run(), mode: 'ReadOnly', mount: { path: dir } })).toEqual({ mode: 'ReadOnly', path: realpathSync(dir), readOnly: true, branch: undefined, baseCommit: undefined, headCommit: undefined, mountRoot: realpathSync(dir) });
  });

  it('Scratch is an empty directory at the derived path, only for runs without a mount', async () => {
    const r = run();
    const ws = await manager.prepare({ run: r, mode: 'Scratch' });
    expect(ws.path).toBe(path.join(realpathSync(home), 'default', `${r.name}-${r.uid.slice(0, 8)}`));
    expect(ws.readOnly).toBe(false);
    expect(await manager.retire(ws, 'OnRunComplete', 'RunCompleted')).toEqual({ retired: true });
    expect(existsSync(ws.path)).toBe(false);
    expect(await reason(manager.prepare({ run: run(), mode: 'Scratch', mount: { path: tempDir() } }))).toBe('ModeNotSupported');
    expect(await reason(manager.prepare({ run: run(), mode: 'Worktree' }))).toBe('InvalidSpec');
  });
});

describe('retire', () => {
  it('follows the cleanup policy and is idempotent', async () => {
    const repo = makeRepo();
    const ws = await manager.prepare({ run: run(), mode: 'Worktree', mount: { path: repo } });
    expect(await manager.retire(ws, 'Manual', 'RunDeleted')).toEqual({ retired: false });
    expect(await manager.retire(ws, 'OnDelete', 'RunCompleted')).toEqual({ retired: false });
    expect(existsSync(ws.path)).toBe(true);
    expect(await manager.retire(ws, 'OnRunComplete', 'RunCompleted')).toEqual({ retired: true });
    expect(await manager.retire(ws, 'OnRunComplete', 'RunDeleted')).toEqual({ retired: true });
    expect(git(repo, 'worktree', 'list', '--porcelain').match(/^worktree /gm)).toHaveLength(1);
    expect(git(repo, 'branch', '--list', ws.branch!)).toContain(ws.branch);
  });

  it('refuses to delete anything that is not a workspace under the worktrees root', async () => {
    const repo = makeRepo();
    mkdirSync(home, { recursive: true });
    symlinkSync(repo, path.join(home, 'default-link'));
    for (const p of [repo, home, path.join(home, 'default'), path.join(home, 'default-link', 'x'), path.join(home, 'default', '..', '..', 'x', 'y')]) {
      expect(await reason(manager.retire({ mode: 'EphemeralClone', path: p }, 'OnRunComplete', 'RunCompleted'))).toBe('InvalidSpec');
    }
    expect(existsSync(path.join(repo, 'README.md'))).toBe(true);
  });
});
