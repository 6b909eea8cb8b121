/**
 * `sidekick run` and "never waiting unseen", end to end: a real daemon with its controllers, a
 * real git repository mounted in a session, Scripted agents, and the CLI run in-process from
 * inside the repository — with a terminal (TTY streams the test types into) where it matters.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { eventually } from '../eventually.js';
import { startCli, type CliOptions } from '../support/cli.js';
import { applyAll, approvalsOfRun, completedRun, demoRepo, runInPhase, sidekick, startInProcessDaemon, type SocketApi } from './support.js';

type Step = Record<string, unknown>;

let dir: string;
let home: string;
let client: SocketApi;
let demo: string;
let stop: () => Promise<void>;

const agent = (name: string, script: Step[]) => ({ apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Agent', metadata: { name }, spec: { driver: 'Scripted', script } });

beforeAll(async () => {
  ({ dir, home, client, stop } = await startInProcessDaemon('sidekick-run-'));
  demo = demoRepo(dir);
  await applyAll(client, [
    { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name: 'work' }, spec: { defaults: { agent: 'helper' } } },
    { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'RepoMount', metadata: { name: 'demo' }, spec: { session: 'work', path: demo } },
    agent('helper', [{ say: 'All tests pass now.' }]),
    agent('failer', [{ say: 'Trying.' }, { fail: 'the build is broken' }]),
    agent('asker', [{ tool: 'RunCommand', input: { command: 'echo asked' } }, { say: 'Ran it.' }]),
    agent('always', [{ tool: 'RunCommand', input: { command: 'echo always' } }, { say: 'Ran it.' }]),
    agent('questioner', [{ ask: 'Which name should the greeting use?' }, { say: 'Thanks.' }]),
    agent('first-say', [{ say: 'history of the first run' }]),
    agent('second-say', [{ say: 'history of the second run' }]),
  ] as Record<string, any>[]);
});
afterAll(() => stop());

/** `sidekick ARGV` typed in the demo repository. */
const inRepo = (argv: string[], opts: CliOptions = {}) => startCli(home, argv, { cwd: demo, ...opts });

/** The run name `sidekick run` printed on its first line. */
function createdName(output: string): string {
  const m = /^run\.sidekicks\.dev\/(\S+) created/m.exec(output);
  if (!m) throw new Error(`no "created" line yet in: ${output}`);
  return m[1]!;
}

