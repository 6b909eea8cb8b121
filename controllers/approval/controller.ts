/**
 * Registers the Approval controller: every change of an approval (which the gate also observes,
 * to release the tool call waiting on it), and a run that ends or goes (its pending approvals are
 * canceled with it).
 */
import type { Approval } from '../../resources/kinds/approval.js';
import type { Run } from '../../resources/kinds/run.js';
import type { ClusterContext } from '../context.js';
import type { Controller } from '../runtime/controller.js';
import { controllerFor, onChange } from '../runtime/builder.js';
import { objectKey, type Informer } from '../runtime/informer.js';
import { phaseOrDeletionChanged } from '../run/controller.js';
import { asDeleted } from './approval-status.js';
import { ApprovalReconciler } from './reconciler.js';
import { rememberedRule } from './policy.js';

/**
 * The gate hears every change of an approval (a decision releases the tool call waiting on it; an
 * undecided one deleted, with its run or by hand, refuses it). A runtime node has only this part:
 * approvals are decided on the control plane and reach it through the mirror.
 */
export function gateHearsApprovals(c: ClusterContext): Informer<Approval> {
  const approvals = c.informers.of<Approval>('approvals');
  onChange(approvals, (ch) => c.gate.observe(ch.type === 'delete' ? asDeleted(ch.obj) : ch.obj));
  return approvals;
}

export function registerApprovalController(c: ClusterContext): Controller {
  const approvals = gateHearsApprovals(c);
  return controllerFor<Approval>('Approval', 'approvals', c.informers, c.log)
    .when((ch) => ch.type !== 'delete')
    .watches<Run>('runs', (ch) =>
      phaseOrDeletionChanged(ch) ? approvals.list((a) => a.metadata.namespace === ch.obj.metadata.namespace && a.spec.run === ch.obj.metadata.name).map(objectKey) : [],
    )
    .reconcile(new ApprovalReconciler({ store: c.store, journal: c.journal, status: c.status, ...(c.clock ? { clock: c.clock } : {}), remember: rememberedRule }));
}
