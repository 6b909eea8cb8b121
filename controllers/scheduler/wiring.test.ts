/**
 * The scheduler and the node-lifecycle controller as the control plane runs them (the cluster
 * controller set, real informers, the system clock, a short monitor grace): a run is bound to the
 * node whose Lease is fresh; when the node stops renewing, it goes NotReady by itself, the run
 * that had not started is taken back, and it waits Unschedulable saying why.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { findCondition } from '../../resources/conditions.js';
import type { Run } from '../../resources/kinds/run.js';
import type { RuntimeNode } from '../../resources/kinds/runtimenode.js';
import type { Workspaces } from '../../node/ports.js';
import { eventually } from '../../test/eventually.js';
import { buildClusterControllers } from '../controller-set.js';
import { Manager } from '../runtime/manager.js';
import { reconcilerStore, type ReconcilerStore } from '../test-support.js';
import { arrangeAgent, arrangeNode, arrangeRun, arrangeSession, ns } from './test-support.js';
import { NODE_LEASE_NAMESPACE } from '../../api/runtime/protocol.js';
import type { Lease } from '../../resources/kinds/lease.js';

let open: ReconcilerStore | undefined;
let manager: Manager | undefined;
afterEach(async () => {
  await manager?.stop();
  await open?.cleanup();
  manager = open = undefined;
});

describe('scheduler and node lifecycle in the cluster controller set', () => {
  it('binds to a node with a fresh Lease, and takes the run back when the Lease runs out', async () => {
    const t = (open = await reconcilerStore('sk-scheduler-wiring-'));
    await arrangeAgent(t.raw, 'a');
    await arrangeSession(t.raw, 's');
    // Registered, never Ready yet: the lifecycle controller decides from the Lease.
    await arrangeNode(t.raw, 'laptop', { ready: false });
    await t.raw.create<Lease>('leases', {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'laptop', namespace: NODE_LEASE_NAMESPACE },
      spec: { holderIdentity: 'laptop', renewTime: new Date().toISOString() },
    } as Lease);
    // The node renews while the test waits for the binding, however slowly the controllers start.
    const renew = async () => {
      const lease = await t.raw.get<Lease>('leases', NODE_LEASE_NAMESPACE, 'laptop');
      await t.raw.update('leases', { ...lease, spec: { ...lease.spec, renewTime: new Date().toISOString() } });
    };
    await arrangeRun(t.raw, 'r1');

    const set = buildClusterControllers({ store: t.store, journal: t.journal, workspaces: {} as Workspaces, nodeMonitorGraceMs: 2000, nodeLostGraceMs: 60_000 });
    manager = new Manager().add(...set.runnables);
    manager.start();

    const bound = await eventually(async () => {
      await renew();
      const run = await t.raw.get<Run>('runs', ns, 'r1');
      // The binding (spec) is written before the condition that reports it (status).
      return run.spec.nodeName === 'laptop' && findCondition(run.status?.conditions, 'Scheduled')?.status === 'True' ? run : undefined;
    }, { intervalMs: 200 });
    expect(findCondition(bound!.status?.conditions, 'Scheduled')?.message).toBe('Successfully assigned default/r1 to laptop');

    // No renewal: NotReady at the deadline, the unstarted run re-queued, and no node fits it now.
    const waiting = await eventually(async () => {
      const run = await t.raw.get<Run>('runs', ns, 'r1');
      return !run.spec.nodeName && findCondition(run.status?.conditions, 'Scheduled')?.reason === 'Unschedulable' ? run : undefined;
    });
    expect(findCondition(waiting!.status?.conditions, 'Scheduled')?.message).toBe('0/1 nodes are available: 1 node(s) were not ready.');
    expect((await t.raw.get<RuntimeNode>('runtimenodes', '', 'laptop')).status?.state).toBe('NotReady');
  });
});
