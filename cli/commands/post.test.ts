/**
 * `sidekick post channel/NAME -m TEXT` in-process against an API-only daemon (no controllers: the
 * test plays the session controller and writes agent turns to the journal itself): the message is
 * journalled as the authenticated identity, touches the channel so its controller wakes, and is
 * refused while the channel is muted or its session archived.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startHarness, type CliHarness } from '../../test/support/cli-harness.js';
import { sessionKey } from '../../api/journal/journal.js';
import { readChannelMessages } from '../../api/journal/channel-messages.js';
import type { KubeObject } from '../../resources/meta.js';
import type { Channel } from '../../resources/kinds/channel.js';
import type { Session } from '../../resources/kinds/session.js';

const V = 'sidekicks.dev/v1alpha1';
let h: CliHarness;
const token: Record<string, string> = {};
const asUser = (name: string) => ({ env: { SIDEKICK_TOKEN: token[name] } });

/** A session as its controller leaves it: observed (phase set), its journal opened. */
async function observedSession(name: string, spec: Record<string, unknown> = {}): Promise<void> {
  const store = h.daemon.store;
  const s = await store.create<Session>('sessions', { apiVersion: V, kind: 'Session', metadata: { name, namespace: 'default' }, spec: { archived: false, ...spec } } as unknown as Session);
  await store.updateStatus('sessions', { ...s, status: { phase: spec.archived ? 'Archived' : 'Active' } });
  await h.daemon.journal.append(sessionKey('default', name), [{ type: 'session.created', actor: { kind: 'controller', name: 'test' } }]);
}

async function newChannel(name: string, session: string, spec: Record<string, unknown> = {}): Promise<void> {
  await h.daemon.store.create('channels', { apiVersion: V, kind: 'Channel', metadata: { name, namespace: 'default' }, spec: { session, turnPolicy: 'FreeForm', ...spec } } as KubeObject);
}

const messagesOf = (session: string, channel: string) => readChannelMessages(h.daemon.journal, sessionKey('default', session), channel);

beforeAll(async () => {
  h = await startHarness();
  for (const [name, role] of [['dana', 'Owner'], ['bob', 'Viewer'], ['cleo', 'Collaborator']]) {
    const r = await h.sk(['token', 'create', '--as', name!, '--role', role!]);
    expect(r.code).toBe(0);
    token[name!] = r.stdout.trim();
  }
  await observedSession('talk');
  await newChannel('lobby', 'talk');
});

afterAll(async () => {
  await h?.close();
});

