/**
 * Registers the Intervention controller with what it needs from the Run controller's world: a
 * run's phase or generation change wakes its open interventions, the driver fleet (steers go to
 * live drivers) and the RunWriter (a cancel commits the run's end with its journal event). The
 * slot a canceled run frees is the Run controller's to hand on: it sees the run end.
 */
import type { Intervention } from '../../resources/kinds/intervention.js';
import type { Run } from '../../resources/kinds/run.js';
import type { DriverFleet } from '../../node/fleet.js';
import type { ControllerContext } from '../context.js';
import type { Controller } from '../runtime/controller.js';
import { controllerFor } from '../runtime/builder.js';
import { objectKey } from '../runtime/informer.js';
import { isSettled } from './intervention-status.js';
import { InterventionReconciler } from './reconciler.js';
import { RunControl } from './run-control.js';
import { InterventionWriter } from './status-writer.js';

export interface InterventionControllerOptions {
  /** The Run controller's live drivers: steers go to them, a cancel stops one. */
  fleet: DriverFleet;
}

export function registerInterventionController(c: ControllerContext, o: InterventionControllerOptions): Controller {
  const interventions = c.informers.of<Intervention>('interventions');
  const reconciler = new InterventionReconciler({
    store: c.store,
    writer: new InterventionWriter(c.status, c.clock),
    control: new RunControl({ store: c.store, runs: c.writer, fleet: o.fleet, recorder: c.recorder }),
    fleet: o.fleet,
    capabilitiesOf: (driver) => c.launcher.capabilitiesOf(driver),
  });
  return controllerFor<Intervention>('Intervention', 'interventions', c.informers, c.log)
    .when((ch) => ch.type !== 'delete' && !isSettled(ch.obj))
    .watches<Run>('runs', (ch) => {
      const changed = ch.type === 'delete' || (ch.type === 'update' && (ch.old.status?.phase !== ch.obj.status?.phase || ch.old.metadata.generation !== ch.obj.metadata.generation));
      if (!changed) return [];
      const run = ch.obj;
      return interventions.list((i) => i.metadata.namespace === run.metadata.namespace && i.spec.run === run.metadata.name && !isSettled(i)).map(objectKey);
    })
    .reconcile(reconciler);
}
