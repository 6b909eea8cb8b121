/**
 * The scheduler against the real SQLite store and journal (admission on its writes) and a manual
 * clock: nothing on a daemon, every fit rule, the most free node, Seed 001's owner rule with the
 * cross-node-dispatch mark, and the unschedulable message, condition and Warning.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { sessionKey } from '../../api/journal/journal.js';
import { findCondition } from '../../resources/conditions.js';
import type { Run } from '../../resources/kinds/run.js';
import { reconcilerStore, type ReconcilerStore } from '../test-support.js';
import { StatusWriter } from '../runtime/status-writer.js';
import { RunWriter } from '../run/run-writer.js';
import { CROSS_NODE_DISPATCH } from './bind.js';
import { storeLister } from './lister.js';
import { SchedulerReconciler } from './reconciler.js';
import { arrangeAgent, arrangeMount, arrangeNode, arrangeRun, arrangeSession, eventsAbout, ns, renewLease, testRecorder } from './test-support.js';

let open: ReconcilerStore | undefined;
afterEach(async () => {
  await open?.cleanup();
  open = undefined;
});

async function setup() {
  const t = (open = await reconcilerStore('sk-scheduler-'));
  const recorder = testRecorder(t.raw, t.clock);
  const scheduler = new SchedulerReconciler({ store: t.store, writer: new RunWriter(new StatusWriter(t.store, t.journal)), list: storeLister(t.raw), recorder, clock: t.clock });
  await arrangeAgent(t.raw, 'a');
  await arrangeSession(t.raw, 's');
  const schedule = async (name: string) => {
    await scheduler.reconcile({ namespace: ns, name });
    return t.raw.get<Run>('runs', ns, name);
  };
  const journalled = async () => (await t.journal.read(sessionKey(ns, 's'))).events.map((e) => [e.type, e.payload]);
  return { ...t, recorder, scheduler, schedule, journalled };
}

describe('SchedulerReconciler', () => {
  it('does nothing where no RuntimeNode holds a Lease (a daemon executes its runs itself)', async () => {
    const t = await setup();
    await arrangeRun(t.raw, 'local');
    expect(await t.scheduler.reconcile({ namespace: ns, name: 'local' })).toEqual({});
    // A node that never renewed a Lease does not make this a control plane either.
    await arrangeNode(t.raw, 'laptop');
    expect(await t.scheduler.reconcile({ namespace: ns, name: 'local' })).toEqual({});
    const run = await t.raw.get<Run>('runs', ns, 'local');
    expect([run.spec.nodeName, run.status]).toEqual([undefined, undefined]);
    expect(await t.journalled()).toEqual([]);
    expect(await eventsAbout(t.raw, t.recorder, 'local')).toEqual([]);
  });

  it('binds to the fitting node with the most free slots, ties by name, and says so once', async () => {
    const t = await setup();
    for (const [name, maxRuns] of [['zulu', 3], ['alpha', 3], ['small', 1]] as const) {
      await arrangeNode(t.raw, name, { maxRuns });
      await renewLease(t.raw, name, t.clock);
    }
    await arrangeRun(t.raw, 'busy', { nodeName: 'alpha', status: { phase: 'Running' } });
    await arrangeRun(t.raw, 'done', { nodeName: 'zulu', status: { phase: 'Completed' } });
    await arrangeRun(t.raw, 'r1');

    const run = await t.schedule('r1');
    expect(run.spec.nodeName).toBe('zulu');
    expect(run.metadata.annotations?.[CROSS_NODE_DISPATCH]).toBeUndefined();
    expect(findCondition(run.status?.conditions, 'Scheduled')).toMatchObject({ status: 'True', reason: 'Scheduled', message: 'Successfully assigned default/r1 to zulu' });
    expect(await t.journalled()).toEqual([['run.scheduled', { node: 'zulu' }]]);
    expect(await eventsAbout(t.raw, t.recorder, 'r1')).toEqual([['Scheduled', 'Successfully assigned default/r1 to zulu']]);

    // Looked at again: bound already, nothing more is written.
    await t.schedule('r1');
    expect(await t.journalled()).toHaveLength(1);
    // alpha (3 - 1 busy) and zulu (3 - r1) tie now: alpha by name.
    await arrangeRun(t.raw, 'r2');
    expect((await t.schedule('r2')).spec.nodeName).toBe('alpha');
  });

  it("never places a run on another person's node unless the owner allows its session, and marks that dispatch", async () => {
    const t = await setup();
    await arrangeNode(t.raw, 'bobs', { owner: 'bob' });
    await renewLease(t.raw, 'bobs', t.clock);
    await arrangeRun(t.raw, 'alices', { creator: 'alice' });

    const refused = await t.schedule('alices');
    expect(refused.spec.nodeName).toBeUndefined();
    const message = '0/1 nodes are available: 1 node(s) belonged to someone else and did not allow session default/s.';
    expect(findCondition(refused.status?.conditions, 'Scheduled')).toMatchObject({ status: 'False', reason: 'Unschedulable', message });
    expect([refused.status?.reason, refused.status?.message]).toEqual(['Unschedulable', message]);
    expect(await eventsAbout(t.raw, t.recorder, 'alices')).toEqual([['FailedScheduling', message]]);

    // Bob lets every session of the namespace run on his machine.
    const bobs = await t.raw.get('runtimenodes', '', 'bobs');
    await t.raw.update('runtimenodes', { ...bobs, spec: { ...(bobs as { spec: object }).spec, sessions: ['default/*'] } });
    const bound = await t.schedule('alices');
    expect(bound.spec.nodeName).toBe('bobs');
    expect(bound.metadata.annotations?.[CROSS_NODE_DISPATCH]).toBe('true');
    expect([bound.status?.reason, bound.status?.message]).toEqual([undefined, undefined]);
    expect((await t.journalled()).at(-1)).toEqual(['run.scheduled', { node: 'bobs', crossNodeDispatch: true }]);
  });

  it('says why no node fits: readiness, cordon, revocation, driver, repository (session default), capacity', async () => {
    const t = await setup();
    await arrangeMount(t.raw, 'repo', { nodeSelector: { matchExpressions: [{ key: 'repo', operator: 'In', values: ['api'] }] } });
    const s2 = 's2';
    await arrangeSession(t.raw, s2, 'repo');
    await arrangeNode(t.raw, 'down', { labels: { repo: 'api' }, ready: false });
    await arrangeNode(t.raw, 'cordoned', { labels: { repo: 'api' }, unschedulable: true });
    await arrangeNode(t.raw, 'revoked', { labels: { repo: 'api' }, status: { phase: 'Revoked' } });
    await arrangeNode(t.raw, 'openai-only', { labels: { repo: 'api' }, drivers: ['OpenAI'] });
    await arrangeNode(t.raw, 'elsewhere', { labels: { repo: 'web' } });
    await arrangeNode(t.raw, 'full', { labels: { repo: 'api' }, maxRuns: 1 });
    for (const n of ['down', 'cordoned', 'revoked', 'openai-only', 'elsewhere', 'full']) await renewLease(t.raw, n, t.clock);
    await arrangeRun(t.raw, 'occupant', { session: s2, nodeName: 'full', status: { phase: 'Running' } });
    await arrangeRun(t.raw, 'waits', { session: s2 });

    expect(await t.scheduler.reconcile({ namespace: ns, name: 'waits' })).toEqual({ requeueAfterMs: 60_000 });
    const waits = await t.raw.get<Run>('runs', ns, 'waits');
    expect(waits.spec.nodeName).toBeUndefined();
    expect(findCondition(waits.status?.conditions, 'Scheduled')?.message).toBe(
      '0/6 nodes are available: 1 node(s) didn\'t have the repository of repomount repo, 1 node(s) didn\'t offer the Scripted driver, 1 node(s) had no free run slots, 1 node(s) were not ready, 1 node(s) were revoked, 1 node(s) were unschedulable.',
    );

    // The occupant ends: its slot is free, and the run takes it.
    const occupant = await t.raw.get<Run>('runs', ns, 'occupant');
    await t.raw.updateStatus('runs', { ...occupant, status: { phase: 'Completed' } });
    expect((await t.schedule('waits')).spec.nodeName).toBe('full');
  });

  it('waits on what the run names that does not exist, and leaves ended or hand-bound runs their node', async () => {
    const t = await setup();
    await arrangeNode(t.raw, 'laptop');
    await renewLease(t.raw, 'laptop', t.clock);
    await arrangeRun(t.raw, 'ghost-agent', { agent: 'nobody' });
    await arrangeRun(t.raw, 'ghost-mount', { repoMount: 'nowhere' });
    await arrangeRun(t.raw, 'ended', { status: { phase: 'Canceled' } });
    await arrangeRun(t.raw, 'by-hand', { nodeName: 'laptop' });

    expect(findCondition((await t.schedule('ghost-agent')).status?.conditions, 'Scheduled')?.message).toBe('agent "nobody" not found');
    expect(findCondition((await t.schedule('ghost-mount')).status?.conditions, 'Scheduled')?.message).toBe('repomount "nowhere" not found');
    expect((await t.schedule('ended')).spec.nodeName).toBeUndefined();
    const byHand = await t.schedule('by-hand');
    expect([byHand.spec.nodeName, findCondition(byHand.status?.conditions, 'Scheduled')?.status]).toEqual(['laptop', 'True']);
  });
});
