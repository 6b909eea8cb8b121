/**
 * Small shared facts about Interventions: when one is settled, which journal event records which
 * outcome, who acts, and the annotation that marks a run paused by an Interrupt.
 */
import type { Actor } from '../../api/journal/event.js';
import type { Intervention } from '../../resources/kinds/intervention.js';
import { InterventionPhase } from '../../resources/kinds/intervention.js';

export const interventionActor: Actor = { kind: 'controller', name: 'intervention-controller' };

/**
 * Set on a Run (with `spec.suspend: true`) by an Interrupt, naming the intervention. It tells a
 * later Steer that the pause was "stop and listen", not "hold on": the steer resumes the run.
 * `sidekick pause` and `sidekick resume` remove it.
 */
export const INTERRUPTED_BY = 'sidekicks.dev/interrupted-by';

/**
 * Who asked: the identity the API server stamped on create (`sidekicks.dev/created-by`, never what
 * the client claims; see api/auth/model.ts), or undefined for objects written past the server.
 */
export function requesterOf(iv: Intervention): string | undefined {
  return iv.metadata.annotations?.['sidekicks.dev/created-by'];
}

/** The actor of `intervention.requested`: the requester when known, else this controller. */
export function requestActor(iv: Intervention): Actor {
  const who = requesterOf(iv);
  return who ? { kind: 'participant', name: who } : interventionActor;
}

/** The outcomes that end an intervention; once one is recorded, the status never changes again. */
export type SettledPhase = typeof InterventionPhase.Applied | typeof InterventionPhase.Degraded | typeof InterventionPhase.Rejected | typeof InterventionPhase.Expired;

/** Settled: Applied, Degraded, Rejected or Expired. */
export function isSettled(iv: Intervention): boolean {
  const phase = iv.status?.phase;
  return phase === InterventionPhase.Applied || phase === InterventionPhase.Degraded || phase === InterventionPhase.Rejected || phase === InterventionPhase.Expired;
}

/** True once the controller has validated the request and journalled `intervention.requested`. */
export function isAccepted(iv: Intervention): boolean {
  return iv.status?.phase === InterventionPhase.Accepted;
}

/** The journal event type of a settled outcome (DOMAIN.md, Journal). */
export function outcomeEventType(phase: SettledPhase): string {
  return `intervention.${phase.toLowerCase()}`;
}