describe('sidekick post', () => {
  test('appends the message as the authenticated identity and wakes the channel', async () => {
    const before = (await h.daemon.store.get<Channel>('channels', 'default', 'lobby')).metadata.resourceVersion;
    const r = await h.sk(['post', 'channel/lobby', '-m', 'Morning all.\nAgenda below.'], asUser('dana'));
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const [message] = await messagesOf('talk', 'lobby');
    expect(r.stdout).toBe(`channel.sidekicks.dev/lobby: message #${message!.sequence} posted as dana\n`);
    expect(message).toMatchObject({ author: { kind: 'participant', name: 'dana' }, text: 'Morning all.\nAgenda below.' });
    expect(message!.turn).toBeUndefined();
    const after = await h.daemon.store.get<Channel>('channels', 'default', 'lobby');
    expect(after.metadata.resourceVersion).not.toBe(before);
    expect(Date.parse(after.metadata.annotations!['sidekicks.dev/last-message-at']!)).toBeGreaterThan(0);

    // The socket's owner posts as the daemon's owner; logs print each message as AUTHOR: text.
    expect((await h.sk(['post', 'ch/lobby', '-m', 'hi dana'])).code).toBe(0);
    const logs = await h.sk(['logs', 'channel/lobby']);
    expect(logs.stdout).toBe(`dana: Morning all.\n  Agenda below.\n${h.daemon.owner}: hi dana\n`);
  });

  test('is a write: a Viewer may read the channel but not post to it', async () => {
    const r = await h.sk(['post', 'channel/lobby', '-m', 'can I?'], asUser('bob'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('channels.sidekicks.dev "lobby" is forbidden: User "bob" cannot create resource "channels/messages" in API group "sidekicks.dev" in the namespace "default"');
    expect((await h.sk(['logs', 'channel/lobby'], asUser('bob'))).code).toBe(0);
    expect((await messagesOf('talk', 'lobby')).map((m) => m.text)).not.toContain('can I?');
  });

  test('a Collaborator may post', async () => {
    expect(await h.sk(['post', 'channel/lobby', '-m', 'here too'], asUser('cleo'))).toMatchObject({ code: 0, stderr: '' });
    expect((await messagesOf('talk', 'lobby')).at(-1)).toMatchObject({ author: { kind: 'participant', name: 'cleo' }, text: 'here too' });
  });

  test('is refused once the agents took maxTurns turns, even before the controller marks the channel Muted', async () => {
    await newChannel('capped', 'talk', { agents: ['x'], maxTurns: 1 });
    expect((await h.sk(['post', 'channel/capped', '-m', 'go'])).code).toBe(0);
    await h.daemon.journal.append(sessionKey('default', 'talk'), [
      { type: 'channel.message', actor: { kind: 'agent', name: 'x' }, run: 'capped-turn-1', payload: { channel: 'capped', text: 'done', turn: 1, agent: 'x' } },
    ]);
    const r = await h.sk(['post', 'channel/capped', '-m', 'more?']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'Error from server (Forbidden): channels.sidekicks.dev "capped" is forbidden: channel "capped" is muted: its agents took 1 of 1 turns (spec.maxTurns); raise spec.maxTurns to continue the conversation\n',
    );
    expect((await messagesOf('talk', 'capped')).map((m) => m.text)).toEqual(['go', 'done']);

    // Raising maxTurns opens the conversation again, even while the status still says Muted.
    const capped = await h.daemon.store.get<Channel>('channels', 'default', 'capped');
    await h.daemon.store.updateStatus('channels', { ...capped, status: { phase: 'Muted', turn: 1, observedGeneration: capped.metadata.generation } });
    expect((await h.sk(['post', 'channel/capped', '-m', 'still?'])).code).toBe(1);
    expect((await h.sk(['patch', 'channel', 'capped', '--type', 'merge', '-p', '{"spec":{"maxTurns":2}}'])).code).toBe(0);
    expect(await h.sk(['post', 'channel/capped', '-m', 'one more'])).toMatchObject({ code: 0, stderr: '' });
    expect((await messagesOf('talk', 'capped')).map((m) => m.text)).toEqual(['go', 'done', 'one more']);
  });

  test('is refused in an archived session and before the session is observed', async () => {
    await observedSession('old', { archived: true });
    await newChannel('old-chat', 'old');
    expect((await h.sk(['post', 'channel/old-chat', '-m', 'anyone?'])).stderr).toContain('channel "old-chat" is archived with its session "old": it takes no more messages');
    await h.daemon.store.create('sessions', { apiVersion: V, kind: 'Session', metadata: { name: 'fresh', namespace: 'default' }, spec: { archived: false } } as KubeObject);
    await newChannel('fresh-chat', 'fresh');
    expect((await h.sk(['post', 'channel/fresh-chat', '-m', 'early'])).stderr).toBe('Error from server (Conflict): session "fresh" is not ready yet: post again in a moment\n');
    expect(await messagesOf('old', 'old-chat')).toEqual([]);
    expect(await messagesOf('fresh', 'fresh-chat')).toEqual([]);
  });

  test('usage mistakes: a target that is not a channel, an empty message', async () => {
    expect(await h.sk(['post', 'run/lobby', '-m', 'hi'])).toMatchObject({ code: 1, stderr: expect.stringContaining('expected channel/NAME, got "run/lobby"') });
    expect(await h.sk(['post', 'channel/lobby', '-m', '   '])).toMatchObject({ code: 1, stderr: expect.stringContaining('-m: the message is empty') });
    expect(await h.sk(['post', 'channel/nope', '-m', 'hi'])).toMatchObject({ code: 1, stderr: 'Error from server (NotFound): channels.sidekicks.dev "nope" not found\n' });
  });
});
