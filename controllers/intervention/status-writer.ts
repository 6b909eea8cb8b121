/**
 * Writes an Intervention's status together with the journal events that record it, in one store
 * transaction: `intervention.requested` with the first status the controller writes, and the
 * outcome event (`intervention.applied|degraded|rejected|expired`) with the settled status.
 */
import type { Store } from '../../api/store/store.js';
import { isReason } from '../../api/errors.js';
import { sessionKey, type Journal } from '../../api/journal/journal.js';
import type { JournalEventInput } from '../../api/journal/event.js';
import type { Intervention, InterventionStatus } from '../../resources/kinds/intervention.js';
import { InterventionPhase } from '../../resources/kinds/intervention.js';
import type { Run } from '../../resources/kinds/run.js';
import { interventionActor, isAccepted, isSettled, outcomeEventType, requestActor, requesterOf, type SettledPhase } from './intervention-status.js';

/** What a pass decided: still being carried out (Accepted), or settled. */
export interface Outcome {
  phase: typeof InterventionPhase.Accepted | SettledPhase;
  message: string;
  /** Extra payload of the outcome event (a delivered steer carries its text with `source: steer`). */
  payload?: Record<string, unknown>;
}

const CONFLICT_RETRIES = 5;

export class InterventionWriter {
  constructor(
    private readonly store: Store,
    private readonly journal: Journal,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Records `outcome` on the intervention. `run` names the session whose journal gets the events;
   * without one (the run or its session does not exist) only the status is written. An
   * intervention that settled meanwhile is left alone (a settled outcome is final).
   */
  async record(iv: Intervention, run: Run | undefined, outcome: Outcome): Promise<void> {
    let current = iv;
    for (let attempt = 0; ; attempt++) {
      if (isSettled(current)) return;
      if (outcome.phase === InterventionPhase.Accepted && isAccepted(current) && current.status?.message === outcome.message) return;
      const next: Intervention = { ...current, status: this.statusFor(current, outcome) };
      const events = run ? this.eventsFor(current, run, outcome) : [];
      try {
        await this.store.updateStatus('interventions', next, {
          extraWrites: async (tx) => {
            if (events.length) await this.journal.append(sessionKey(run!.metadata.namespace!, run!.spec.session), events, tx);
          },
        });
        return;
      } catch (err) {
        if (isReason(err, 'NotFound')) return;
        if (!isReason(err, 'Conflict') || attempt >= CONFLICT_RETRIES) throw err;
        // Someone changed its metadata (a label): write the same outcome on the fresh copy.
        const fresh = await this.store.find<Intervention>('interventions', iv.metadata.namespace!, iv.metadata.name!);
        if (!fresh) return;
        current = fresh;
      }
    }
  }

  private statusFor(iv: Intervention, outcome: Outcome): InterventionStatus {
    const delivered = outcome.phase === InterventionPhase.Applied || outcome.phase === InterventionPhase.Degraded;
    return {
      phase: outcome.phase,
      message: outcome.message,
      ...(delivered ? { appliedAt: this.now().toISOString().replace(/\.\d{3}Z$/, 'Z') } : {}),
      observedGeneration: iv.metadata.generation,
    };
  }

  /** `intervention.requested` the first time, then the outcome event once settled. */
  private eventsFor(iv: Intervention, run: Run, outcome: Outcome): JournalEventInput[] {
    const base = { actor: interventionActor, run: run.metadata.name, correlationId: iv.metadata.uid };
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
