/** Registers the Agent controller: a new agent, a new spec, or a resync probes it again. */
import type { Agent } from '../../resources/kinds/agent.js';
import type { ControllerContext } from '../context.js';
import type { Controller } from '../runtime/controller.js';
import { controllerFor } from '../runtime/builder.js';
import { AgentReconciler } from './reconciler.js';

export function registerAgentController(c: ControllerContext): Controller {
  return controllerFor<Agent>('Agent', 'agents', c.informers, c.log)
    .when((ch) => ch.type === 'add' || (ch.type === 'update' && (ch.old.metadata.generation !== ch.obj.metadata.generation || ch.old === ch.obj)))
    .reconcile(new AgentReconciler({ store: c.store, probe: c.probe, capabilitiesOf: (d) => c.launcher.capabilitiesOf(d) }));
}
