/**
 * The Session reconciler against the real SQLite store and journal and a manual clock: status
 * counts come from the session queue, and queue positions are rewritten at most once a second
 * (the clock decides, not a sleep).
 */
import { describe, expect, it } from '@jest/globals';
import { Journal, sessionKey } from '../../api/journal/journal.js';
import { storePerTest } from '../test-support.js';
import type { ObjectStore } from '../../api/store/object-store.js';
import type { Run } from '../../resources/kinds/run.js';
import type { Session } from '../../resources/kinds/session.js';
import { ManualClock } from '../runtime/clock.js';
import { StatusWriter } from '../runtime/status-writer.js';
import { RunWriter } from '../run/run-writer.js';
import { SessionQueue } from '../run/session-queue.js';
import { SessionReconciler, mainChannelName } from './reconciler.js';

const apiVersion = 'sidekicks.dev/v1alpha1';
const ns = 'default';
const openStore = storePerTest('sk-session-reconciler-');

async function runIn(s: ObjectStore, name: string, phase: string, priority = 0): Promise<Run> {
  const created = await s.create<Run>('runs', { apiVersion, kind: 'Run', metadata: { name, namespace: ns }, spec: { session: 's', agent: 'a', prompt: 'go', priority } } as Run);
  return s.updateStatus<Run>('runs', { ...created, status: { phase } } as Run);
}

describe('SessionReconciler', () => {
  it('counts runs from the queue, places the queue, and rewrites positions at most once a second', async () => {
        const s = await openStore();
    const journal = new Journal(s);
    const clock = new ManualClock();
    const queue = new SessionQueue(() => undefined);
    const writer = new RunWriter(new StatusWriter(s, journal), (r) => queue.observe(r));
    const reconciler = new SessionReconciler({ store: s, journal, writer, queue, clock });
    const pass = async () => {
      for (const r of (await s.list<Run>('runs', { namespace: ns })).items) queue.observe(r);
      return reconciler.reconcile({ namespace: ns, name: 's' });
    };
    await s.create('sessions', { apiVersion, kind: 'Session', metadata: { name: 's', namespace: ns }, spec: {} } as Session);
    await runIn(s, 'busy', 'Running');
    await runIn(s, 'q1', 'Queued');
    await runIn(s, 'q2', 'Queued');

    expect(await pass()).toEqual({});
    const session = await s.get<Session>('sessions', ns, 's');
    expect([session.status?.phase, session.status?.activeRuns, session.status?.queuedRuns]).toEqual(['Active', 1, 2]);
    expect(await s.find('channels', ns, mainChannelName('s'))).toBeDefined();
    expect((await journal.read(sessionKey(ns, 's'))).events.map((e) => e.type)).toEqual(['session.created']);
    const position = async (name: string) => (await s.get<Run>('runs', ns, name)).status?.queuePosition;
    expect([await position('q1'), await position('q2')]).toEqual([1, 2]);

    // A run of higher priority arrives: within the second, the positions wait.
    await runIn(s, 'urgent', 'Queued', 10);
    expect((await pass()).requeueAfterMs).toBe(1000);
    expect([await position('urgent'), await position('q1')]).toEqual([undefined, 1]);
    clock.advance(1000);
    await pass();
    expect([await position('urgent'), await position('q1'), await position('q2')]).toEqual([1, 2, 3]);
  });
});
