/**
 * Builds the Intervention controller with its informer and the wiring it needs from the Run
 * controller's world: the shared runs informer (a run's phase or generation change wakes its open
 * interventions), the driver fleet (steers go to live drivers), the RunWriter (a cancel commits the
 * run's end with its journal event) and the session waker (a canceled run frees a slot).
 */
import type { Store } from '../../api/store/store.js';
import type { Journal } from '../../api/journal/journal.js';
import type { EventRecorder } from '../../api/events/recorder.js';
import type { Intervention } from '../../resources/kinds/intervention.js';
import type { Run } from '../../resources/kinds/run.js';
import type { Clock } from '../runtime/clock.js';
import { Controller } from '../runtime/controller.js';
import { Informer, objectKey } from '../runtime/informer.js';
import type { Runnable } from '../runtime/manager.js';
import { StatusWriter } from '../runtime/status-writer.js';
import type { DriverFleet } from '../../node/fleet.js';
import type { DriverLauncher } from '../../node/ports.js';
import type { RunWriter } from '../run/run-writer.js';
import { isSettled } from './intervention-status.js';
import { InterventionReconciler } from './reconciler.js';
import { RunControl } from './run-control.js';
import { InterventionWriter } from './status-writer.js';

export interface InterventionControllerOptions {
  store: Store;
  journal: Journal;
  /** The Run controller's writer: a run's status and journal writes are serialized through it. */
  writer: RunWriter;
  fleet: DriverFleet;
  launcher: Pick<DriverLauncher, 'capabilitiesOf'>;
  /** The runs informer the Run controller uses (this adds handlers to it; it runs elsewhere). */
  runs: Informer<Run>;
  /** Wakes a session's queued runs (a canceled run frees a slot). */
  wakeSession(namespace: string, session: string): void;
  recorder?: EventRecorder;
  /** Commits an intervention's status with its events (default: one over `store` and `journal`). */
  status?: StatusWriter;
  clock?: Clock;
  /** Informer resync period (default 5 min). */
  resyncMs?: number;
  log?: (line: string) => void;
}

export interface InterventionControllerSet {
  /** The interventions informer and the controller, for the Manager. */
  runnables: Runnable[];
  controller: Controller;
  interventions: Informer<Intervention>;
}

/** The Intervention controller, wired to the runs informer; add `runnables` to the Manager. */
export function buildInterventionController(o: InterventionControllerOptions): InterventionControllerSet {
  const log = o.log ?? (() => undefined);
  const interventions = new Informer<Intervention>(o.store, 'interventions', { resyncMs: o.resyncMs ?? 300_000, log });
  const reconciler = new InterventionReconciler({
    store: o.store,
    writer: new InterventionWriter(o.status ?? new StatusWriter(o.store, o.journal), o.clock),
    control: new RunControl({ store: o.store, runs: o.writer, fleet: o.fleet, wakeSession: o.wakeSession, recorder: o.recorder }),
    fleet: o.fleet,
    capabilitiesOf: (driver) => o.launcher.capabilitiesOf(driver),
  });
  const controller = new Controller(reconciler, { name: 'intervention-controller', workers: 2, log });

  const enqueueOpen = (iv: Intervention): void => {
    if (!isSettled(iv)) controller.enqueue(objectKey(iv));
  };
  interventions.addHandlers({ onAdd: enqueueOpen, onUpdate: (_old, iv) => enqueueOpen(iv) });

  const wakeInterventionsOf = (run: Run): void => {
    for (const iv of interventions.list((i) => i.metadata.namespace === run.metadata.namespace && i.spec.run === run.metadata.name)) enqueueOpen(iv);
  };
  o.runs.addHandlers({
    onUpdate: (old, run) => {
      if (old.status?.phase !== run.status?.phase || old.metadata.generation !== run.metadata.generation) wakeInterventionsOf(run);
    },
    onDelete: wakeInterventionsOf,
  });

  return {
    runnables: [{ name: 'informer/interventions', start: (signal) => interventions.run(signal) }, controller],
    controller,
    interventions,
  };
}
