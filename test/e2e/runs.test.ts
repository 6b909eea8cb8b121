/**
 * End to end: the real daemon (controllers on), real git, real SQLite, the compiled driver host
 * (npm test builds first). Runs do real work in worktrees; the journal records it.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { DaemonHandle } from '../../cli/daemon/compose.js';
import { sidekickHome } from '../../api/home.js';
import { ApiError } from '../../api/errors.js';
import { eventually } from '../eventually.js';
import { FakeOpenAIServer, streamed, httpError } from '../fakes/openai-server.js';
import { applyAll, cliMain, demoRepo, exampleObjects, fetchTimeline, fingerprint, git, helloObjects, nextEvent, runPhase, SocketApi, startInProcessDaemon, startDaemonProcess, daemonProcessFixture, stopDaemonProcess, runInPhase } from './support.js';

describe('runs end to end (in-process daemon)', () => {
  let dir: string;
  let daemon: DaemonHandle;
  let client: SocketApi;
  let stop: () => Promise<void>;

  beforeAll(async () => ({ dir, daemon, client, stop } = await startInProcessDaemon('sidekick-e2e-')));
  afterAll(() => stop());

  it('runs examples/hello in its own worktree: commit with trailers, Diff artifact, verified timeline, main checkout untouched', async () => {
    const demo = demoRepo(dir);
    const before = fingerprint(demo);
    await applyAll(client, helloObjects(demo));
    const run = await runInPhase(client, 'hello', 'Completed', 30_000);
    expect(fingerprint(demo)).toBe(before);
    expect(run.status?.workspace?.branch).toBe('sidekicks/hello/hello');
    expect(run.status?.diff).toMatchObject({ files: 2, insertions: 4, deletions: 1, artifact: 'hello-diff' });
    const message = git(demo, 'log', '-1', '--format=%B', 'sidekicks/hello/hello');
    expect(message).toContain(`Agent-Run: ${run.metadata.uid}`);
    expect(message).toContain('Co-authored-by: scripted-helper');
    expect(git(demo, 'show', 'sidekicks/hello/hello:greeting.txt')).toBe('Hello, Sidekicks\n');

    const timeline = await daemon.journal.read('default/hello', { limit: 1000 });
    const types = timeline.events.map((e) => e.type);
    expect(types[0]).toBe('session.created');
    expect(timeline.events.map((e) => e.sequence)).toEqual(timeline.events.map((_, i) => i + 1));
    for (const t of ['run.Starting', 'workspace.ready', 'run.Running', 'tool.invoked', 'tool.result', 'diff.created', 'artifact.published', 'run.Completed']) expect(types).toContain(t);
    expect(types.indexOf('run.Completed')).toBe(types.length - 1);
    expect(await daemon.journal.verify('default/hello')).toEqual({ ok: true, checked: timeline.events.length });

    const art = (await client.get('artifacts', 'default', 'hello-diff')) as { status: { digest: string } };
    const content = readFileSync(join(daemon.paths.artifacts, art.status.digest.slice(7, 9), art.status.digest.slice(7)), 'utf8');
    expect(content).toContain('+Hello, Sidekicks');

    await client.delete('runs', 'default', 'hello');
    await eventually(async () => client.get('runs', 'default', 'hello').then(() => false, (err: ApiError) => err.reason === 'NotFound'));
    expect(git(demo, 'worktree', 'list').trim().split('\n')).toHaveLength(1);
    expect(git(demo, 'branch', '--list', 'sidekicks/hello/hello')).toContain('sidekicks/hello/hello');
    // Background propagation: the store's garbage collector deletes the Diff artifact after the Run is gone.
    await eventually(async () => client.get('artifacts', 'default', 'hello-diff').then(() => false, (err: ApiError) => err.reason === 'NotFound'));
  });

  it('runs examples/openai against an OpenAI-compatible server (SSE, tool loop) to a committed diff', async () => {
    const fake = await FakeOpenAIServer.start();
    try {
      const demo = demoRepo(join(dir, 'openai'));
      fake.enqueue(
        streamed({ content: 'Reading the greeting.', toolCalls: [{ id: 'c1', name: 'ReadFile', arguments: JSON.stringify({ path: 'greeting.txt' }) }], usage: { prompt: 100, completion: 20 } }),
        streamed({ toolCalls: [{ id: 'c2', name: 'EditFile', arguments: JSON.stringify({ path: 'greeting.txt', oldText: 'world', newText: 'Sidekicks' }) }], usage: { prompt: 150, completion: 30 } }),
        streamed({ toolCalls: [{ id: 'c3', name: 'RunCommand', arguments: JSON.stringify({ command: 'sh test.sh' }) }], usage: { prompt: 200, completion: 10 } }),
        streamed({ content: 'Done: the greeting names Sidekicks and the test passes.', usage: { prompt: 250, completion: 15 } }),
      );
      await applyAll(client, exampleObjects('openai', demo, fake.baseURL));
      const run = await runInPhase(client, 'greet', 'Completed', 30_000);
      expect(run.status?.summary).toBe('Done: the greeting names Sidekicks and the test passes.');
      expect(run.status?.usage).toMatchObject({ inputTokens: 700, outputTokens: 75 });
      expect(git(demo, 'show', 'sidekicks/openai/greet:greeting.txt')).toBe('Hello, Sidekicks\n');
      const chat = fake.requests.filter((r) => r.path.endsWith('/chat/completions'));
      expect(chat).toHaveLength(4);
      expect(chat[0].body.stream).toBe(true);
      expect(chat[0].body.tools?.map((t) => t.function.name).sort()).toEqual(['EditFile', 'ListFiles', 'ReadFile', 'RunCommand']);
      expect(chat[3].body.messages.some((m) => m.role === 'tool' && (m.content ?? '').includes('test passed'))).toBe(true);
    } finally {
      await fake.close();
    }
  });

  it('fails a run with failureCategory Provider and the HTTP status when the endpoint refuses', async () => {
    const fake = await FakeOpenAIServer.start();
    try {
      fake.enqueue(httpError(401, 'Incorrect API key provided'));
      await applyAll(client, [
        { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name: 'refused' }, spec: {} },
        { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Agent', metadata: { name: 'refused' }, spec: { driver: 'OpenAI', model: 'm', endpoint: { baseURL: fake.baseURL } } },
        { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name: 'refused' }, spec: { session: 'refused', agent: 'refused', prompt: 'hi' } },
      ]);
      const run = await runInPhase(client, 'refused', 'Failed');
      expect(run.status?.failureCategory).toBe('Provider');
      expect(run.status?.message).toContain('401');
    } finally {
      await fake.close();
    }
  });

  it('waits for a missing agent with a condition naming it, and proceeds when it appears', async () => {
    const [session, agent] = [
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name: 'waits' }, spec: {} },
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Agent', metadata: { name: 'late' }, spec: { driver: 'Scripted', script: [{ say: 'here now' }] } },
    ];
    await client.create('sessions', 'default', session);
    await client.create('runs', 'default', { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name: 'needs-late' }, spec: { session: 'waits', agent: 'late', prompt: 'go' } });
    await eventually(async () => {
      const r = await runPhase(client, 'needs-late');
      expect(r.status?.phase).toBe('Queued');
      expect(r.status?.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'Admitted', status: 'False', reason: 'AgentNotReady', message: 'agent/late: not found' })]));
      expect([r.status?.reason, r.status?.message]).toEqual(['AgentNotReady', 'agent/late: not found']);
      return true;
    });
    await client.create('agents', 'default', agent);
    await eventually(async () => (await runPhase(client, 'needs-late')).status?.phase === 'Completed', { timeoutMs: 20_000 });
    expect((await runPhase(client, 'needs-late')).status?.summary).toBe('here now');
  });

  it('fails a run whose base ref does not exist, in Starting, with a clear reason and no branch', async () => {
    const demo = join(dir, 'badref');
    execFileSync('git', ['init', '-q', '-b', 'main', demo]);
    writeFileSync(join(demo, 'a.txt'), 'a\n');
    git(demo, 'add', '-A');
    git(demo, 'commit', '-q', '-m', 'a');
    await applyAll(client, [
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name: 'badref' }, spec: {} },
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Agent', metadata: { name: 'quiet' }, spec: { driver: 'Scripted', script: [{ say: 'ok' }] } },
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'RepoMount', metadata: { name: 'badref' }, spec: { session: 'badref', path: demo, baseRef: 'no-such-branch' } },
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name: 'badref' }, spec: { session: 'badref', agent: 'quiet', repoMount: 'badref', prompt: 'x' } },
    ]);
    const run = await runInPhase(client, 'badref', 'Failed');
    expect(run.status).toMatchObject({ reason: 'BaseRefNotFound', failureCategory: 'Workspace' });
    expect(run.status?.message).toContain('no-such-branch');
    expect(git(demo, 'branch', '--list').trim()).toBe('* main');
    expect(git(demo, 'worktree', 'list').trim().split('\n')).toHaveLength(1);
  });

  it('queues runs beyond the session limit with positions, and runs them in FIFO order', async () => {
    await applyAll(client, [
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name: 'narrow' }, spec: { limits: { maxActiveRuns: 1 } } },
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Agent', metadata: { name: 'slowish' }, spec: { driver: 'Scripted', script: [{ say: 'start' }, { wait: 0.3 }, { say: 'done' }] } },
    ]);
    await eventually(async () => ((await client.get('sessions', 'default', 'narrow')) as { status?: { phase?: string } }).status?.phase === 'Active');
    for (const n of ['q1', 'q2', 'q3']) {
      await client.create('runs', 'default', { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name: n }, spec: { session: 'narrow', agent: 'slowish', prompt: n } });
    }
    await eventually(async () => ((await runPhase(client, 'q3')).status?.queuePosition ?? 0) >= 1);
    const done = await eventually(async () => {
      const runs = await Promise.all(['q1', 'q2', 'q3'].map((n) => runPhase(client, n)));
      expect(runs.map((r) => r.status?.phase)).toEqual(['Completed', 'Completed', 'Completed']);
      return runs;
    }, { timeoutMs: 30_000 });
    const started = done.map((r) => r.status!.startedAt!);
    const finished = done.map((r) => r.status!.finishedAt!);
    // One slot: each run starts no earlier than the previous one finished.
    expect(started[1] >= finished[0] && started[2] >= finished[1]).toBe(true);
  });
});

describe('crash recovery (kill -9 of the daemon process)', () => {
  const d = daemonProcessFixture('sidekick-crash-');

  it('resumes a Scripted run from its checkpoint after kill -9; nothing is lost or duplicated', async () => {
    const home = join(d.dir, 'home');
    const demo = demoRepo(d.dir);
    d.child = await startDaemonProcess(home);
    const client = new SocketApi(sidekickHome(home).socket);
    const objects = helloObjects(demo).map((o: Record<string, any>) =>
      o.kind === 'Agent'
        ? { ...o, spec: { ...o.spec, script: [{ say: 'one' }, { tool: 'WriteFile', input: { path: 'a.txt', content: 'a\n' } }, { think: 'a.txt is written' }, { wait: 1.5 }, { tool: 'WriteFile', input: { path: 'b.txt', content: 'b\n' } }, { say: 'finished' }] } }
        : o,
    );
    await applyAll(client, objects);
    const daemonLog = sidekickHome(home);
    // Kill in the wait after a.txt: the thought after it is journalled once the pump has saved the
    // checkpoint that follows a.txt (events are handled in order).
    await nextEvent(client, 'hello', { types: ['assistant.thinking'], run: 'hello' });
    await stopDaemonProcess(d.child, 'SIGKILL');
    expect(existsSync(daemonLog.daemonInfo)).toBe(true);

    d.child = await startDaemonProcess(home);
    const client2 = new SocketApi(sidekickHome(home).socket);
    const run = await runInPhase(client2, 'hello', 'Completed', 30_000);
    expect(run.status?.summary).toBe('finished');
    const events = await fetchTimeline(client2);
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    const invoked = events.filter((e) => e.type === 'tool.invoked').map((e) => (e.payload as { callId: string }).callId);
    expect(new Set(invoked).size).toBe(invoked.length);
    expect(events.some((e) => e.type === 'run.recovered')).toBe(true);
    expect(events.filter((e) => e.type === 'run.Completed')).toHaveLength(1);
    expect(git(demo, 'show', 'sidekicks/hello/hello:b.txt')).toBe('b\n');
    const verify = (await client2.raw('GET', '/apis/sidekicks.dev/v1alpha1/namespaces/default/sessions/hello/verify')) as { ok: boolean };
    expect(verify.ok).toBe(true);
    await stopDaemonProcess(d.child, 'SIGTERM');
  });

  it('does not run a command again that was running at kill -9: it is recorded as skipped and the agent is told', async () => {
    const home = join(d.dir, 'home-inflight');
    const demo = demoRepo(join(d.dir, 'inflight'));
    d.child = await startDaemonProcess(home);
    const client = new SocketApi(sidekickHome(home).socket);
    const command = 'echo started >> runs.log; sleep 3; echo finished >> runs.log';
    const objects = helloObjects(demo).map((o: Record<string, any>) =>
      o.kind === 'Agent'
        ? { ...o, spec: { ...o.spec, script: [{ say: 'one' }, { tool: 'RunCommand', input: { command } }, { say: 'after' }] } }
        : o.kind === 'ApprovalPolicy'
          ? { ...o, spec: { ...o.spec, rules: [{ category: 'ToolExecution', match: { tool: 'RunCommand', command }, action: 'Allow' }] } }
          : o,
    );
    await applyAll(client, objects);
    // Kill while the command runs: it is invoked, and it has written its first line.
    await nextEvent(client, 'hello', { types: ['tool.invoked'], run: 'hello' }, (e) => (e.payload as { input?: { command?: string } }).input?.command === command);
    const worktree = (await runPhase(client, 'hello')).status!.workspace!.path!;
    await eventually(() => existsSync(join(worktree, 'runs.log')), { timeoutMs: 20_000 });
    await stopDaemonProcess(d.child, 'SIGKILL');

    d.child = await startDaemonProcess(home);
    const client2 = new SocketApi(sidekickHome(home).socket);
    await eventually(async () => (await runPhase(client2, 'hello')).status?.phase === 'Completed', { timeoutMs: 30_000 });
    const events = await fetchTimeline(client2);
    const skipped = events.filter((e) => e.type === 'tool.skipped_during_recovery');
    expect(skipped.map((e) => (e.payload as { callId: string; tool: string }).tool)).toEqual(['RunCommand']);
    const callId = (skipped[0]!.payload as { callId: string }).callId;
    const outcome = events.filter((e) => (e.type === 'tool.result' || e.type === 'tool.error') && (e.payload as { callId: string }).callId === callId);
    expect(outcome.map((e) => e.type)).toEqual(['tool.error']);
    expect((outcome[0]!.payload as { output: string }).output).toContain('not run again');
    // Started once, before the kill; never again.
    expect(readFileSync(join(worktree, 'runs.log'), 'utf8').split('\n').filter((l) => l === 'started')).toHaveLength(1);
    await stopDaemonProcess(d.child, 'SIGTERM');
  });
});
