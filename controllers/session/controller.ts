/**
 * Registers the Session controller: a session's own changes, and every change of its runs that
 * moves its counts or its queue (a run added, a new phase, a run going or gone).
 */
import type { Run } from '../../resources/kinds/run.js';
import type { Session } from '../../resources/kinds/session.js';
import type { ClusterContext } from '../context.js';
import type { Controller } from '../runtime/controller.js';
import { controllerFor } from '../runtime/builder.js';
import { SessionReconciler } from './reconciler.js';

export function registerSessionController(c: ClusterContext): Controller {
  return controllerFor<Session>('Session', 'sessions', c.informers, c.log)
    .when((ch) => ch.type !== 'delete')
    .watches<Run>('runs', (ch) => {
      const moved =
        ch.type !== 'update' || ch.old.status?.phase !== ch.obj.status?.phase || (!ch.old.metadata.deletionTimestamp && !!ch.obj.metadata.deletionTimestamp);
      return moved ? [`${ch.obj.metadata.namespace}/${ch.obj.spec.session}`] : [];
    })
    .reconcile(new SessionReconciler({ store: c.store, journal: c.journal, writer: c.writer, queue: c.queue, status: c.status, clock: c.clock }));
}
