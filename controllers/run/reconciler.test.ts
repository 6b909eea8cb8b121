/**
 * The Run reconciler, one pass at a time, against the real SQLite store and journal, a manual
 * clock, and fakes for workspaces, the driver launcher and the approval gate: the session queue
 * holds runs beyond maxActiveRuns with their position, a deleted active run lets the next one in,
 * a started run records the clock's time, and spec.suspend pauses a running run.
 */
import { describe, expect, it } from '@jest/globals';
import { Journal, sessionKey } from '../../api/journal/journal.js';
import { storePerTest } from '../test-support.js';
import type { ObjectStore } from '../../api/store/object-store.js';
import type { Run } from '../../resources/kinds/run.js';
import type { KubeObject } from '../../resources/meta.js';
import type { ArtifactContent, DriverHandle, DriverLauncher, Workspaces } from '../../node/ports.js';
import type { ApprovalGate } from '../approval/gate.js';
import { ManualClock } from '../runtime/clock.js';
import { StatusWriter } from '../runtime/status-writer.js';
import { CHECKPOINT_MIGRATIONS, CheckpointStore } from './checkpoints.js';
import { RunEvents } from './run-events.js';
import { RunReconciler } from './reconciler.js';
import { RunWriter } from './run-writer.js';
import { SessionQueue } from './session-queue.js';

const apiVersion = 'sidekicks.dev/v1alpha1';
const ns = 'default';
const openStore = storePerTest('sk-run-reconciler-', [CHECKPOINT_MIGRATIONS]);

const capabilities = { resume: true } as DriverHandle['capabilities'];

/** A driver that starts and waits until it is closed: nothing it does is asked of these tests. */
function driver(): DriverHandle {
  let exit!: () => void;
  const exited = new Promise<void>((resolve) => (exit = resolve));
  return { capabilities, send: async () => undefined, steer: async () => 'applied', interrupt: async () => undefined, close: async () => exit(), exited };
}

interface World {
  store: ObjectStore;
  journal: Journal;
  queue: SessionQueue;
  clock: ManualClock;
  reconciler: RunReconciler;
  launched: string[];
  canceled: string[];
  /** One pass of the reconciler for a run, the queue fed from the store first (as the informer would). */
  pass(name: string): Promise<void>;
  run(name: string): Promise<Run | undefined>;
}

async function world(maxActiveRuns: number): Promise<World> {
    const s = await openStore();
  const journal = new Journal(s);
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12, 0, 0));
  const sessions = new Map<string, KubeObject>();
  const queue = new SessionQueue((namespace, name) => sessions.get(`${namespace}/${name}`) as never);
  const writer = new RunWriter(new StatusWriter(s, journal), (r) => queue.observe(r));
  const launched: string[] = [];
  const canceled: string[] = [];
  const launcher: DriverLauncher = {
    launch: async (req) => {
      launched.push(req.run.name);
      return driver();
    },
    capabilitiesOf: () => capabilities,
  };
  const workspaces: Workspaces = {
    prepare: async (req) => ({ mode: 'Scratch', path: `/scratch/${req.run.name}`, readOnly: false }),
    finish: async () => {
      throw new Error('not in these tests');
    },
    retire: async () => ({ retired: false }),
  };
  const checkpoints = new CheckpointStore(s, clock);
  const events = new RunEvents({ store: s, writer, launcher, checkpoints, workspaces, artifacts: {} as ArtifactContent, session: () => ({ runs: [] }), clock });
  const gate = {
    decide: async () => ({ allow: true }),
    cancelOpen: async (run: Run) => {
      canceled.push(run.metadata.name!);
    },
  } as unknown as ApprovalGate;
  const reconciler = new RunReconciler({ store: s, writer, fleet: events.fleet, launcher, checkpoints, workspaces, queue, events, gate, clock });

  const session = await s.create<KubeObject>('sessions', { apiVersion, kind: 'Session', metadata: { name: 's', namespace: ns }, spec: { limits: { maxActiveRuns, maxQueuedRuns: 10 } } } as KubeObject);
  sessions.set(`${ns}/s`, await s.updateStatus('sessions', { ...session, status: { phase: 'Active' } }));
  await s.create('agents', { apiVersion, kind: 'Agent', metadata: { name: 'a', namespace: ns }, spec: { driver: 'Scripted', script: [{ say: 'hi' }] } } as KubeObject);

  const sync = async (): Promise<void> => {
    for (const r of (await s.list<Run>('runs', { namespace: ns })).items) queue.observe(r);
  };
  return {
    store: s,
    journal,
    queue,
    clock,
    reconciler,
    launched,
    canceled,
    pass: async (name) => {
      await sync();
      await reconciler.reconcile({ namespace: ns, name });
    },
    run: (name) => s.find<Run>('runs', ns, name),
  };
}

