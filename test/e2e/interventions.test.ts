/**
 * End to end: interventions (steer / interrupt / cancel) and pause / resume against the real daemon
 * (controllers on), real git worktrees, the compiled driver host, the OpenAI driver talking to the
 * fake chat-completions server, and the CLI verbs in-process. The last suite kills a `sidekick
 * daemon run` process with SIGKILL while a run is paused and resumes it in a fresh daemon.
 */
import { describe, it, expect, beforeAll, afterAll, beforeEach, afterEach } from '@jest/globals';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { DaemonHandle } from '../../cli/daemon/compose.js';
import { sidekickHome } from '../../api/home.js';
import type { Intervention } from '../../resources/kinds/intervention.js';
import { eventually } from '../eventually.js';
import { FakeOpenAIServer, reply, streamed, type FakeResponse, type RecordedRequest } from '../fakes/openai-server.js';
import { applyAll, cliMain, demoRepo, fetchTimeline, GV, runPhase, sidekick, SocketApi, startInProcessDaemon, startDaemonProcess, daemonProcessFixture, stopDaemonProcess, runInPhase } from './support.js';

type TimelineEvent = { sequence: number; type: string; run?: string; payload: Record<string, unknown>; correlationId?: string };



/** A session, an OpenAI agent on the fake server, a worktree mount of `demo`, and one run. */
function openAIRun(name: string, demo: string, baseURL: string): Record<string, unknown>[] {
  return [
    { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name }, spec: {} },
    { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Agent', metadata: { name }, spec: { driver: 'OpenAI', model: 'fake-model', endpoint: { baseURL }, tools: ['ReadFile', 'ListFiles'] } },
    { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'RepoMount', metadata: { name }, spec: { session: name, path: demo } },
    { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name }, spec: { session: name, agent: name, repoMount: name, prompt: 'Read greeting.txt and tell me what it says.' } },
  ];
}

/** A Scripted run in a scratch directory that says one thing and then waits (long enough to act on it). */
function waitingRun(name: string): Record<string, unknown>[] {
  return [
    { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name }, spec: {} },
    { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Agent', metadata: { name }, spec: { driver: 'Scripted', script: [{ say: 'starting' }, { wait: 60 }, { say: 'never reached' }] } },
    { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name }, spec: { session: name, agent: name, prompt: 'wait a while' } },
  ];
}

/** The first turn of every OpenAI run here: read greeting.txt (held back until `gate` settles, if given). */
const readGreeting = (gate?: Promise<unknown>): FakeResponse =>
  streamed({ content: 'Reading it.', toolCalls: [{ id: 'c1', name: 'ReadFile', arguments: JSON.stringify({ path: 'greeting.txt' }) }], usage: { prompt: 50, completion: 10 } }, gate ? { gate } : {});

/** A turn the model never finishes (until the driver goes away): the run is mid-request. */
const endless = (): FakeResponse => ({ kind: 'stream', chunks: reply({ content: '' }).slice(0, 1), hold: true });

function lastMessage(req: RecordedRequest): RecordedRequest['body']['messages'][number] | undefined {
  return req.body.messages.at(-1);
}

function released(): { gate: Promise<void>; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  return { gate, release };
}

async function intervention(client: SocketApi, name: string): Promise<Intervention> {
  return (await client.get('interventions', 'default', name)) as Intervention;
}

