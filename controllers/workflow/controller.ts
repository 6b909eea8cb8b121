/**
 * Registers the Workflow controller: a workflow wakes on any change of its own, when the template
 * it names appears, and when a child it owns (a run, an approval, a channel) changes phase or goes.
 * Command steps run in this process: when the controller stops (the daemon is stopping), so do
 * they, unrecorded (see CommandSteps).
 */
import type { Workflow } from '../../resources/kinds/workflow.js';
import type { WorkflowTemplate } from '../../resources/kinds/workflowtemplate.js';
import type { KubeObject } from '../../resources/meta.js';
import type { ClusterContext } from '../context.js';
import type { Runnable } from '../runtime/manager.js';
import { controllerFor, type Change } from '../runtime/builder.js';
import { objectKey } from '../runtime/informer.js';
import { WorkflowReconciler } from './reconciler.js';
import { CommandSteps } from './steps.js';

/** A child's phase changed, or a resync re-announced it, or it went. */
function phaseChangedOrGone(c: Change<KubeObject>): boolean {
  if (c.type !== 'update') return c.type === 'delete';
  const phase = (o: KubeObject) => (o.status as { phase?: string } | undefined)?.phase;
  return phase(c.old) !== phase(c.obj) || c.old === c.obj;
}

export function registerWorkflowController(c: ClusterContext): Runnable {
  const workflows = c.informers.of<Workflow>('workflows');
  // The steps wake the controller built below (they never call before it exists).
  const steps = new CommandSteps({ journal: c.journal, workspaces: c.workspaces, wake: (key) => controller.enqueue(key), ...(c.env ? { env: c.env } : {}), log: c.log });
  const reconciler = new WorkflowReconciler({ store: c.store, journal: c.journal, steps, status: c.status, ...(c.clock ? { clock: c.clock } : {}), ...(c.recorder ? { recorder: c.recorder } : {}) });
  const controller = controllerFor<Workflow>('Workflow', 'workflows', c.informers, c.log)
    .watches<WorkflowTemplate>('workflowtemplates', (ch) =>
      ch.type === 'add' ? workflows.list((w) => w.metadata.namespace === ch.obj.metadata.namespace && w.spec.templateRef?.name === ch.obj.metadata.name).map(objectKey) : [],
    )
    .owns<KubeObject>('runs', phaseChangedOrGone)
    .owns<KubeObject>('approvals', (ch) => ch.type === 'add' || phaseChangedOrGone(ch))
    .owns<KubeObject>('channels', phaseChangedOrGone)
    .reconcile(reconciler);
  return {
    name: controller.name,
    start: async (signal) => {
      try {
        await controller.start(signal);
      } finally {
        steps.stopAll();
      }
    },
  };
}
