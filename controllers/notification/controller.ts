/**
 * Registers the notification controller: a sink wakes on its own spec, deletion or resync; an
 * Approval that becomes Pending (or stops being) wakes the sinks of its namespace and session; so
 * does a run that becomes Failed. Its deliveries run in the background (Deliveries), stopped with
 * the controller; each finished one is recorded in the sink's status and wakes the sink again.
 */
import type { Approval } from '../../resources/kinds/approval.js';
import type { NotificationSink } from '../../resources/kinds/notificationsink.js';
import type { Run } from '../../resources/kinds/run.js';
import type { ClusterContext } from '../context.js';
import type { Controller } from '../runtime/controller.js';
import type { Runnable } from '../runtime/manager.js';
import { controllerFor, type Change } from '../runtime/builder.js';
import { systemClock } from '../runtime/clock.js';
import { objectKey } from '../runtime/informer.js';
import { Deliveries } from './delivery.js';
import { localNotifiers } from './local-notifiers.js';
import { NotificationSinkReconciler } from './reconciler.js';
import type { Notifiers } from './transports.js';

/** Whether a change moved an object into or out of `phase` (a resync, `old === obj`, is not one). */
function enteredOrLeft<T extends Approval | Run>(ch: Change<T>, phase: string): boolean {
  if (ch.type !== 'update') return ch.obj.status?.phase === phase;
  return (ch.old.status?.phase === phase) !== (ch.obj.status?.phase === phase);
}

export function registerNotificationController(c: ClusterContext, notifiers: Notifiers = localNotifiers(c.env ?? process.env)): Runnable {
  const sinks = c.informers.of<NotificationSink>('notificationsinks');
  const approvals = c.informers.of<Approval>('approvals');
  const runs = c.informers.of<Run>('runs');
  const inNamespace = (ns: string) => (o: Approval | Run) => o.metadata.namespace === ns;
  const sinksOf = (o: Approval | Run): string[] =>
    sinks.list((s) => s.metadata.namespace === o.metadata.namespace && (!s.spec.session || s.spec.session === o.spec.session)).map(objectKey);

  let controller: Controller | undefined;
  const deliveries = new Deliveries({
    clock: c.clock ?? systemClock,
    onSettled: async (sink, result) => {
      await reconciler.settled(sink, result);
      controller?.enqueue(sink);
    },
    log: c.log,
  });
  const reconciler = new NotificationSinkReconciler({
    store: c.store,
    status: c.status,
    deliveries,
    notifiers,
    world: (ns) => ({ approvals: approvals.list(inNamespace(ns)) as Approval[], runs: runs.list(inNamespace(ns)) as Run[] }),
    ...(c.recorder ? { recorder: c.recorder } : {}),
    ...(c.clock ? { clock: c.clock } : {}),
  });
  controller = controllerFor<NotificationSink>('NotificationSink', 'notificationsinks', c.informers, c.log)
    .named('notification-controller')
    // Not on its own status writes: a delivery's outcome wakes the sink itself.
    .when((ch) => ch.type !== 'update' || ch.old === ch.obj || ch.old.metadata.generation !== ch.obj.metadata.generation || (!ch.old.metadata.deletionTimestamp && !!ch.obj.metadata.deletionTimestamp))
    .watches<Approval>('approvals', (ch) => (enteredOrLeft(ch, 'Pending') ? sinksOf(ch.obj) : []))
    .watches<Run>('runs', (ch) => (enteredOrLeft(ch, 'Failed') ? sinksOf(ch.obj) : []))
    .reconcile(reconciler);
  const run = controller;
  return {
    name: run.name,
    start: async (signal) => {
      signal.addEventListener('abort', () => deliveries.stop(), { once: true });
      await run.start(signal);
    },
  };
}
