import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Journal, sessionKey } from '../../api/journal/journal.js';
import type { ObjectStore } from '../../api/store/object-store.js';
import type { ExtraWrites, Store } from '../../api/store/store.js';
import type { Channel } from '../../resources/kinds/channel.js';
import type { KubeObject } from '../../resources/meta.js';
import { createOrUpdate, WriteOutcome } from './create-or-update.js';
import { StatusWriter } from './status-writer.js';
import { tempSqliteStore } from '../test-support.js';

const V = 'sidekicks.dev/v1alpha1';
const channel = (topic: string): KubeObject => ({ apiVersion: V, kind: 'Channel', metadata: { name: 'c', namespace: 'default' }, spec: { session: 's', topic } });
const setTopic = (topic: string) => (c: Channel) => {
  if (c.spec.topic === topic) return false;
  c.spec.topic = topic;
  return true;
};

describe('createOrUpdate and StatusWriter (real SQLite store)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: ObjectStore;
  let journal: Journal;

  beforeEach(async () => {
    ({ dir, store, cleanup } = await tempSqliteStore('create-or-update-'));
    journal = new Journal(store);
  });
  afterEach(async () => {
    await cleanup();
  });

  it('creates a missing object, then writes it only when the mutation changes something', async () => {
    const created = await createOrUpdate<Channel>(store, 'channels', channel('a'), { mutate: setTopic('a') });
    expect(created.outcome).toBe(WriteOutcome.Created);
    const same = await createOrUpdate<Channel>(store, 'channels', channel('a'), { mutate: setTopic('a') });
    expect(same).toMatchObject({ outcome: WriteOutcome.Unchanged });
    expect(same.object.metadata.resourceVersion).toBe(created.object.metadata.resourceVersion);
    const updated = await createOrUpdate<Channel>(store, 'channels', channel('b'), { mutate: setTopic('b') });
    expect(updated.outcome).toBe(WriteOutcome.Updated);
    expect((await store.get<Channel>('channels', 'default', 'c')).spec.topic).toBe('b');
  });

  it('leaves an existing object alone without a mutation, and runs the create-time writes only on create', async () => {
    const requested = { extraWrites: async (tx: ExtraWrites) => void (await journal.append(sessionKey('default', 's'), [{ type: 'made', actor: { kind: 'controller', name: 't' } }], tx)) };
    expect((await createOrUpdate(store, 'channels', channel('a'), { createOptions: requested })).outcome).toBe(WriteOutcome.Created);
    expect((await createOrUpdate(store, 'channels', channel('other'), { createOptions: requested })).outcome).toBe(WriteOutcome.Unchanged);
    expect((await store.get<Channel>('channels', 'default', 'c')).spec.topic).toBe('a');
    expect((await journal.read(sessionKey('default', 's'))).events.map((e) => e.type)).toEqual(['made']);
  });

  it('finds a child another worker made between its look and its create (AlreadyExists is "done")', async () => {
    await store.create('channels', channel('theirs'));
    // The look misses it, as it would if the other worker created it just after.
    let looks = 0;
    const racing = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'find') return (...args: Parameters<Store['find']>) => (looks++ === 0 ? Promise.resolve(undefined) : target.find(...args));
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as Store;
    const result = await createOrUpdate<Channel>(racing, 'channels', channel('mine'));
    expect(result.outcome).toBe(WriteOutcome.Unchanged);
    expect(result.object.spec.topic).toBe('theirs');
  });

  it('StatusWriter: a mutation returning null writes nothing; a planned commit that lost a race throws Conflict', async () => {
    const stored = await store.create<Channel>('channels', { ...channel('a'), status: {} } as Channel);
    const writer = new StatusWriter(store, journal);
    const target = { plural: 'channels', sessionOf: (c: Channel) => c.spec.session };
    expect((await writer.commit(target, 'default', 'c', () => null))?.metadata.resourceVersion).toBe(stored.metadata.resourceVersion);
    const written = await writer.commit<Channel>(target, 'default', 'c', (c) => {
      c.status!.phase = 'Active';
      return [{ type: 'channel.active', actor: { kind: 'controller', name: 't' } }];
    });
    expect(written?.status).toMatchObject({ phase: 'Active', observedGeneration: stored.metadata.generation });
    expect((await journal.read(sessionKey('default', 's'))).events.map((e) => e.type)).toEqual(['channel.active']);
    // Planned from the copy before that write: stale, so refused rather than re-applied.
    await expect(writer.commit<Channel>(target, 'default', 'c', (c) => ((c.status!.phase = 'Muted'), []), { planned: stored })).rejects.toMatchObject({ reason: 'Conflict' });
    expect((await store.get<Channel>('channels', 'default', 'c')).status?.phase).toBe('Active');
  });
});
