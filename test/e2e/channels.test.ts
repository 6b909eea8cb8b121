/**
 * End to end: Channels — multi-agent conversations — against the real daemon with Scripted agents
 * in scratch directories. Each agent turn is a Run whose prompt carries the conversation so far;
 * its reply is posted to the channel as a `channel.message`. Covers the turn policies (RoundRobin,
 * FreeForm, RequestBased), maxTurns muting the channel, pausing (never skipping) while an agent is
 * missing or unavailable, `sidekick post` and `sidekick logs channel/NAME [-f]`, and a kill -9 of
 * the daemon in the middle of a turn.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { join } from 'node:path';
import { type DaemonHandle } from '../../cli/daemon/compose.js';
import { sidekickHome } from '../../api/home.js';
import { startCli } from '../support/cli.js';
import type { Channel } from '../../resources/kinds/channel.js';
import type { Run } from '../../resources/kinds/run.js';
import type { JournalEvent } from '../../api/journal/event.js';
import { eventually } from '../eventually.js';
import { GV, nextEvent, sidekick, SocketApi, startDaemonProcess, startInProcessDaemon, daemonProcessFixture, stopDaemonProcess } from './support.js';

const V = 'sidekicks.dev/v1alpha1';

const session = (name: string) => ({ apiVersion: V, kind: 'Session', metadata: { name }, spec: {} });
const scripted = (name: string, script: Record<string, unknown>[]) => ({ apiVersion: V, kind: 'Agent', metadata: { name }, spec: { driver: 'Scripted', script } });
const saying = (name: string, text: string) => scripted(name, [{ say: text }]);
const channel = (name: string, spec: Record<string, unknown>) => ({ apiVersion: V, kind: 'Channel', metadata: { name }, spec });

async function create(client: SocketApi, ...objects: { kind: string }[]): Promise<void> {
  const plural: Record<string, string> = { Session: 'sessions', Agent: 'agents', Channel: 'channels' };
  for (const o of objects) await client.create(plural[o.kind]!, 'default', o);
}

async function channelOf(client: SocketApi, name: string): Promise<Channel> {
  return (await client.get('channels', 'default', name)) as Channel;
}

/** Waits until the channel satisfies `check`; a timeout reports the last status seen. */
function channelWhere(client: SocketApi, name: string, check: (c: Channel) => boolean, timeoutMs = 30_000): Promise<Channel> {
  return eventually(async () => {
    const c = await channelOf(client, name);
    if (!check(c)) throw new Error(`channel ${name} is not there yet: ${JSON.stringify(c.status)}`);
    return c;
  }, { timeoutMs });
}

function ready(c: Channel): { status?: string; reason?: string; message?: string } | undefined {
  return c.status?.conditions?.find((x) => x.type === 'Ready');
}

/** The channel's messages through the API: `[author, text]`. */
async function messages(client: SocketApi, name: string): Promise<JournalEvent[]> {
  return ((await client.raw('GET', `${GV}/channels/${name}/messages`)) as { events: JournalEvent[] }).events;
}
const said = (events: JournalEvent[]) => events.map((e) => [e.actor.name, e.payload.text]);

async function turnRuns(client: SocketApi, name: string): Promise<Run[]> {
  const list = (await client.raw('GET', `${GV}/runs?labelSelector=${encodeURIComponent(`sidekicks.dev/channel=${name}`)}`)) as { items: Run[] };
  return list.items.sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!, 'en', { numeric: true }));
}