/** The name in `intervention.sidekicks.dev/NAME created (...)`. */
function createdName(stdout: string): string {
  const m = /^intervention\.sidekicks\.dev\/(\S+) created \((\w+)/m.exec(stdout);
  if (!m) throw new Error(`unexpected output: ${stdout}`);
  return m[1]!;
}

describe('interventions end to end (in-process daemon)', () => {
  let dir: string;
  let home: string;
  let daemon: DaemonHandle;
  let client: SocketApi;
  let fake: FakeOpenAIServer;
  let stopDaemon: () => Promise<void>;

  beforeAll(async () => ({ dir, home, daemon, client, stop: stopDaemon } = await startInProcessDaemon('sidekick-iv-')));
  // Each OpenAI test scripts its own server: leftover responses cannot leak into the next test.
  beforeEach(async () => {
    fake = await FakeOpenAIServer.start();
  });
  afterEach(async () => {
    await fake.close();
  });
  afterAll(() => stopDaemon());

  it('steers an OpenAI run: Degraded, and the text is the next request\'s last user message', async () => {
    const turn = released();
    fake.enqueue(readGreeting(turn.gate), streamed({ content: 'It says hello; kept short as asked.', usage: { prompt: 80, completion: 12 } }));
    await applyAll(client, openAIRun('steered', demoRepo(join(dir, 'steered')), fake.baseURL));
    await eventually(async () => fake.requests.length === 1 && (await runPhase(client, 'steered')).status?.phase === 'Running', { timeoutMs: 20_000 });

    const steer = await sidekick(home, ['steer', 'run/steered', '-m', 'Keep the answer to one sentence.']);
    expect(steer).toMatchObject({ code: 0, stderr: '' });
    expect(steer.stdout).toMatch(/^intervention\.sidekicks\.dev\/steered-steer-\S+ created \(Degraded: delivered after the current turn/);
    const name = createdName(steer.stdout);
    turn.release();

    const run = await runInPhase(client, 'steered', 'Completed');
    expect(run.status?.summary).toBe('It says hello; kept short as asked.');
    expect(fake.requests).toHaveLength(2);
    const second = fake.requests[1]!;
    expect(lastMessage(second)).toEqual({ role: 'user', content: 'Keep the answer to one sentence.' });
    expect(second.body.messages.some((m) => m.role === 'tool' && (m.content ?? '').includes('Hello, world'))).toBe(true);

    const iv = await intervention(client, name);
    expect(iv.spec).toMatchObject({ run: 'steered', type: 'Steer', expectedRunGeneration: 1 });
    expect(iv.status).toMatchObject({ phase: 'Degraded', observedGeneration: 1 });
    expect(iv.status?.appliedAt).toBeDefined();
    const events = (await fetchTimeline(client, 'steered')) as TimelineEvent[];
    const ivEvents = events.filter((e) => e.type.startsWith('intervention.'));
    expect(ivEvents.map((e) => e.type)).toEqual(['intervention.requested', 'intervention.degraded']);
    expect(ivEvents.every((e) => e.correlationId === iv.metadata.uid && e.run === 'steered')).toBe(true);
    expect(ivEvents[1]!.payload).toMatchObject({ intervention: name, type: 'Steer', source: 'steer', text: 'Keep the answer to one sentence.' });
    const at = (t: string) => events.findIndex((e) => e.type === t);
    expect(at('intervention.degraded')).toBeLessThan(events.findLastIndex((e) => e.type === 'assistant.message'));
    const logs = await sidekick(home, ['logs', 'run/steered']);
    expect(logs.stdout).toContain('[steer] Keep the answer to one sentence.');
  });

  it('expires an intervention whose expectedRunGeneration is stale, and rejects one for an ended run', async () => {
    await applyAll(client, waitingRun('stale'));
    const run = await runInPhase(client, 'stale', 'Running');
    const gen = run.metadata.generation!;
    await client.create('interventions', 'default', {
      apiVersion: 'sidekicks.dev/v1alpha1',
      kind: 'Intervention',
      metadata: { name: 'stale-steer' },
      spec: { run: 'stale', type: 'Steer', content: 'too late', expectedRunGeneration: gen + 1 },
    });
    const iv = await eventually(async () => {
      const i = await intervention(client, 'stale-steer');
      expect(i.status?.phase).toBe('Expired');
      return i;
    });
    expect(iv.status?.message).toContain(`generation ${gen}`);
    expect(iv.status?.appliedAt).toBeUndefined();
    const events = (await fetchTimeline(client, 'stale')) as TimelineEvent[];
    expect(events.filter((e) => e.type.startsWith('intervention.')).map((e) => e.type)).toEqual(['intervention.requested', 'intervention.expired']);
    expect(events.some((e) => e.payload?.source === 'steer')).toBe(false);

    // Ended runs refuse: cancel it, then a steer through the CLI is refused before anything is created.
    expect((await sidekick(home, ['cancel', 'run/stale'])).code).toBe(0);
    const late = await sidekick(home, ['steer', 'run/stale', '-m', 'anyone there?']);
    expect([late.code, late.stdout, late.stderr]).toEqual([1, '', 'error: run/stale is Canceled: nothing to steer\n']);
  });

  it('refuses all five steering verbs on a Completed run alike, in the CLI and in the API, creating nothing', async () => {
    await applyAll(client, [
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name: 'finished' }, spec: {} },
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Agent', metadata: { name: 'finished' }, spec: { driver: 'Scripted', script: [{ say: 'done' }] } },
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name: 'finished' }, spec: { session: 'finished', agent: 'finished', prompt: 'finish' } },
    ]);
    const done = await runInPhase(client, 'finished', 'Completed');
    const verbs: [string, string[]][] = [
      ['pause', []],
      ['resume', []],
      ['steer', ['-m', 'more']],
      ['interrupt', []],
      ['cancel', ['--reason', 'late']],
    ];
    for (const [verb, extra] of verbs) {
      const out = await sidekick(home, [verb, 'run/finished', ...extra]);
      expect([verb, out.code, out.stdout, out.stderr]).toEqual([verb, 1, '', `error: run/finished is Completed: nothing to ${verb}\n`]);
    }
    // kubectl users get the same answer from the API server: 422, nothing stored.
    const refusal = (p: Promise<unknown>) => p.then(() => 'accepted', (err: { code?: number; message: string }) => `${err.code} ${err.message}`);
    const body = { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Intervention', metadata: { name: 'finished-steer' }, spec: { run: 'finished', type: 'Steer', content: 'more' } };
    expect(await refusal(client.create('interventions', 'default', body))).toBe('422 run "finished" is Completed: nothing to steer');
    expect(await refusal(client.raw('PATCH', `${GV}/runs/finished`, { spec: { suspend: true } }, 'application/merge-patch+json'))).toBe('422 run "finished" is Completed: nothing to pause');
    const interventions = (await client.raw('GET', `${GV}/interventions`)) as { items: Intervention[] };
    expect(interventions.items.filter((i) => i.spec.run === 'finished')).toEqual([]);
    const after = await runPhase(client, 'finished');
    expect([after.status?.phase, after.spec.suspend, after.metadata.generation]).toEqual(['Completed', false, done.metadata.generation]);
  });

  it('cancels a running run: it ends Canceled, and the session slot frees', async () => {
    // One slot: the second run waits for the first.
    const [session, agent, first] = waitingRun('doomed') as Record<string, any>[];
    await applyAll(client, [{ ...session, spec: { limits: { maxActiveRuns: 1 } } }, agent, first]);
    await eventually(async () => (await runPhase(client, 'doomed')).status?.phase === 'Running', { timeoutMs: 20_000 });
    await applyAll(client, [{ ...first, metadata: { name: 'doomed-next' } }]);
    await eventually(async () => (await runPhase(client, 'doomed-next')).status?.queuePosition === 1);
    const out = await sidekick(home, ['cancel', 'run/doomed', '--reason', 'superseded']);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^intervention\.sidekicks\.dev\/doomed-cancel-\S+ created \(Applied: the run was canceled: it ended Canceled\)/);
    const name = createdName(out.stdout);
    const run = await runPhase(client, 'doomed');
    const iv = await intervention(client, name);
    // Who asked is the identity the API server recorded on the intervention (when it records one).
    const by = iv.metadata.annotations?.['sidekicks.dev/created-by'];
    expect(run.status).toMatchObject({ phase: 'Canceled', reason: 'Canceled', message: `canceled by ${by ? `${by} (intervention ${name})` : `intervention ${name}`}: superseded` });
    expect(run.status?.failureCategory).toBeUndefined();
    const events = (await fetchTimeline(client, 'doomed')) as TimelineEvent[];
    const related = events.filter((e) => e.correlationId === iv.metadata.uid);
    expect(related.map((e) => e.type)).toEqual(['intervention.requested', 'run.Canceled', 'intervention.applied']);
    expect(related[1]!.payload).toMatchObject({ reason: 'Canceled' });
    expect(related[0]!.payload).toMatchObject({ intervention: name, type: 'Cancel', reason: 'superseded', runGeneration: 1 });
    expect(related[0]!.payload.by).toBe(by);
    expect(events.filter((e) => e.type === 'assistant.message' && e.run === 'doomed').map((e) => e.payload.text)).toEqual(['starting']);
    await eventually(async () => (await runPhase(client, 'doomed-next')).status?.phase === 'Running', { timeoutMs: 10_000 });
    expect((await sidekick(home, ['cancel', 'run/doomed-next'])).code).toBe(0);
  });

  it('interrupts an OpenAI run mid-turn: it pauses, and a steer resumes the same run with the text', async () => {
    const later = released();
    fake.enqueue(readGreeting(), endless(), streamed({ content: 'Switching as asked.' }, { gate: later.gate }), streamed({ content: 'Done, in French: bonjour.' }));
    await applyAll(client, openAIRun('redirected', demoRepo(join(dir, 'redirected')), fake.baseURL));
    await eventually(() => fake.requests.length === 2, { timeoutMs: 20_000 });
    const uid = (await runPhase(client, 'redirected')).metadata.uid;

    const stop = await sidekick(home, ['interrupt', 'run/redirected', '--reason', 'wrong direction']);
    expect(stop.code).toBe(0);
    expect(stop.stdout).toMatch(/created \(Applied: the current turn stops at the next safe point and the run pauses/);
    const paused = await runInPhase(client, 'redirected', 'Paused', 10_000);
    expect(paused.metadata.uid).toBe(uid);
    expect(paused.spec.suspend).toBe(true);
    expect(paused.metadata.annotations?.['sidekicks.dev/interrupted-by']).toBe(createdName(stop.stdout));

    const steer = await sidekick(home, ['steer', 'run/redirected', '-m', 'Answer in French.']);
    expect(steer.code).toBe(0);
    // Accepted while the run resumes; Degraded if the CLI looked only once the driver had it.
    expect(steer.stdout).toMatch(/created \((Accepted: the run was interrupted: it resumes with the text as its next user message|Degraded: delivered after the current turn.*)\)/);
    const name = createdName(steer.stdout);
    await eventually(async () => (await intervention(client, name)).status?.phase === 'Degraded', { timeoutMs: 10_000 });
    later.release();
    const run = await runInPhase(client, 'redirected', 'Completed');
    expect(run.metadata.uid).toBe(uid);
    expect(run.spec.suspend).toBe(false);
    expect(run.metadata.annotations?.['sidekicks.dev/interrupted-by']).toBeUndefined();

    // The resumed requests continue the conversation (the tool call is not made again), and the
    // first request the driver sent after the steer arrived ends with it.
    const [cut, ...resumed] = fake.requests.slice(1);
    expect(resumed.length).toBeGreaterThanOrEqual(1);
    for (const r of resumed) expect(r.body.messages.slice(0, cut!.body.messages.length)).toEqual(cut!.body.messages);
    expect(resumed.some((r) => lastMessage(r)?.content === 'Answer in French.' && lastMessage(r)?.role === 'user')).toBe(true);
    const events = (await fetchTimeline(client, 'redirected')) as TimelineEvent[];
    expect(events.filter((e) => e.type === 'tool.invoked')).toHaveLength(1);
    expect(events.filter((e) => e.type.startsWith('intervention.')).map((e) => e.type)).toEqual([
      'intervention.requested',
      'intervention.applied',
      'intervention.requested',
      'intervention.degraded',
    ]);
    expect(events.filter((e) => e.type === 'run.Paused')).toHaveLength(1);
  });

  it('rejects an interrupt of a paused run, and pause / resume refuse what would do nothing', async () => {
    await applyAll(client, waitingRun('held'));
    await eventually(async () => (await runPhase(client, 'held')).status?.phase === 'Running', { timeoutMs: 20_000 });
    expect(await sidekick(home, ['pause', 'run/held'])).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev/held paused\n' });
    expect(await sidekick(home, ['pause', 'held'])).toMatchObject({ code: 1, stderr: 'error: run.sidekicks.dev "held" is already paused\n' });
    await eventually(async () => (await runPhase(client, 'held')).status?.phase === 'Paused', { timeoutMs: 10_000 });
    const stop = await sidekick(home, ['interrupt', 'run/held']);
    expect(stop.code).toBe(1);
    expect(stop.stdout).toContain('(Rejected: run "held" is paused: there is no turn to interrupt)');
    // A steer to a run a person paused waits for them: Accepted, and the run stays paused.
    const steer = await sidekick(home, ['steer', 'run/held', '-m', 'when you are back: hurry up']);
    expect(steer.stdout).toContain('(Accepted: the run is paused: the text is delivered when it resumes)');
    expect((await runPhase(client, 'held')).spec.suspend).toBe(true);
    expect(await sidekick(home, ['resume', 'run/held'])).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev/held resumed\n' });
    await eventually(async () => (await intervention(client, createdName(steer.stdout))).status?.phase === 'Degraded', { timeoutMs: 10_000 });
    expect(await sidekick(home, ['resume', 'run/held'])).toMatchObject({ code: 1, stderr: 'error: run.sidekicks.dev "held" is not paused\n' });
    expect((await sidekick(home, ['cancel', 'run/held'])).code).toBe(0);
  });
});

