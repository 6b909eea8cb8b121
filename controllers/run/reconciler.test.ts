/**
 * The Run reconciler, one pass at a time, against the real SQLite store and journal, a manual
 * clock, and fakes for workspaces, the driver launcher and the approval gate: the session queue
 * holds runs beyond maxActiveRuns with their position, a deleted active run lets the next one in,
 * a started run records the clock's time, and spec.suspend pauses a running run. A waiting run
 * says why (status reason and message, the Admitted condition, one Event per reason) for each
 * cause — its repo mount or agent missing or not ready, its session full — and starts once the
 * cause is gone.
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
import { EventRecorder } from '../../api/events/recorder.js';
import type { Event } from '../../resources/kinds/event.js';

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
  recorder: EventRecorder;
  /** The Events recorded about a run, as stored (written first). */
  events(name: string): Promise<Event[]>;
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
    deleteBranch: async () => {
      throw new Error('not in these tests');
    },
  };
  const checkpoints = new CheckpointStore(s, clock);
  const events = new RunEvents({ store: s, writer, launcher, checkpoints, workspaces, artifacts: {} as ArtifactContent, session: () => ({ runs: [] }), clock });
  const gate = {
    decide: async () => ({ allow: true }),
    cancelOpen: async (run: Run) => {
      canceled.push(run.metadata.name!);
    },
  } as unknown as ApprovalGate;
  const recorder = new EventRecorder({ store: s, component: 'run-controller', sweepIntervalMs: 0 });
  const reconciler = new RunReconciler({ store: s, writer, fleet: events.fleet, launcher, checkpoints, workspaces, queue, events, gate, clock, recorder });

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
    recorder,
    events: async (name) => {
      await recorder.flush();
      return (await s.list<Event>('events', { namespace: ns })).items.filter((e) => e.involvedObject.name === name);
    },
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

  describe('a waiting run says why', () => {
    const admitted = (r: Run | undefined) => r?.status?.conditions?.find((c) => c.type === 'Admitted');
    const mount = (path: string) => ({ apiVersion, kind: 'RepoMount', metadata: { name: 'demo', namespace: ns }, spec: { session: 's', path } }) as KubeObject;

    it('waits RepoMountNotReady while its mount is missing, then detached, with one Warning per reason, and starts once the mount is attached', async () => {
      const w = await world(1);
      await createRun(w.store, 'r', { repoMount: 'demo' });
      await w.pass('r');
      let r = await w.run('r');
      expect([r?.status?.phase, r?.status?.reason, r?.status?.message]).toEqual(['Queued', 'RepoMountNotReady', 'repomount/demo: not found']);
      expect(admitted(r)).toMatchObject({ status: 'False', reason: 'RepoMountNotReady', message: 'repomount/demo: not found' });

      // Its path is looked at: missing. The reason stays, the message says what to fix.
      const created = await w.store.create<KubeObject>('repomounts', mount('/tmp/sidekick-demo'));
      const detached = await w.store.updateStatus('repomounts', { ...created, status: { phase: 'Detached', message: 'mount path /tmp/sidekick-demo does not exist' } });
      await w.pass('r');
      await w.pass('r');
      r = await w.run('r');
      expect([r?.status?.phase, r?.status?.reason, r?.status?.message]).toEqual(['Queued', 'RepoMountNotReady', 'repomount/demo: mount path /tmp/sidekick-demo does not exist']);
      expect(admitted(r)?.message).toBe('repomount/demo: mount path /tmp/sidekick-demo does not exist');
      // One Warning for the reason, however many passes and messages it took.
      const warnings = (await w.events('r')).filter((e) => e.type === 'Warning');
      expect(warnings.map((e) => [e.reason, e.message, e.count])).toEqual([['RepoMountNotReady', 'repomount/demo: not found', 1]]);
      const journalled = (await w.journal.read(sessionKey(ns, 's'), { run: 'r' })).events.filter((e) => e.type === 'run.Queued');
      expect(journalled.map((e) => e.payload.reason)).toEqual(['RepoMountNotReady']);

      // The path now exists: the mount is attached, the run is admitted and says nothing more.
      await w.store.updateStatus('repomounts', { ...detached, status: { phase: 'Attached', root: '/tmp/sidekick-demo', isGit: true } });
      await w.pass('r');
      r = await w.run('r');
      expect([r?.status?.phase, r?.status?.reason, r?.status?.message]).toEqual(['Starting', undefined, undefined]);
      expect(admitted(r)).toMatchObject({ status: 'True', reason: 'SlotAvailable' });
    });

    it('waits RepoMountNotReady without a Warning until the mount has been looked at', async () => {
      const w = await world(1);
      await w.store.create<KubeObject>('repomounts', mount('/tmp/x'));
      await createRun(w.store, 'r', { repoMount: 'demo' });
      await w.pass('r');
      const r = await w.run('r');
      expect([r?.status?.phase, r?.status?.reason, r?.status?.message]).toEqual(['Queued', 'RepoMountNotReady', 'repomount/demo: its path has not been looked at yet']);
      expect(await w.events('r')).toEqual([]);
    });

    it('waits AgentNotReady while its agent is missing or its CLI is Unavailable', async () => {
      const w = await world(1);
      await createRun(w.store, 'r', { agent: 'claude' });
      await w.pass('r');
      expect([(await w.run('r'))?.status?.reason, (await w.run('r'))?.status?.message]).toEqual(['AgentNotReady', 'agent/claude: not found']);
      const agent = await w.store.create<KubeObject>('agents', { apiVersion, kind: 'Agent', metadata: { name: 'claude', namespace: ns }, spec: { driver: 'Claude' } } as KubeObject);
      const unavailable = await w.store.updateStatus('agents', { ...agent, status: { phase: 'Unavailable', message: 'claude: command not found on PATH' } });
      await w.pass('r');
      const r = await w.run('r');
      expect([r?.status?.phase, r?.status?.reason, r?.status?.message]).toEqual(['Queued', 'AgentNotReady', 'agent/claude: claude: command not found on PATH']);
      expect(admitted(r)).toMatchObject({ status: 'False', reason: 'AgentNotReady' });
      expect((await w.events('r')).map((e) => [e.type, e.reason])).toEqual([['Warning', 'AgentNotReady']]);

      await w.store.updateStatus('agents', { ...unavailable, status: { phase: 'Ready' } });
      await w.pass('r');
      expect((await w.run('r'))?.status?.phase).toBe('Starting');
    });

    it('waits QueueFull while its session runs maxActiveRuns, with one Normal event, and shows no reason once admitted', async () => {
      const w = await world(1);
      await createRun(w.store, 'first');
      await createRun(w.store, 'second');
      await w.pass('first');
      await w.pass('second');
      await w.pass('second');
      const second = await w.run('second');
      expect([second?.status?.reason, second?.status?.message]).toEqual(['QueueFull', 'session s has no free slot: all 1 (limits.maxActiveRuns) are taken']);
      expect(admitted(second)?.message).toBe('session s has no free slot: all 1 (limits.maxActiveRuns) are taken');
      expect((await w.events('second')).map((e) => [e.type, e.reason, e.count])).toEqual([['Normal', 'QueueFull', 1]]);
      // The running run has no reason to show.
      expect((await w.run('first'))?.status?.reason).toBeUndefined();
    });
  });
});
