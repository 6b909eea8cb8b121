import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Journal, sessionKey } from '../../api/journal/journal.js';
import type { JournalEvent } from '../../api/journal/event.js';
import type { ObjectStore } from '../../api/store/object-store.js';
import { AdmittedStore } from '../../api/server/admitted-store.js';
import { CREATED_BY } from '../../api/auth/model.js';
import type { Intervention } from '../../resources/kinds/intervention.js';
import type { Run } from '../../resources/kinds/run.js';
import type { KubeObject } from '../../resources/meta.js';
import type { FleetEntry } from '../../node/fleet.js';
import { RunWriter } from '../run/run-writer.js';
import { ManualClock } from '../runtime/clock.js';
import { StatusWriter } from '../runtime/status-writer.js';
import { InterventionReconciler } from './reconciler.js';
import { RunControl } from './run-control.js';
import { InterventionWriter } from './status-writer.js';
import { reconcilerStore } from '../test-support.js';

const V = 'sidekicks.dev/v1alpha1';
const ns = 'default';

describe('InterventionReconciler (real SQLite store and journal, fake driver fleet, manual clock)', () => {
  let cleanup: () => Promise<void>;
  let raw: ObjectStore;
  let store: AdmittedStore;
  let journal: Journal;
  let clock: ManualClock;
  /** The live drivers, by run uid; steers are recorded and answered as `answer` says. */
  let drivers: Map<string, FleetEntry>;
  let steered: string[];
  let stopped: string[];
  let reconciler: InterventionReconciler;

  beforeEach(async () => {
    ({ raw, store, journal, clock, cleanup } = await reconcilerStore('intervention-reconciler-'));
    drivers = new Map();
    steered = [];
    stopped = [];
    const status = new StatusWriter(store, journal);
    const fleet = {
      get: (uid: string) => drivers.get(uid),
      stop: async (uid: string) => void stopped.push(uid),
    };
    reconciler = new InterventionReconciler({
      store,
      writer: new InterventionWriter(status, clock),
      control: new RunControl({ store, runs: new RunWriter(status), fleet }),
      fleet,
      capabilitiesOf: () => ({ resume: true }) as never,
    });
    await raw.create('sessions', { apiVersion: V, kind: 'Session', metadata: { name: 's', namespace: ns }, spec: {}, status: { phase: 'Active' } } as KubeObject);
  });
  afterEach(() => cleanup());

  async function run(name: string, phase: string): Promise<Run> {
    return raw.create<Run>('runs', { apiVersion: V, kind: 'Run', metadata: { name, namespace: ns }, spec: { session: 's', agent: 'a', prompt: 'p' }, status: { phase } } as Run);
  }
  async function intervention(name: string, spec: Record<string, unknown>): Promise<Intervention> {
    const obj: KubeObject = { apiVersion: V, kind: 'Intervention', metadata: { name, namespace: ns, annotations: { [CREATED_BY]: 'alice' } }, spec };
    return (await store.create('interventions', obj)) as Intervention;
  }
  const get = (name: string) => raw.get<Intervention>('interventions', ns, name);
  const events = async (): Promise<JournalEvent[]> => (await journal.read(sessionKey(ns, 's'), { limit: 1000 })).events;
  const reconcile = (name: string) => reconciler.reconcile({ namespace: ns, name });

  it('rejects a request against a run that already ended, and journals it once', async () => {
    await run('done', 'Completed');
    await intervention('late', { run: 'done', type: 'Steer', content: 'also add tests' });
    await reconcile('late');
    await reconcile('late');
    const iv = await get('late');
    expect(iv.status).toMatchObject({ phase: 'Rejected', message: 'run "done" already ended Completed' });
    expect(iv.status?.appliedAt).toBeUndefined();
    const journalled = await events();
    expect(journalled.map((e) => e.type)).toEqual(['intervention.requested', 'intervention.rejected']);
    expect(journalled[0]!.actor).toEqual({ kind: 'participant', name: 'alice' });
    expect(journalled[0]!.payload).toMatchObject({ intervention: 'late', type: 'Steer', by: 'alice' });
    expect(journalled[1]!.correlationId).toBe(iv.metadata.uid);
  });

  it("delivers a steer to the run's live driver: Applied, stamped with the clock's time", async () => {
    const r = await run('busy', 'Running');
    drivers.set(r.metadata.uid!, { handle: { steer: async (text: string) => (steered.push(text), 'applied') } as never, stopping: false, lastOutputAt: 0 });
    await intervention('nudge', { run: 'busy', type: 'Steer', content: 'use the staging db' });
    await reconcile('nudge');
    await reconcile('nudge');
    expect(steered).toEqual(['use the staging db']);
    expect((await get('nudge')).status).toMatchObject({ phase: 'Applied', appliedAt: '2026-01-01T12:00:00Z' });
    const applied = (await events()).filter((e) => e.type === 'intervention.applied');
    expect(applied).toHaveLength(1);
    expect(applied[0]!.payload).toMatchObject({ source: 'steer', text: 'use the staging db' });
  });

  it('keeps a steer Accepted while the run has no driver, and delivers it once one runs', async () => {
    const r = await run('starting', 'Starting');
    await intervention('early', { run: 'starting', type: 'Steer', content: 'hello' });
    await reconcile('early');
    expect((await get('early')).status?.phase).toBe('Accepted');
    expect(steered).toEqual([]);

    await raw.updateStatus('runs', { ...(await raw.get<Run>('runs', ns, 'starting')), status: { phase: 'Running' } });
    drivers.set(r.metadata.uid!, { handle: { steer: async (text: string) => (steered.push(text), 'queued') } as never, stopping: false, lastOutputAt: 0 });
    await reconcile('early');
    expect(steered).toEqual(['hello']);
    expect((await get('early')).status?.phase).toBe('Degraded');
    // Requested once (with the Accepted status), settled once.
    expect((await events()).map((e) => e.type)).toEqual(['intervention.requested', 'intervention.degraded']);
  });

  it('cancels a run: its driver is stopped and it ends Canceled for good', async () => {
    const r = await run('doomed', 'Running');
    await intervention('stop', { run: 'doomed', type: 'Cancel', reason: 'wrong branch' });
    await reconcile('stop');
    expect(stopped).toEqual([r.metadata.uid]);
    expect((await raw.get<Run>('runs', ns, 'doomed')).status).toMatchObject({ phase: 'Canceled', reason: 'Canceled' });
    expect((await raw.get<Run>('runs', ns, 'doomed')).status?.failureCategory).toBeUndefined();
    expect((await get('stop')).status).toMatchObject({ phase: 'Applied', message: 'the run was canceled: it ended Canceled' });
    const types = (await events()).map((e) => e.type);
    expect(types).toEqual(['intervention.requested', 'run.Canceled', 'intervention.applied']);
  });
});
