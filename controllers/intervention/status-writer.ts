/**
 * Writes an Intervention's status together with the journal events that record it, in one store
 * transaction: `intervention.requested` with the first status the controller writes, and the
 * outcome event (`intervention.applied|degraded|rejected|expired`) with the settled status.
 */
import type { JournalEventInput } from '../../api/journal/event.js';
import type { Intervention, InterventionStatus } from '../../resources/kinds/intervention.js';
import { InterventionPhase } from '../../resources/kinds/intervention.js';
import type { Run } from '../../resources/kinds/run.js';
import { systemClock, type Clock } from '../runtime/clock.js';
import type { StatusTarget, StatusWriter } from '../runtime/status-writer.js';
import { interventionActor, isAccepted, isSettled, outcomeEventType, requestActor, requesterOf, type SettledPhase } from './intervention-status.js';
import { metaTime } from '../../resources/time.js';

/** What a pass decided: still being carried out (Accepted), or settled. */
export interface Outcome {
  phase: typeof InterventionPhase.Accepted | SettledPhase;
  message: string;
  /** Extra payload of the outcome event (a delivered steer carries its text with `source: steer`). */
  payload?: Record<string, unknown>;
}

export class InterventionWriter {
  constructor(
    private readonly status: StatusWriter,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Records `outcome` on the intervention. `run` names the session whose journal gets the events;
   * without one (the run or its session does not exist) only the status is written. An
   * intervention that settled meanwhile is left alone (a settled outcome is final).
   */
  async record(iv: Intervention, run: Run | undefined, outcome: Outcome): Promise<void> {
    // The events go to the run's session; the intervention lives in the same namespace.
    const target: StatusTarget<Intervention> = { plural: 'interventions', sessionOf: () => run?.spec.session };
    await this.status.commit(target, iv.metadata.namespace!, iv.metadata.name!, (current) => {
      if (isSettled(current)) return null;
      if (outcome.phase === InterventionPhase.Accepted && isAccepted(current) && current.status?.message === outcome.message) return null;
      const events = run ? this.eventsFor(current, run, outcome) : [];
      current.status = this.statusFor(outcome);
      return events;
    });
  }

  /** The status an outcome writes (the StatusWriter stamps `observedGeneration`). */
  private statusFor(outcome: Outcome): InterventionStatus {
    const delivered = outcome.phase === InterventionPhase.Applied || outcome.phase === InterventionPhase.Degraded;
    return {
      phase: outcome.phase,
      message: outcome.message,
      ...(delivered ? { appliedAt: metaTime(this.clock.now()) } : {}),
    };
  }

  /** `intervention.requested` the first time, then the outcome event once settled. */
  private eventsFor(iv: Intervention, run: Run, outcome: Outcome): JournalEventInput[] {
    const base = { actor: interventionActor, run: run.metadata.name, runUid: run.metadata.uid, correlationId: iv.metadata.uid };
    const about = { intervention: iv.metadata.name, type: iv.spec.type };
    const events: JournalEventInput[] = [];
    if (!isAccepted(iv)) {
      const by = requesterOf(iv);
      events.push({
        ...base,
        actor: requestActor(iv),
        type: 'intervention.requested',
        payload: {
          ...about,
          ...(by ? { by } : {}),
          ...(iv.spec.reason ? { reason: iv.spec.reason } : {}),
          ...(iv.spec.expectedRunGeneration !== undefined ? { expectedRunGeneration: iv.spec.expectedRunGeneration } : {}),
          runGeneration: run.metadata.generation,
        },
      });
    }
    if (outcome.phase !== InterventionPhase.Accepted) {
      events.push({ ...base, type: outcomeEventType(outcome.phase), payload: { ...about, message: outcome.message, ...outcome.payload } });
    }
    return events;
  }
}