describe('channels (in-process daemon, Scripted agents)', () => {
  let dir: string;
  let home: string;
  let client: SocketApi;
  let daemon: DaemonHandle;
  let stop: () => Promise<void>;

  beforeAll(async () => ({ dir, home, daemon, client, stop } = await startInProcessDaemon('sidekick-channels-')));
  afterAll(() => stop());

  it('RoundRobin: two agents alternate a, b, a, b, each seeing the conversation so far, then the channel is muted and refuses posts', async () => {
    await create(client, session('rr'), saying('rr-a', 'Ship on Friday.'), saying('rr-b', 'Only after the freeze.'));
    await create(client, channel('rr-debate', { session: 'rr', turnPolicy: 'RoundRobin', agents: ['rr-a', 'rr-b'], maxTurns: 4, topic: 'When do we release?' }));

    const muted = await channelWhere(client, 'rr-debate', (c) => c.status?.phase === 'Muted', 60_000);
    expect(muted.status).toMatchObject({ turn: 4, messages: 4 });
    expect(ready(muted)).toMatchObject({ status: 'True', reason: 'MaxTurnsReached' });
    const events = await messages(client, 'rr-debate');
    expect(said(events)).toEqual([
      ['rr-a', 'Ship on Friday.'],
      ['rr-b', 'Only after the freeze.'],
      ['rr-a', 'Ship on Friday.'],
      ['rr-b', 'Only after the freeze.'],
    ]);
    expect(events.map((e) => [e.actor.kind, e.payload.turn, e.run])).toEqual([1, 2, 3, 4].map((t) => ['agent', t, `rr-debate-turn-${t}`]));

    // One Run per turn, no fifth; each turn's prompt carries the topic and every earlier message.
    const runs = await turnRuns(client, 'rr-debate');
    expect(runs.map((r) => [r.metadata.name, r.spec.agent, r.spec.channel, r.status?.phase])).toEqual([
      ['rr-debate-turn-1', 'rr-a', 'rr-debate', 'Completed'],
      ['rr-debate-turn-2', 'rr-b', 'rr-debate', 'Completed'],
      ['rr-debate-turn-3', 'rr-a', 'rr-debate', 'Completed'],
      ['rr-debate-turn-4', 'rr-b', 'rr-debate', 'Completed'],
    ]);
    expect(runs[0]!.spec.prompt).toContain('Topic: When do we release?');
    expect(runs[0]!.spec.prompt).not.toContain('rr-b (agent):');
    expect(runs[1]!.spec.prompt).toContain('Topic: When do we release?');
    expect(runs[1]!.spec.prompt).toContain('rr-a (agent): Ship on Friday.');
    expect(runs[3]!.spec.prompt).toContain('rr-a (agent): Ship on Friday.\nrr-b (agent): Only after the freeze.\nrr-a (agent): Ship on Friday.');

    const logs = await sidekick(home, ['logs', 'channel/rr-debate']);
    expect(logs.code).toBe(0);
    expect(logs.stdout.trimEnd().split('\n')).toEqual(['rr-a: Ship on Friday.', 'rr-b: Only after the freeze.', 'rr-a: Ship on Friday.', 'rr-b: Only after the freeze.']);

    // Muted: a person's post is refused, through the CLI and the API, and nothing is appended.
    const refused = await sidekick(home, ['post', 'channel/rr-debate', '-m', 'one more round?']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('channel "rr-debate" is muted: its agents took 4 of 4 turns (spec.maxTurns); raise spec.maxTurns to continue the conversation');
    await expect(client.raw('POST', `${GV}/channels/rr-debate/messages`, { text: 'still there?' })).rejects.toMatchObject({ code: 403, reason: 'Forbidden' });
    expect(await messages(client, 'rr-debate')).toHaveLength(4);
  });

  it("FreeForm: a person's post shows in `sidekick logs` (live with -f) and each agent answers it once, in order", async () => {
    await create(client, session('ff'), saying('ff-a', 'A here.'), saying('ff-b', 'B here.\nSecond line.'));
    await create(client, channel('ff-chat', { session: 'ff', turnPolicy: 'FreeForm', agents: ['ff-a', 'ff-b'] }));
    const idle = await channelWhere(client, 'ff-chat', (c) => ready(c)?.reason === 'Idle');
    expect(ready(idle)?.message).toBe('waiting for a person to post');

    const follow = new AbortController();
    const live = startCli(home, ['logs', 'channel/ff-chat', '-f'], { signal: follow.signal });
    const posted = await sidekick(home, ['post', 'channel/ff-chat', '-m', 'Hello agents, status?']);
    expect(posted.code).toBe(0);
    expect(posted.stdout).toMatch(new RegExp(`^channel\\.sidekicks\\.dev/ff-chat: message #\\d+ posted as ${daemon.owner}\\n$`));
    const expected = [`${daemon.owner}: Hello agents, status?`, 'ff-a: A here.', 'ff-b: B here.', '  Second line.'];
    await eventually(() => live.output() === `${expected.join('\n')}\n`, { timeoutMs: 30_000 });
    follow.abort();
    expect((await live.done).code).toBe(0);

    const done = await channelWhere(client, 'ff-chat', (c) => c.status?.turn === 2 && ready(c)?.reason === 'Idle');
    expect(done.status?.messages).toBe(3);
    const logs = await sidekick(home, ['logs', 'ch/ff-chat']);
    expect(logs.stdout).toBe(`${expected.join('\n')}\n`);
    const runs = await turnRuns(client, 'ff-chat');
    expect(runs.map((r) => r.spec.agent)).toEqual(['ff-a', 'ff-b']);
    expect(runs[0]!.spec.prompt).toContain(`${daemon.owner} (person): Hello agents, status?`);
    expect(runs[1]!.spec.prompt).toContain(`${daemon.owner} (person): Hello agents, status?\nff-a (agent): A here.`);
    // The person's message is journalled as theirs (the authenticated identity).
    const [person] = await messages(client, 'ff-chat');
    expect(person!.actor).toEqual({ kind: 'participant', name: daemon.owner });
  });

  it('RoundRobin pauses, never skipping, while an agent is missing or Unavailable, and continues when it comes back', async () => {
    await create(
      client,
      session('pause'),
      saying('p-a', 'a speaks'),
      // A Claude agent whose binary is missing: its probe reports it Unavailable.
      { apiVersion: V, kind: 'Agent', metadata: { name: 'p-c' }, spec: { driver: 'Claude', command: join(dir, 'no-such-claude') } } as { kind: string },
    );
    await eventually(async () => ((await client.get('agents', 'default', 'p-c')) as { status?: { phase?: string } }).status?.phase === 'Unavailable');
    await create(client, channel('pause-rr', { session: 'pause', turnPolicy: 'RoundRobin', agents: ['p-a', 'p-b', 'p-c'], maxTurns: 3, topic: 'Take turns' }));

    const missing = await channelWhere(client, 'pause-rr', (c) => ready(c)?.reason === 'AgentNotFound');
    expect(missing.status).toMatchObject({ phase: 'Active', turn: 1, nextSpeaker: 'p-b' });
    expect(ready(missing)).toMatchObject({ status: 'False', message: expect.stringContaining('paused at turn 2, which is agent "p-b"\'s: agent "p-b" not found; RoundRobin never skips a turn') });
    expect((await turnRuns(client, 'pause-rr')).map((r) => r.spec.agent)).toEqual(['p-a']);

    await create(client, saying('p-b', 'b is back'));
    const unavailable = await channelWhere(client, 'pause-rr', (c) => ready(c)?.reason === 'AgentUnavailable');
    expect(unavailable.status).toMatchObject({ turn: 2, nextSpeaker: 'p-c' });
    expect(ready(unavailable)?.message).toContain('agent "p-c" is Unavailable');
    expect((await turnRuns(client, 'pause-rr')).map((r) => r.spec.agent)).toEqual(['p-a', 'p-b']);

    // The agent becomes available (here: made Scripted); the channel takes turn 3 with it.
    await client.raw('PATCH', `${GV}/agents/p-c`, { spec: { driver: 'Scripted', command: null, script: [{ say: 'c at last' }] } }, 'application/merge-patch+json');
    await channelWhere(client, 'pause-rr', (c) => c.status?.phase === 'Muted');
    expect(said(await messages(client, 'pause-rr'))).toEqual([
      ['p-a', 'a speaks'],
      ['p-b', 'b is back'],
      ['p-c', 'c at last'],
    ]);
  });

  it('RequestBased: an agent speaks only when a message addresses it, and agents may address each other', async () => {
    await create(client, session('rb'), saying('rb-a', 'Noted.'), saying('rb-b', '@rb-a over to you'));
    await create(client, channel('rb-triage', { session: 'rb', turnPolicy: 'RequestBased', agents: ['rb-a', 'rb-b'] }));

    expect((await sidekick(home, ['post', 'channel/rb-triage', '-m', 'Hello everyone'])).code).toBe(0);
    // The controller saw the message (1 counted) and decided nobody is addressed.
    const quiet = await channelWhere(client, 'rb-triage', (c) => c.status?.messages === 1 && ready(c)?.reason === 'Idle');
    expect(quiet.status?.turn).toBe(0);
    expect(await turnRuns(client, 'rb-triage')).toEqual([]);

    expect((await sidekick(home, ['post', 'channel/rb-triage', '-m', '@rb-b what do you think?'])).code).toBe(0);
    await channelWhere(client, 'rb-triage', (c) => c.status?.turn === 2 && ready(c)?.reason === 'Idle');
    const events = await messages(client, 'rb-triage');
    expect(said(events)).toEqual([
      [daemon.owner, 'Hello everyone'],
      [daemon.owner, '@rb-b what do you think?'],
      ['rb-b', '@rb-a over to you'],
      ['rb-a', 'Noted.'],
    ]);
    // Each turn answers the message that addressed it.
    expect(events[2]!.payload.replyTo).toBe(events[1]!.sequence);
    expect(events[3]!.payload.replyTo).toBe(events[2]!.sequence);
    expect((await turnRuns(client, 'rb-triage')).map((r) => r.spec.agent)).toEqual(['rb-b', 'rb-a']);
  });

  it('refuses an empty post and a post to a channel that does not exist', async () => {
    await expect(client.raw('POST', `${GV}/channels/rb-triage/messages`, { text: '  ' })).rejects.toMatchObject({ code: 422, reason: 'Invalid' });
    const missing = await sidekick(home, ['post', 'channel/no-such', '-m', 'hi']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('channels.sidekicks.dev "no-such" not found');
  });
});

describe('channels across a kill -9 of the daemon', () => {
  const d = daemonProcessFixture('sidekick-channels-crash-');

  it('neither loses nor repeats a turn when the daemon is killed in the middle of one', async () => {
    const home = join(d.dir, 'home');
    d.child = await startDaemonProcess(home);
    let client = new SocketApi(sidekickHome(home).socket);
    await create(client, session('crash'), saying('k-a', 'a here'), scripted('k-b', [{ say: 'b thinking' }, { wait: 1.5 }, { say: 'b done' }]));
    await create(client, channel('crash-rr', { session: 'crash', turnPolicy: 'RoundRobin', agents: ['k-a', 'k-b'], maxTurns: 4, topic: 'Survive a crash' }));
    // Kill while k-b's first turn is under way (it said its first line and is waiting).
    await nextEvent(client, 'crash', { types: ['assistant.message'], run: 'crash-rr-turn-2' });
    await stopDaemonProcess(d.child, 'SIGKILL');

    d.child = await startDaemonProcess(home);
    client = new SocketApi(sidekickHome(home).socket);
    const muted = await channelWhere(client, 'crash-rr', (c) => c.status?.phase === 'Muted', 60_000);
    expect(muted.status?.turn).toBe(4);
    const events = await messages(client, 'crash-rr');
    expect(events.map((e) => [e.payload.turn, e.payload.agent])).toEqual([
      [1, 'k-a'],
      [2, 'k-b'],
      [3, 'k-a'],
      [4, 'k-b'],
    ]);
    expect((await turnRuns(client, 'crash-rr')).map((r) => r.metadata.name)).toEqual(['crash-rr-turn-1', 'crash-rr-turn-2', 'crash-rr-turn-3', 'crash-rr-turn-4']);
    const verify = (await client.raw('GET', `${GV}/sessions/crash/verify`)) as { ok: boolean };
    expect(verify.ok).toBe(true);
    await stopDaemonProcess(d.child, 'SIGTERM');
  });
});
