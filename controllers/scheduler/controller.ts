/**
 * Registers the scheduler: a run's own arrival or a change of its binding, and — for every run
 * still waiting for a node — whatever can make one fit: a node that changed what it offers or
 * whether it is Ready, a Lease appearing, a bound run ending (a slot freed), an Agent, RepoMount or
 * Session of the namespace created, deleted or respecified. One worker: each binding is decided
 * after the previous one, so two runs never take the same last slot.
 */
import { NODE_LEASE_NAMESPACE } from '../../api/runtime/protocol.js';
import { isTerminalPhase, type Run } from '../../resources/kinds/run.js';
import type { RuntimeNode } from '../../resources/kinds/runtimenode.js';
import type { Lease } from '../../resources/kinds/lease.js';
import type { KubeObject } from '../../resources/meta.js';
import type { ClusterContext } from '../context.js';
import type { Controller } from '../runtime/controller.js';
import { controllerFor, type Change } from '../runtime/builder.js';
import { objectKey } from '../runtime/informer.js';
import { informerLister } from './lister.js';
import { SchedulerReconciler } from './reconciler.js';

/** True when a change can free a slot on a node: a bound run ended, went, or was unbound. */
function freesSlot(ch: Change<Run>): boolean {
  if (ch.type === 'add') return false;
  const before = ch.type === 'update' ? ch.old : ch.obj;
  if (!before.spec.nodeName) return false;
  return ch.type === 'delete' || ch.obj.spec.nodeName !== before.spec.nodeName || (!isTerminalPhase(before.status?.phase) && isTerminalPhase(ch.obj.status?.phase));
}

/** True when a node changed anything the fit depends on (not a heartbeat's run count or time). */
function nodeChanged(ch: Change<RuntimeNode>): boolean {
  if (ch.type !== 'update') return true;
  const facts = (n: RuntimeNode) => JSON.stringify([n.metadata.generation, n.spec, n.status?.state, n.status?.phase, n.status?.conditions, n.status?.capabilities]);
  return facts(ch.old) !== facts(ch.obj);
}

/** True for an object created, deleted or respecified (not a status update). */
function respecified(ch: Change<KubeObject>): boolean {
  return ch.type !== 'update' || ch.old.metadata.generation !== ch.obj.metadata.generation;
}

export function registerScheduler(c: ClusterContext): Controller {
  const runs = c.informers.of<Run>('runs');
  const waiting = (ns?: string): string[] =>
    runs.list((r) => !r.spec.nodeName && !r.metadata.deletionTimestamp && !isTerminalPhase(r.status?.phase) && (ns === undefined || r.metadata.namespace === ns)).map(objectKey);
  const inNamespace = (ch: Change<KubeObject>) => (respecified(ch) ? waiting(ch.obj.metadata.namespace) : []);
  return controllerFor<Run>('Run', 'runs', c.informers, c.log)
    .named('scheduler')
    .workers(1)
    // A resync reports `old === obj`: an unschedulable run is tried again then too.
    .when((ch) => ch.type === 'add' || (ch.type === 'update' && (ch.old === ch.obj || ch.old.spec.nodeName !== ch.obj.spec.nodeName)))
    .watches<Run>('runs', (ch) => (freesSlot(ch) ? waiting() : []))
    .watches<RuntimeNode>('runtimenodes', (ch) => (nodeChanged(ch) ? waiting() : []))
    .watches<Lease>('leases', (ch) => (ch.obj.metadata.namespace === NODE_LEASE_NAMESPACE && ch.type !== 'update' ? waiting() : []))
    .watches<KubeObject>('agents', inNamespace)
    .watches<KubeObject>('repomounts', inNamespace)
    .watches<KubeObject>('sessions', inNamespace)
    .reconcile(new SchedulerReconciler({ store: c.store, writer: c.writer, list: informerLister(c.informers), ...(c.recorder ? { recorder: c.recorder } : {}), ...(c.clock ? { clock: c.clock } : {}) }));
}
