/**
 * `sidekick merge run/NAME` end to end: runs of Scripted agents commit on their branches in real
 * worktrees; the CLI merges them into the main checkout — or refuses, leaving it exactly as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyAll, completedRun, demoRepo, fingerprint, git, runInPhase, sidekick, startInProcessDaemon, type InProcessDaemon } from './support.js';

let d: InProcessDaemon;
let repo: string;
const meta = (name: string) => ({ apiVersion: 'sidekicks.dev/v1alpha1', metadata: { name } });
const writer = (name: string, steps: Record<string, unknown>[]) => ({ ...meta(name), kind: 'Agent', spec: { driver: 'Scripted', script: steps } });

beforeAll(async () => {
  d = await startInProcessDaemon('sidekick-merge-');
  repo = demoRepo(d.dir);
  // The merges are the user's own commits: the checkout has an identity, as a developer's does.
  git(repo, 'config', 'user.name', 'Dev');
  git(repo, 'config', 'user.email', 'dev@example.com');
  await applyAll(d.client, [
    { ...meta('m'), kind: 'Session', spec: {} },
    { ...meta('m'), kind: 'RepoMount', spec: { session: 'm', path: repo, mode: 'Worktree' } },
    writer('add-file', [{ tool: 'WriteFile', input: { path: 'added.txt', content: 'added by a run\n' } }, { say: 'Added added.txt.' }]),
    writer('edit-greeting', [{ tool: 'EditFile', input: { path: 'greeting.txt', oldText: 'Hello, world', newText: 'Hello, run' } }, { say: 'Greeting now greets the run.' }]),
    writer('edit-greeting-too', [{ tool: 'EditFile', input: { path: 'greeting.txt', oldText: 'Hello, world', newText: 'Hello, other run' } }, { say: 'Greeting changed too.' }]),
    writer('asks', [{ ask: 'Which file?' }]),
  ]);
});
afterAll(() => d.stop());

async function finishedRun(name: string, agent: string): Promise<void> {
  await d.client.create('runs', 'default', { ...meta(name), kind: 'Run', spec: { session: 'm', agent, repoMount: 'm', prompt: 'go' } });
  await completedRun(d.client, name, 60_000);
}


const head = () => git(repo, 'rev-parse', 'HEAD').trim();

describe('sidekick merge', () => {
  it('fast-forwards main to a run branch, and says how to open a pull request instead', async () => {
    await finishedRun('ff', 'add-file');
    const r = await sidekick(d.home, ['merge', 'run/ff']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^✓ merged run\/ff \(sidekicks\/m\/ff\) into main: fast-forward [0-9a-f]{7}\.\.[0-9a-f]{7}\n {2}added\.txt \| 1 \+\n/);
    expect(r.stdout).toContain('To open a pull request instead: git push origin sidekicks/m/ff && gh pr create --head sidekicks/m/ff');
    expect(head()).toBe(git(repo, 'rev-parse', 'sidekicks/m/ff').trim());
    expect(readFileSync(join(repo, 'added.txt'), 'utf8')).toBe('added by a run\n');
    expect(git(repo, 'status', '--porcelain')).toBe('');
    // Merged already: nothing to do.
    expect((await sidekick(d.home, ['merge', 'run/ff'])).stdout).toBe('main already contains sidekicks/m/ff: nothing to merge\n');
  }, 90_000);

  it('--squash makes one commit with the run summary on a main that moved on', async () => {
    await finishedRun('sq', 'edit-greeting');
    // From the same base, another edit of the same line: merged after this one, it conflicts (next test).
    await finishedRun('conflict', 'edit-greeting-too');
    writeFileSync(join(repo, 'other.txt'), 'meanwhile on main\n');
    git(repo, 'add', 'other.txt');
    git(repo, 'commit', '-q', '-m', 'Meanwhile');
    const before = head();
    const r = await sidekick(d.home, ['merge', 'run/sq', '--squash', '--delete-branch']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^✓ merged run\/sq \(sidekicks\/m\/sq\) into main: squash commit /);
    expect(git(repo, 'rev-parse', 'HEAD~1').trim()).toBe(before);
    expect(git(repo, 'log', '-1', '--format=%B')).toBe('Greeting now greets the run.\n\nSidekicks-Run: sq\n\n');
    expect(git(repo, 'rev-list', '--parents', '-n', '1', 'HEAD').trim().split(' ')).toHaveLength(2);
    expect(readFileSync(join(repo, 'greeting.txt'), 'utf8')).toBe('Hello, run\n');
    // The run's worktree still holds its branch (cleanup OnDelete): git keeps it, and the CLI says why.
    expect(r.stdout).toContain('! kept branch sidekicks/m/sq:');
  }, 90_000);

  it('refuses on a dirty checkout, another branch, an active run and a conflict — changing nothing', async () => {
    // run/conflict edited the line the squash above changed on main.
    const clean = fingerprint(repo);
    const before = head();
    const conflict = await sidekick(d.home, ['merge', 'run/conflict']);
    expect(conflict).toMatchObject({ code: 1, stdout: '' });
    expect(conflict.stderr).toBe('error: merging sidekicks/m/conflict into main would conflict in greeting.txt; nothing was changed (resolve by hand: git merge sidekicks/m/conflict)\n');
    expect(fingerprint(repo)).toBe(clean);

    writeFileSync(join(repo, 'greeting.txt'), 'Hello, uncommitted\n');
    const dirty = await sidekick(d.home, ['merge', 'run/conflict']);
    expect(dirty).toMatchObject({ code: 1, stdout: '' });
    expect(dirty.stderr).toBe(`error: ${repo} has uncommitted changes (greeting.txt): commit or stash them first\n`);
    git(repo, 'checkout', '--', 'greeting.txt');

    git(repo, 'switch', '-q', '-c', 'topic');
    const other = await sidekick(d.home, ['merge', 'run/conflict', '--into', 'main']);
    expect(other.stderr).toBe(`error: ${repo} has topic checked out, not main: run \`git -C ${repo} switch main\` first (or pass --into topic)\n`);
    git(repo, 'switch', '-q', 'main');

    await d.client.create('runs', 'default', { ...meta('waiting'), kind: 'Run', spec: { session: 'm', agent: 'asks', repoMount: 'm', prompt: 'go' } });
    await runInPhase(d.client, 'waiting', 'WaitingForInput', 60_000);
    const active = await sidekick(d.home, ['merge', 'run/waiting']);
    expect(active).toMatchObject({ code: 1, stdout: '' });
    expect(active.stderr).toMatch(/^error: run\/waiting is WaitingForInput: wait until it ends/);
    // (The fingerprint also covers the index's stat data, which the switches above rewrote.)
    expect(head()).toBe(before);
    expect(git(repo, 'status', '--porcelain')).toBe('');
    expect(readFileSync(join(repo, 'greeting.txt'), 'utf8')).toBe('Hello, run\n');
  }, 120_000);
});
