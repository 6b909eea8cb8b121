/**
 * What an intervention does to its Run, apart from deciding what to do: ask for a pause (or a
 * resume) through `spec.suspend`, and end the run `Interrupted` or `Canceled`. The Run controller stays the only
 * one that starts, pauses and resumes drivers; ending a run is the one move made here, the way the
 * Run controller itself fails a run: stop the driver, then commit the phase with its journal event.
 */
import type { Store } from '../../api/store/store.js';
import { isReason } from '../../api/errors.js';
import type { EventRecorder } from '../../api/events/recorder.js';
import type { Intervention } from '../../resources/kinds/intervention.js';
import type { Run } from '../../resources/kinds/run.js';
import type { DriverFleet } from '../../node/fleet.js';
import type { RunWriter } from '../run/run-writer.js';
import { failRun } from '../run/run-status.js';
import { INTERRUPTED_BY, interventionActor } from './intervention-status.js';

const CONFLICT_RETRIES = 8;

export interface RunControlDeps {
  store: Store;
  runs: RunWriter;
  fleet: Pick<DriverFleet, 'stop'>;
  recorder?: EventRecorder;
}

export class RunControl {
  constructor(private readonly d: RunControlDeps) {}

  /** Sets `spec.suspend: true`; with `interruptedBy`, also marks the pause as an Interrupt's. */
  pause(run: Run, interruptedBy?: string): Promise<Run | undefined> {
    return this.updateRun(run, (r) => {
      if (r.spec.suspend) return false;
      r.spec.suspend = true;
      if (interruptedBy) r.metadata.annotations = { ...r.metadata.annotations, [INTERRUPTED_BY]: interruptedBy };
      return true;
    });
  }

  /** Sets `spec.suspend: false` and drops the Interrupt mark: the Run controller resumes the driver. */
  resume(run: Run): Promise<Run | undefined> {
    return this.updateRun(run, (r) => {
      const marked = r.metadata.annotations?.[INTERRUPTED_BY] !== undefined;
      if (!r.spec.suspend && !marked) return false;
      r.spec.suspend = false;
      if (marked) {
        const { [INTERRUPTED_BY]: _dropped, ...rest } = r.metadata.annotations!;
        r.metadata.annotations = rest;
      }
      return true;
    });
  }

  /**
   * Stops the run's driver and ends the run `phase` (Interrupted or Canceled) with `reason`; the
   * run.<phase> event names this controller as its actor and carries the intervention's uid as
   * correlationId. Resolves the run as written (already ended, if it ended first), or undefined
   * when it is gone.
   */
  async end(run: Run, iv: Intervention, phase: 'Interrupted' | 'Canceled', reason: string, message: string): Promise<Run | undefined> {
    await this.d.fleet.stop(run.metadata.uid!, 'interrupt');
    const ended = await this.d.runs.commit(run.metadata.namespace!, run.metadata.name!, (r) => {
      // The category is not used for a stop (a stopped run has not failed).
      const events = failRun(r, { category: 'Policy', reason, message, event: phase === 'Canceled' ? 'CANCEL' : 'INTERRUPT' });
      return events && events.map((e) => ({ ...e, actor: interventionActor, correlationId: iv.metadata.uid }));
    });
    // The slot it held is freed for the queue by the Run controller, which sees the run end.
    if (ended?.status?.phase === phase && ended.status.reason === reason) this.d.recorder?.normal(ended, reason, message);
    return ended;
  }

  /** Read-modify-write of a run's spec/metadata; `mutate` returns false for "no change". */
  private async updateRun(run: Run, mutate: (r: Run) => boolean): Promise<Run | undefined> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.d.store.find<Run>('runs', run.metadata.namespace!, run.metadata.name!);
      if (!current || current.metadata.deletionTimestamp) return undefined;
      const next = structuredClone(current);
      if (!mutate(next)) return current;
      try {
        return await this.d.store.update<Run>('runs', next);
      } catch (err) {
        if (isReason(err, 'NotFound')) return undefined;
        if (!isReason(err, 'Conflict') || attempt >= CONFLICT_RETRIES) throw err;
      }
    }
  }
}
