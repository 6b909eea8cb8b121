import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Journal, sessionKey } from '../../api/journal/journal.js';
import type { JournalEvent } from '../../api/journal/event.js';
import type { ObjectStore } from '../../api/store/object-store.js';
import { AdmittedStore } from '../../api/server/admitted-store.js';
import type { Approval } from '../../resources/kinds/approval.js';
import type { Run } from '../../resources/kinds/run.js';
import type { Workflow } from '../../resources/kinds/workflow.js';
import type { KubeObject } from '../../resources/meta.js';
import { ManualClock } from '../runtime/clock.js';
import { WorkflowReconciler } from './reconciler.js';
import type { CommandSteps } from './steps.js';
import { reconcilerStore } from '../test-support.js';

const V = 'sidekicks.dev/v1alpha1';
const ns = 'default';
const key = { namespace: ns, name: 'wf' };

/** Command steps that never run: these workflows have no Automated phases or command checks. */
const noSteps = { state: async () => ({ state: 'NotStarted' }), start: async () => undefined, stopStray: () => undefined } as unknown as CommandSteps;

describe('WorkflowReconciler (real SQLite store and journal, manual clock, runs finished by hand)', () => {
  let cleanup: () => Promise<void>;
  let raw: ObjectStore;
  let store: AdmittedStore;
  let journal: Journal;
  let clock: ManualClock;
  let reconciler: WorkflowReconciler;

  beforeEach(async () => {
    ({ raw, store, journal, clock, cleanup } = await reconcilerStore('workflow-reconciler-'));
    reconciler = new WorkflowReconciler({ store, journal, steps: noSteps, clock });
    await raw.create('sessions', { apiVersion: V, kind: 'Session', metadata: { name: 's', namespace: ns }, spec: {}, status: { phase: 'Active' } } as KubeObject);
  });
  afterEach(() => cleanup());

  async function workflow(template: Record<string, unknown>): Promise<void> {
    await store.create('workflows', { apiVersion: V, kind: 'Workflow', metadata: { name: 'wf', namespace: ns }, spec: { session: 's', template: { joinPolicy: 'FailFast', ...template } } });
  }
  /** Passes until one leaves the workflow as it was (the informer's update events, replayed by hand). */
  async function settle(): Promise<Workflow> {
    for (let i = 0; i < 10; i++) {
      const before = await raw.get<Workflow>('workflows', ns, 'wf');
      await reconciler.reconcile(key);
      const after = await raw.get<Workflow>('workflows', ns, 'wf');
      if (after.metadata.resourceVersion === before.metadata.resourceVersion) return after;
    }
    throw new Error('the workflow did not settle');
  }
  const runs = async (): Promise<Run[]> => (await raw.list<Run>('runs', { namespace: ns })).items;
  const events = async (): Promise<JournalEvent[]> => (await journal.read(sessionKey(ns, 's'), { limit: 1000 })).events;
  const finish = async (name: string, status: Run['status']): Promise<void> => {
    const run = await raw.get<Run>('runs', ns, name);
    await raw.updateStatus('runs', { ...run, status });
  };

  it("creates a step's run once, and its completion advances the workflow to the next phase and then to its end", async () => {
    await workflow({
      phases: [
        { name: 'plan', type: 'Agent', agent: 'planner', prompt: 'plan it' },
        { name: 'build', type: 'Agent', agent: 'builder', prompt: 'build it', dependsOn: ['plan'] },
      ],
    });
    let wf = await settle();
    expect(wf.status?.phase).toBe('Running');
    expect(wf.status?.startedAt).toBe('2026-01-01T12:00:00Z');
    // More passes make no second run: the child's name is derived.
    await reconciler.reconcile(key);
    await reconciler.reconcile(key);
    expect((await runs()).map((r) => r.metadata.name)).toEqual(['wf-plan-1']);
    const planRun = (await runs())[0]!;
    expect(planRun.spec).toMatchObject({ session: 's', agent: 'planner', prompt: 'plan it', priority: 0, suspend: false });
    expect(planRun.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Workflow', name: 'wf', uid: wf.metadata.uid, controller: true });

    clock.advance(60_000);
    await finish('wf-plan-1', { phase: 'Completed', summary: 'planned' });
    wf = await settle();
    expect(wf.status?.phases?.plan).toMatchObject({ phase: 'Succeeded', finishedAt: '2026-01-01T12:01:00Z' });
    expect(wf.status?.phases?.build?.phase).toBe('Running');
    expect((await runs()).map((r) => r.metadata.name).sort()).toEqual(['wf-build-1', 'wf-plan-1']);

    await finish('wf-build-1', { phase: 'Completed', summary: 'built' });
    wf = await settle();
    expect(wf.status?.phase).toBe('Completed');
    const types = (await events()).map((e) => e.type);
    expect(types.filter((t) => t === 'workflow.completed')).toHaveLength(1);
    expect(types[0]).toBe('workflow.admitted');
    expect(types.filter((t) => t === 'workflow.phase_started')).toHaveLength(2);
    expect(types.filter((t) => t === 'workflow.phase_completed')).toHaveLength(2);
    // Every workflow event is the workflow's, correlated with it.
    expect((await events()).every((e) => e.correlationId === wf.metadata.uid && e.actor.name === 'workflow-controller')).toBe(true);
  });

  it('fails a phase whose run failed, and with FailFast the workflow', async () => {
    await workflow({ phases: [{ name: 'only', type: 'Agent', agent: 'a', prompt: 'go' }] });
    await settle();
    await finish('wf-only-1', { phase: 'Failed', reason: 'AgentCrashed', message: 'boom' });
    const wf = await settle();
    expect(wf.status?.phase).toBe('Failed');
    expect(wf.status?.phases?.only).toMatchObject({ phase: 'Failed' });
    expect((await events()).map((e) => e.type)).toContain('workflow.failed');
  });

  it("asks a Human phase's question as an Approval, journalled once, expiring after the timeout on the clock", async () => {
    await workflow({ phases: [{ name: 'ask', type: 'Human', human: { prompt: 'Which region?', timeout: '10m' } }] });
    await settle();
    await reconciler.reconcile(key);
    const approvals = (await raw.list<Approval>('approvals', { namespace: ns })).items;
    expect(approvals.map((a) => a.metadata.name)).toEqual(['wf-ask-1']);
    // Written as a person would: admission filled in onExpiry.
    expect(approvals[0]!.spec).toMatchObject({ category: 'HumanPhaseContribution', workflow: 'wf', phase: 'ask', onExpiry: 'Reject', expiresAt: '2026-01-01T12:10:00Z' });
    expect((await events()).filter((e) => e.type === 'approval.requested')).toHaveLength(1);
  });

  it('times out a phase attempt when the clock passes its timeout, and cancels its run through an Intervention', async () => {
    await workflow({ phases: [{ name: 'slow', type: 'Agent', agent: 'a', prompt: 'go', timeoutSeconds: 60 }] });
    await settle();
    // It asks to be looked at again just after the timeout: nothing else would wake it.
    const look = await reconciler.reconcile(key);
    expect(look.requeueAfterMs).toBeGreaterThanOrEqual(60_000);
    expect(look.requeueAfterMs).toBeLessThan(61_000);

    clock.advance(59_000);
    expect((await settle()).status?.phases?.slow?.phase).toBe('Running');

    clock.advance(1_000);
    const wf = await settle();
    expect(wf.status?.phase).toBe('Failed');
    expect(wf.status?.phases?.slow?.message).toBe('Timeout: attempt 1 ran longer than 60s');
    const cancels = (await raw.list<KubeObject & { spec: { run: string; type: string } }>('interventions', { namespace: ns })).items;
    expect(cancels.map((c) => c.spec)).toEqual([expect.objectContaining({ run: 'wf-slow-1', type: 'Cancel' })]);
  });
});
