/**
 * Registers the node-lifecycle controller: a node's own changes, every renewal of its Lease in
 * `sidekick-node-lease` (same name), and a run newly bound to it (a run bound by hand to a node
 * that is not Ready is re-queued at once, not at the node's next change).
 */
import { NODE_LEASE_NAMESPACE } from '../../api/runtime/protocol.js';
import type { Lease } from '../../resources/kinds/lease.js';
import type { Run } from '../../resources/kinds/run.js';
import type { RuntimeNode } from '../../resources/kinds/runtimenode.js';
import type { ClusterContext } from '../context.js';
import type { Controller } from '../runtime/controller.js';
import { controllerFor } from '../runtime/builder.js';
import { informerLister } from '../scheduler/lister.js';
import { NodeLifecycleReconciler } from './reconciler.js';

export function registerNodeLifecycleController(c: ClusterContext): Controller {
  return controllerFor<RuntimeNode>('RuntimeNode', 'runtimenodes', c.informers, c.log)
    .named('nodelifecycle-controller')
    .watches<Lease>('leases', (ch) => (ch.obj.metadata.namespace === NODE_LEASE_NAMESPACE ? [ch.obj.metadata.name!] : []))
    .watches<Run>('runs', (ch) => {
      const node = ch.obj.spec.nodeName;
      const newlyBound = ch.type === 'add' || (ch.type === 'update' && ch.old.spec.nodeName !== node);
      return node && newlyBound ? [node] : [];
    })
    .reconcile(
      new NodeLifecycleReconciler({
        store: c.store,
        status: c.status,
        writer: c.writer,
        list: informerLister(c.informers),
        ...(c.recorder ? { recorder: c.recorder } : {}),
        ...(c.clock ? { clock: c.clock } : {}),
        ...(c.nodeMonitorGraceMs !== undefined ? { monitorGraceMs: c.nodeMonitorGraceMs } : {}),
        ...(c.nodeLostGraceMs !== undefined ? { lostGraceMs: c.nodeLostGraceMs } : {}),
      }),
    );
}