describe('pause, kill -9 of the daemon, resume', () => {
  const d = daemonProcessFixture('sidekick-iv-crash-');
  let fake: FakeOpenAIServer;

  beforeAll(async () => {
    fake = await FakeOpenAIServer.start();
  });
  afterAll(async () => {
    await fake.close();
  });

  it('continues a paused OpenAI run from its transcript in a restarted daemon; nothing is repeated', async () => {
    const home = join(d.dir, 'home');
    d.child = await startDaemonProcess(home);
    const client = new SocketApi(sidekickHome(home).socket);
    fake.enqueue(readGreeting(), endless());
    await applyAll(client, openAIRun('greet', demoRepo(d.dir), fake.baseURL));
    await eventually(() => fake.requests.length === 2, { timeoutMs: 20_000 });
    const uid = (await runPhase(client, 'greet')).metadata.uid;

    expect(await sidekick(home, ['pause', 'run/greet'])).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev/greet paused\n' });
    await eventually(async () => (await runPhase(client, 'greet')).status?.phase === 'Paused', { timeoutMs: 10_000 });
    await stopDaemonProcess(d.child, 'SIGKILL');

    d.child = await startDaemonProcess(home);
    const client2 = new SocketApi(sidekickHome(home).socket);
    const stillPaused = await runPhase(client2, 'greet');
    expect(stillPaused.status?.phase).toBe('Paused');
    expect(stillPaused.metadata.uid).toBe(uid);
    fake.enqueue(streamed({ content: 'It says "Hello, world".', usage: { prompt: 90, completion: 8 } }));
    expect(await sidekick(home, ['resume', 'run/greet'])).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev/greet resumed\n' });
    const run = await runInPhase(client2, 'greet', 'Completed');
    expect(run.metadata.uid).toBe(uid);
    expect(run.status?.summary).toBe('It says "Hello, world".');

    // The request after the restart carries the whole earlier conversation, exactly as the one the pause cut off.
    expect(fake.requests).toHaveLength(3);
    expect(fake.requests[2]!.body.messages).toEqual(fake.requests[1]!.body.messages);
    expect(fake.requests[2]!.body.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    const events = (await fetchTimeline(client2, 'greet')) as TimelineEvent[];
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    const count = (type: string) => events.filter((e) => e.type === type).length;
    expect({ invoked: count('tool.invoked'), results: count('tool.result'), said: count('assistant.message'), paused: count('run.Paused'), completed: count('run.Completed'), recovered: count('run.recovered') }).toEqual({
      invoked: 1,
      results: 1,
      said: 2,
      paused: 1,
      completed: 1,
      recovered: 0,
    });
    expect(events.filter((e) => e.type === 'run.Running').map((e) => e.payload.resumed ?? false)).toEqual([false, true]);
    const verify = (await client2.raw('GET', `${GV}/sessions/greet/verify`)) as { ok: boolean };
    expect(verify.ok).toBe(true);
    await stopDaemonProcess(d.child, 'SIGTERM');
  });
});
