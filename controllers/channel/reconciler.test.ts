import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Journal, sessionKey } from '../../api/journal/journal.js';
import { readChannelMessages } from '../../api/journal/channel-messages.js';
import type { ObjectStore } from '../../api/store/object-store.js';
import { AdmittedStore } from '../../api/server/admitted-store.js';
import { scheme } from '../../resources/index.js';
import type { Channel } from '../../resources/kinds/channel.js';
import type { Run } from '../../resources/kinds/run.js';
import type { KubeObject } from '../../resources/meta.js';
import { ChannelReconciler, CHANNEL_LABEL } from './reconciler.js';
import { tempSqliteStore } from '../test-support.js';

const V = 'sidekicks.dev/v1alpha1';
const key = { namespace: 'default', name: 'debate' };

describe('ChannelReconciler (real store and journal, runs finished by hand)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: ObjectStore;
  let journal: Journal;
  /** What the daemon gives controllers: the store behind API admission. */
  let admitted: AdmittedStore;

  beforeEach(async () => {
    ({ dir, store, cleanup } = await tempSqliteStore('channel-'));
    journal = new Journal(store);
    admitted = new AdmittedStore(store, scheme);
    await store.create('sessions', { apiVersion: V, kind: 'Session', metadata: { name: 's', namespace: 'default' }, spec: { archived: false }, status: { phase: 'Active' } } as KubeObject);
    await journal.append(sessionKey('default', 's'), [{ type: 'session.created', actor: { kind: 'controller', name: 'test' } }]);
    for (const name of ['a', 'b']) {
      await store.create('agents', { apiVersion: V, kind: 'Agent', metadata: { name, namespace: 'default' }, spec: { driver: 'Scripted' }, status: { phase: 'Ready' } } as KubeObject);
    }
    await store.create<Channel>('channels', {
      apiVersion: V,
      kind: 'Channel',
      metadata: { name: 'debate', namespace: 'default', annotations: { 'sidekicks.dev/created-by': 'alice' } },
      spec: { session: 's', turnPolicy: 'RoundRobin', agents: ['a', 'b'], maxTurns: 3, topic: 'Plan the release' },
      status: {},
    } as Channel);
  });
  afterEach(async () => {
    await cleanup();
  });

  /** A daemon's passes over the channel until it has nothing more to do right away. */
  async function settle(reconciler = new ChannelReconciler({ store: admitted, journal })): Promise<void> {
    for (let i = 0; i < 10; i++) {
      const result = await reconciler.reconcile(key);
      if (result.requeueAfterMs !== 0) return;
    }
    throw new Error('the reconciler did not settle');
  }
  const turnRuns = async (): Promise<Run[]> => (await store.list<Run>('runs', { namespace: 'default', labelSelector: `${CHANNEL_LABEL}=debate` })).items;
  const messages = () => readChannelMessages(journal, sessionKey('default', 's'), 'debate');
  const finish = async (name: string, status: Run['status']): Promise<void> => {
    const run = await store.get<Run>('runs', 'default', name);
    await store.updateStatus('runs', { ...run, status });
  };

  it('starts one turn at a time and, after a restart, neither repeats nor loses a turn', async () => {
    await settle();
    await settle(); // a second pass (or a second daemon start) finds the turn's run by its name
    const [first] = await turnRuns();
    expect((await turnRuns()).map((r) => r.metadata.name)).toEqual(['debate-turn-1']);
    // Written as a person writes a Run; admission filled in the defaults.
    expect(first!.spec).toMatchObject({ session: 's', agent: 'a', channel: 'debate', priority: 0, suspend: false });
    expect(first!.spec.prompt).toContain('Topic: Plan the release');
    expect(first!.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Channel', name: 'debate', controller: true })]);
    expect(first!.metadata.annotations?.['sidekicks.dev/created-by']).toBe('alice');
    expect((await store.get<Channel>('channels', 'default', 'debate')).status).toMatchObject({ phase: 'Active', turn: 0, nextSpeaker: 'a', messages: 0 });

    await finish('debate-turn-1', { phase: 'Completed', summary: 'Ship on Friday.' });
    // Each pass by a fresh reconciler: nothing is remembered between passes.
    await settle(new ChannelReconciler({ store: admitted, journal }));
    await settle(new ChannelReconciler({ store: admitted, journal }));
    expect((await messages()).map((m) => [m.author.name, m.text, m.turn])).toEqual([['a', 'Ship on Friday.', 1]]);
    const second = await store.get<Run>('runs', 'default', 'debate-turn-2');
    expect(second.spec.agent).toBe('b');
    expect(second.spec.prompt).toContain('a (agent): Ship on Friday.');

    // A turn that fails is taken (never retried, never skipped over): the channel notes it.
    await finish('debate-turn-2', { phase: 'Failed', reason: 'RecoveryNeeded', message: 'the daemon restarted' });
    await settle();
    expect((await messages()).map((m) => [m.author.name, m.text, m.turn])).toEqual([
      ['a', 'Ship on Friday.', 1],
      ['channel-controller', 'b did not answer: run debate-turn-2 Failed (RecoveryNeeded: the daemon restarted)', 2],
    ]);
    expect((await store.get<Run>('runs', 'default', 'debate-turn-3')).spec.agent).toBe('a');

    await finish('debate-turn-3', { phase: 'Completed' });
    await settle();
    expect((await messages()).at(-1)).toMatchObject({ author: { kind: 'agent', name: 'a' }, text: '(no reply)', turn: 3 });
    expect((await turnRuns()).length).toBe(3);
    const status = (await store.get<Channel>('channels', 'default', 'debate')).status!;
    expect(status).toMatchObject({ phase: 'Muted', turn: 3, messages: 3 });
    expect(status.nextSpeaker).toBeUndefined();
  });

  it('posts the last assistant message when the run has no summary', async () => {
    await settle();
    await journal.append(sessionKey('default', 's'), [
      { type: 'assistant.message', actor: { kind: 'agent', name: 'a' }, run: 'debate-turn-1', payload: { text: 'first thought' } },
      { type: 'assistant.message', actor: { kind: 'agent', name: 'a' }, run: 'debate-turn-1', payload: { text: 'final answer' } },
    ]);
    await finish('debate-turn-1', { phase: 'Completed' });
    await settle();
    expect((await messages()).map((m) => m.text)).toEqual(['final answer']);
  });

  it('pauses on a missing agent without skipping it, and continues once it exists', async () => {
    await store.delete('agents', 'default', 'b');
    await settle();
    await finish('debate-turn-1', { phase: 'Completed', summary: 'over to b' });
    await settle();
    expect((await turnRuns()).map((r) => r.metadata.name)).toEqual(['debate-turn-1']);
    const paused = (await store.get<Channel>('channels', 'default', 'debate')).status!;
    expect(paused).toMatchObject({ phase: 'Active', turn: 1, nextSpeaker: 'b' });
    expect(paused.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'AgentNotFound', message: expect.stringContaining('agent "b" not found') });

    await store.create('agents', { apiVersion: V, kind: 'Agent', metadata: { name: 'b', namespace: 'default' }, spec: { driver: 'Scripted' } } as KubeObject);
    await settle();
    expect((await store.get<Run>('runs', 'default', 'debate-turn-2')).spec.agent).toBe('b');
  });
});
