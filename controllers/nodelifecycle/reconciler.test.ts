/**
 * The node-lifecycle reconciler against the real SQLite store and journal and a manual clock:
 * Ready from the Lease by the controller's clock (looked at again at the deadline), the status
 * fields others own kept, NotReady re-queues unstarted runs, started ones stay bound and fail
 * NodeLost only after the lost grace, and a node back in time changes nothing.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { sessionKey } from '../../api/journal/journal.js';
import { findCondition } from '../../resources/conditions.js';
import type { Run } from '../../resources/kinds/run.js';
import type { RuntimeNode } from '../../resources/kinds/runtimenode.js';
import { reconcilerStore, type ReconcilerStore } from '../test-support.js';
import { StatusWriter } from '../runtime/status-writer.js';
import { RunWriter } from '../run/run-writer.js';
import { storeLister } from '../scheduler/lister.js';
import { arrangeNode, arrangeRun, eventCount, eventsAbout, ns, renewLease, testRecorder } from '../scheduler/test-support.js';
import { NodeLifecycleReconciler } from './reconciler.js';

const GRACE = 40_000;
const LOST = 300_000;

let open: ReconcilerStore | undefined;
afterEach(async () => {
  await open?.cleanup();
  open = undefined;
});

async function setup() {
  const t = (open = await reconcilerStore('sk-nodelifecycle-'));
  const recorder = testRecorder(t.raw, t.clock);
  const status = new StatusWriter(t.store, t.journal);
  const lifecycle = new NodeLifecycleReconciler({ store: t.store, status, writer: new RunWriter(status), list: storeLister(t.raw), recorder, clock: t.clock, monitorGraceMs: GRACE, lostGraceMs: LOST });
  const pass = (name = 'laptop') => lifecycle.reconcile({ namespace: '', name });
  const node = (name = 'laptop') => t.raw.get<RuntimeNode>('runtimenodes', '', name);
  const run = (name: string) => t.raw.get<Run>('runs', ns, name);
  return { ...t, recorder, pass, node, run };
}

describe('NodeLifecycleReconciler', () => {
  it('is Ready while the Lease is fresh by its own clock, keeps what others wrote, and looks again at the deadline', async () => {
    const t = await setup();
    await arrangeNode(t.raw, 'laptop', {
      ready: false,
      drivers: ['Scripted', 'OpenAI'],
      status: { version: '0.9.0', runs: 2, capabilities: [{ driver: 'Scripted', available: true }, { driver: 'Claude', available: false }], nodeInfo: { operatingSystem: 'linux', isolation: 'bubblewrap' } },
    });
    expect(await t.pass()).toEqual({});
    expect((await t.node()).status).toMatchObject({ state: 'Unknown', phase: 'Registering' });
    expect(findCondition((await t.node()).status?.conditions, 'Ready')).toMatchObject({ status: 'False', reason: 'NoLease' });

    await renewLease(t.raw, 'laptop', t.clock);
    expect(await t.pass()).toEqual({ requeueAfterMs: GRACE });
    const ready = await t.node();
    expect(ready.status).toMatchObject({ state: 'Ready', phase: 'Online', drivers: 'Scripted', version: '0.9.0', runs: 2, nodeInfo: { operatingSystem: 'linux', isolation: 'bubblewrap' } });
    expect(findCondition(ready.status?.conditions, 'Ready')).toMatchObject({ status: 'True', reason: 'LeaseRenewed' });
    expect(await eventsAbout(t.raw, t.recorder, 'laptop')).toEqual([['NodeReady', 'Node laptop status is now: NodeReady']]);

    // A pass that finds nothing new writes nothing, and counts from when the renewal was seen.
    t.clock.advance(10_000);
    expect(await t.pass()).toEqual({ requeueAfterMs: GRACE - 10_000 });
    expect((await t.node()).metadata.resourceVersion).toBe(ready.metadata.resourceVersion);

    // Cordoned: still Ready, no longer schedulable.
    await t.raw.update('runtimenodes', { ...ready, spec: { ...ready.spec, unschedulable: true } });
    await t.pass();
    expect((await t.node()).status?.state).toBe('Ready,SchedulingDisabled');
  });

  it('goes NotReady at the deadline: unstarted runs are re-queued, started ones stay until the lost grace, then fail NodeLost', async () => {
    const t = await setup();
    await arrangeNode(t.raw, 'laptop');
    await renewLease(t.raw, 'laptop', t.clock);
    await arrangeRun(t.raw, 'fresh', { nodeName: 'laptop' });
    await arrangeRun(t.raw, 'queued', { nodeName: 'laptop', status: { phase: 'Queued', reason: 'QueueFull' } });
    await arrangeRun(t.raw, 'working', { nodeName: 'laptop', status: { phase: 'Running', startedAt: '2026-01-01T12:00:00Z' } });
    await arrangeRun(t.raw, 'finished', { nodeName: 'laptop', status: { phase: 'Completed' } });
    expect(await t.pass()).toEqual({ requeueAfterMs: GRACE });

    t.clock.advance(GRACE);
    expect(await t.pass()).toEqual({ requeueAfterMs: LOST });
    expect((await t.node()).status).toMatchObject({ state: 'NotReady', phase: 'Offline' });
    // It was Ready (as arranged): the flip is the one Event.
    expect((await eventsAbout(t.raw, t.recorder, 'laptop')).map(([reason]) => reason)).toEqual(['NodeNotReady']);
    for (const name of ['fresh', 'queued']) {
      const requeued = await t.run(name);
      expect(requeued.spec.nodeName).toBeUndefined();
      expect(findCondition(requeued.status?.conditions, 'Scheduled')).toMatchObject({ status: 'False', reason: 'NodeNotReady' });
      expect((await eventsAbout(t.raw, t.recorder, name)).map(([reason]) => reason)).toEqual(['Rescheduled']);
    }
    expect([(await t.run('working')).spec.nodeName, (await t.run('working')).status?.phase]).toEqual(['laptop', 'Running']);
    expect((await t.run('finished')).spec.nodeName).toBe('laptop');

    // Not yet lost: looked at again when it would be.
    t.clock.advance(LOST - 1000);
    expect(await t.pass()).toEqual({ requeueAfterMs: 1000 });
    t.clock.advance(1000);
    expect(await t.pass()).toEqual({});
    const lost = await t.run('working');
    expect(lost.status).toMatchObject({ phase: 'Failed', reason: 'NodeLost', failureCategory: 'Transport', finishedAt: '2026-01-01T12:05:40Z' });
    expect(lost.spec.nodeName).toBe('laptop');
    const journal = (await t.journal.read(sessionKey(ns, 's'))).events.map((e) => [e.run, e.type, (e.payload as { reason?: string }).reason]);
    expect(journal).toEqual([
      ['fresh', 'run.rescheduled', 'NodeNotReady'],
      ['queued', 'run.rescheduled', 'NodeNotReady'],
      ['working', 'run.Failed', 'NodeLost'],
    ]);
    expect((await eventsAbout(t.raw, t.recorder, 'working')).map(([reason]) => reason)).toEqual(['NodeLost']);
  });

  it('changes nothing for a node back before the lost grace, and fails the started runs of a deleted node', async () => {
    const t = await setup();
    await arrangeNode(t.raw, 'laptop');
    await renewLease(t.raw, 'laptop', t.clock);
    await arrangeRun(t.raw, 'working', { nodeName: 'laptop', status: { phase: 'Paused' } });
    await t.pass();
    t.clock.advance(GRACE + 60_000);
    await t.pass();
    expect((await t.node()).status?.state).toBe('NotReady');

    await renewLease(t.raw, 'laptop', t.clock);
    expect(await t.pass()).toEqual({ requeueAfterMs: GRACE });
    t.clock.advance(LOST);
    await renewLease(t.raw, 'laptop', t.clock);
    await t.pass();
    expect((await t.node()).status?.state).toBe('Ready');
    expect((await t.run('working')).status?.phase).toBe('Paused');
    expect([await eventCount(t.raw, t.recorder, 'laptop', 'NodeNotReady'), await eventCount(t.raw, t.recorder, 'laptop', 'NodeReady')]).toEqual([1, 1]);

    await t.raw.delete('runtimenodes', '', 'laptop');
    await t.pass();
    expect((await t.run('working')).status).toMatchObject({ phase: 'Failed', reason: 'NodeLost', message: 'runtimenode laptop was deleted: the run was lost with its node' });
  });

  it("reads renewals by its own clock, not the node's: a skewed laptop clock neither keeps a node Ready nor drops it", async () => {
    const t = await setup();
    await arrangeNode(t.raw, 'laptop');
    const lease = await renewLease(t.raw, 'laptop', t.clock);
    const writeRenewTime = (renewTime: string) => t.raw.update('leases', { ...lease, metadata: { ...lease.metadata, resourceVersion: undefined }, spec: { ...lease.spec, renewTime } });
    // The node's clock is an hour behind: each renewal still counts when it is seen.
    await writeRenewTime('2026-01-01T11:00:00.000000Z');
    expect(await t.pass()).toEqual({ requeueAfterMs: GRACE });
    t.clock.advance(GRACE - 1);
    await writeRenewTime('2026-01-01T11:00:39.999000Z');
    await t.pass();
    t.clock.advance(GRACE - 1);
    await t.pass();
    expect((await t.node()).status?.state).toBe('Ready');
    // An hour ahead, and then silent: NotReady one grace after the last renewal seen.
    await writeRenewTime('2026-01-01T14:00:00.000000Z');
    await t.pass();
    t.clock.advance(GRACE);
    await t.pass();
    expect((await t.node()).status?.state).toBe('NotReady');
  });

  it('reports a revoked node Revoked and not Ready, whatever its Lease says', async () => {
    const t = await setup();
    await arrangeNode(t.raw, 'laptop', { status: { phase: 'Revoked' } });
    await renewLease(t.raw, 'laptop', t.clock);
    await t.pass();
    const revoked = await t.node();
    expect(revoked.status?.state).toBe('Revoked');
    expect(findCondition(revoked.status?.conditions, 'Ready')).toMatchObject({ status: 'False', reason: 'Revoked' });
  });
});