describe('sidekick run', () => {
  test('follows a run of the session default agent to Completed and exits 0', async () => {
    const r = await inRepo(['run', 'fix the failing test']).done;
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const name = createdName(r.stdout);
    expect(name).toMatch(/^fix-the-failing-test-[a-z0-9]{5}$/);
    expect(r.stdout).toContain('(session work, agent helper)');
    expect(r.stdout).toContain('[assistant] All tests pass now.');
    expect(r.stdout).toMatch(/\[run\] Completed/);
    const run = await completedRun(client, name);
    expect(run.spec).toMatchObject({ session: 'work', agent: 'helper', repoMount: 'demo', prompt: 'fix the failing test' });
  });

  test('a failing agent: exit 1, with the reason printed', async () => {
    const r = await inRepo(['run', 'break', 'it', '--agent', 'failer', '--name', 'failing', '--mode', 'EphemeralClone']).done;
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\[run\] Failed.*the build is broken/);
    const run = await runInPhase(client, 'failing', 'Failed');
    expect(run.spec.mode).toBe('EphemeralClone');
  });

  test('outside a mounted repository: the init hint, exit 1, nothing created', async () => {
    const other = join(dir, 'other');
    execFileSync('git', ['init', '-q', other]);
    const r = await startCli(home, ['run', 'anything', '--name', 'never'], { cwd: other }).done;
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: no RepoMount for ${realpathSync(other)}; run "sidekick init" first\n`);
    expect((await sidekick(home, ['get', 'run', 'never'])).code).toBe(1);
    const bad = await inRepo(['run', 'x', '--mode', 'Sideways']).done;
    expect(bad).toMatchObject({ code: 1, stderr: expect.stringContaining('--mode must be one of') });
  });

  test('an approval shows the command that answers it the moment it waits; approving lets the run finish', async () => {
    const cli = inRepo(['run', 'run the command', '--agent', 'asker']);
    const line = (await eventually(() => /^waiting for approval: sidekick approve (\S+) {3}\(deny: sidekick deny (\S+)\)$/m.exec(cli.output()) ?? undefined, { timeoutMs: 20_000 }))!;
    expect(line[2]).toBe(line[1]);
    const name = createdName(cli.output());
    const pending = (await approvalsOfRun(client, name)).filter((a) => a.status?.phase === 'Pending');
    expect(pending.map((a) => a.metadata.name)).toEqual([line[1]]);
    expect(cli.output()).toContain('  ToolExecution: echo asked');
    // Not a terminal: no bell, no question asked.
    expect(cli.output()).not.toContain('\x07');
    expect(cli.output()).not.toContain('[y]es');
    expect((await sidekick(home, ['approve', line[1]!])).code).toBe(0);
    const r = await cli.done;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`approval.sidekicks.dev/${line[1]} approved`);
  }, 60_000);

  test('on a terminal: the bell rings, "a" approves and remembers for the session, so the next run does not ask', async () => {
    const terminal = new PassThrough();
    const cli = inRepo(['run', 'run it always', '--agent', 'always'], { terminal });
    await eventually(() => cli.output().includes('? [y]es / [n]o / [a]lways for this session: '), { timeoutMs: 20_000 });
    expect(cli.output()).toContain('\x07');
    terminal.write('a\n');
    const r = await cli.done;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/approval\.sidekicks\.dev\/\S+ approved \(remembered for this session\)/);
    const again = await inRepo(['run', 'run it always again', '--agent', 'always']).done;
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain('waiting for approval');
    expect(await approvalsOfRun(client, createdName(again.stdout))).toEqual([expect.objectContaining({ status: expect.objectContaining({ phase: 'Approved' }) })]);
  }, 60_000);

  test('on a terminal, "y" approves that one request', async () => {
    const terminal = new PassThrough();
    const cli = inRepo(['run', 'once', '--agent', 'asker'], { terminal });
    await eventually(() => cli.output().includes('[y]es / [n]o'), { timeoutMs: 20_000 });
    terminal.write('y\n');
    const r = await cli.done;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/approval\.sidekicks\.dev\/\S+ approved\n/);
  }, 60_000);

  test('on a terminal, "n" denies with the reason typed; the agent carries on', async () => {
    const terminal = new PassThrough();
    const cli = inRepo(['run', 'deny me', '--agent', 'asker'], { terminal });
    await eventually(() => cli.output().includes('[y]es / [n]o'), { timeoutMs: 20_000 });
    terminal.write('n\n');
    await eventually(() => cli.output().includes('reason (optional, the agent sees it): '));
    terminal.write('not on this machine\n');
    const r = await cli.done;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/approval\.sidekicks\.dev\/\S+ denied\n/);
    const [approval] = await approvalsOfRun(client, createdName(r.stdout));
    expect(approval?.spec.decision).toMatchObject({ verdict: 'Rejected', reason: 'not on this machine' });
  }, 60_000);

  test('on a terminal, a request decided elsewhere withdraws its prompt and says who decided', async () => {
    const terminal = new PassThrough();
    const cli = inRepo(['run', 'decided elsewhere', '--agent', 'asker'], { terminal });
    const name = (await eventually(() => /approve (\S+)\? \[y\]es/.exec(cli.output())?.[1], { timeoutMs: 20_000 }))!;
    expect((await sidekick(home, ['approve', name])).code).toBe(0);
    const r = await cli.done;
    expect(r.code).toBe(0);
    // The prompt's line is ended before the news, which names the decider.
    expect(r.stdout).toMatch(new RegExp(`for this session: \\napproval\\.sidekicks\\.dev/${name} approved by \\S+`));
  }, 60_000);

  test('a run canceled while followed ends the command with exit 2', async () => {
    const cli = inRepo(['run', 'cancel me', '--agent', 'asker']);
    await eventually(() => cli.output().includes('waiting for approval: '), { timeoutMs: 20_000 });
    expect((await sidekick(home, ['cancel', `run/${createdName(cli.output())}`])).code).toBe(0);
    const r = await cli.done;
    expect(r.code).toBe(2);
  }, 60_000);

  test('Ctrl-C detaches: exit 130 with how to re-attach and stop; the run goes on', async () => {
    const ctrlC = new AbortController();
    const cli = inRepo(['run', 'detach from me', '--agent', 'asker'], { signal: ctrlC.signal });
    const approval = await eventually(() => /^waiting for approval: sidekick approve (\S+)/m.exec(cli.output())?.[1], { timeoutMs: 20_000 });
    const name = createdName(cli.output());
    ctrlC.abort();
    const r = await cli.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain(`sidekick logs run/${name} -f`);
    expect(r.stderr).toContain(`sidekick cancel run/${name}`);
    await runInPhase(client, name, 'WaitingForApproval');
    expect((await sidekick(home, ['approve', approval!])).code).toBe(0);
    await completedRun(client, name);
  }, 60_000);

  test('--detach prints the name; logs -f on a terminal shows the question and sends the typed answer', async () => {
    const started = await inRepo(['run', 'ask me', '--agent', 'questioner', '--detach']).done;
    expect(started.code).toBe(0);
    const name = started.stdout.trim();
    expect(name).toMatch(/^ask-me-[a-z0-9]{5}$/);
    const terminal = new PassThrough();
    const logs = startCli(home, ['logs', `run/${name}`, '-f'], { terminal });
    await eventually(() => logs.output().includes('your answer: '), { timeoutMs: 20_000 });
    expect(logs.output()).toContain(`waiting for your answer: sidekick respond run/${name} -m "..."`);
    expect(logs.output()).toContain('  Which name should the greeting use?');
    terminal.write('Sidekicks\n');
    const r = await logs.done;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`run.sidekicks.dev/${name} answered`);
    const [question] = await approvalsOfRun(client, name);
    expect(question?.spec.decision).toMatchObject({ verdict: 'Approved', reason: 'Sidekicks' });
  }, 60_000);
});

describe('history belongs to the run object', () => {
  test('logs of a run re-created under the same name shows only its own history', async () => {
    expect((await inRepo(['run', 'first', '--name', 'again', '--agent', 'first-say']).done).code).toBe(0);
    expect((await sidekick(home, ['delete', 'run/again'])).code).toBe(0);
    await eventually(async () => (await sidekick(home, ['get', 'run', 'again'])).code === 1, { timeoutMs: 20_000 });
    const second = await inRepo(['run', 'second', '--name', 'again', '--agent', 'second-say']).done;
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('history of the second run');
    expect(second.stdout).not.toContain('history of the first run');
    const logs = await sidekick(home, ['logs', 'run/again']);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('history of the second run');
    expect(logs.stdout).not.toContain('history of the first run');
    // The session's replay still has both, as two runs.
    const replay = await sidekick(home, ['replay', 'session/work']);
    expect(replay.stdout).toContain('── run/again (first-say) ──');
    expect(replay.stdout).toContain('── run/again (second-say) ──');
  }, 60_000);
});

describe('a repository mounted in several sessions', () => {
  test('--session picks one; without it the command names them', async () => {
    await applyAll(client, [
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name: 'side' }, spec: {} },
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'RepoMount', metadata: { name: 'demo-side' }, spec: { session: 'side', path: demo } },
    ] as Record<string, any>[]);
    const ambiguous = await inRepo(['run', 'which one', '--agent', 'helper']).done;
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toBe(`error: ${realpathSync(demo)} is mounted in several sessions (default/side, default/work); choose one with --session\n`);
    const chosen = await inRepo(['run', 'this one', '--session', 'side', '--agent', 'helper']).done;
    expect(chosen.code).toBe(0);
    expect(chosen.stdout).toContain('(session side, agent helper)');
  }, 60_000);
});