async function createRun(s: ObjectStore, name: string, spec: Record<string, unknown> = {}): Promise<Run> {
  return s.create<Run>('runs', { apiVersion, kind: 'Run', metadata: { name, namespace: ns }, spec: { session: 's', agent: 'a', prompt: 'go', ...spec } } as Run);
}

describe('RunReconciler', () => {
  it('keeps a run beyond maxActiveRuns Queued with its position, and admits it when the active run is deleted', async () => {
    const w = await world(1);
    await createRun(w.store, 'first');
    await createRun(w.store, 'second');
    await createRun(w.store, 'third');

    await w.pass('first');
    await w.pass('second');
    await w.pass('third');
    expect((await w.run('first'))?.status?.phase).toBe('Starting');
    const second = await w.run('second');
    expect([second?.status?.phase, second?.status?.queuePosition]).toEqual(['Queued', 1]);
    expect(second?.status?.conditions?.find((c) => c.type === 'Admitted')).toMatchObject({ status: 'False', reason: 'QueueFull' });
    expect((await w.run('third'))?.status?.queuePosition).toBe(2);
    // The front of the queue is whom a freed slot wakes.
    expect(w.queue.front(ns, 's')).toEqual([`${ns}/second`]);

    // Deleting the active run: its finalizer pass lets it go, and the next pass admits the front.
    await w.store.delete('runs', ns, 'first');
    await w.pass('first');
    expect(await w.run('first')).toBeUndefined();
    w.queue.forget({ metadata: { name: 'first', namespace: ns }, spec: { session: 's' } } as Run);
    await w.pass('second');
    expect((await w.run('second'))?.status?.phase).toBe('Starting');
    expect((await w.run('third'))?.status?.phase).toBe('Queued');
    const journalled = (await w.journal.read(sessionKey(ns, 's'), { run: 'second' })).events.map((e) => e.type);
    expect(journalled).toEqual(['run.Queued', 'run.Starting']);
  });

  it('admits every run one decision finds a slot for', async () => {
    const w = await world(2);
    await createRun(w.store, 'a1');
    await createRun(w.store, 'a2');
    await createRun(w.store, 'a3');
    // The last run decides first: the two runs ahead of it take the slots, and it waits.
    await w.pass('a3');
    expect([(await w.run('a1'))?.status?.phase, (await w.run('a2'))?.status?.phase, (await w.run('a3'))?.status?.queuePosition]).toEqual(['Starting', 'Starting', 1]);
  });

  it('starts an admitted run at the clock time, then pauses it on spec.suspend and cancels its approvals', async () => {
    const w = await world(1);
    await createRun(w.store, 'r');
    await w.pass('r');
    await w.pass('r');
    await w.pass('r');
    const running = await w.run('r');
    expect([running?.status?.phase, running?.status?.startedAt]).toEqual(['Running', '2026-06-01T12:00:00Z']);
    expect(w.launched).toEqual(['r']);

    await w.store.update('runs', { ...running!, spec: { ...running!.spec, suspend: true } });
    await w.pass('r');
    expect((await w.run('r'))?.status?.phase).toBe('Paused');
    expect(w.canceled).toEqual(['r']);
    const journalled = (await w.journal.read(sessionKey(ns, 's'), { run: 'r' })).events.map((e) => e.type);
    expect(journalled.slice(-1)).toEqual(['run.Paused']);
  });
});
