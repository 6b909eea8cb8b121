/**
 * Delivering steer text to a live driver and naming the outcome. The delivery event carries the
 * text with `source: steer`, so `sidekick logs` shows it in the conversation as `[steer] ...`.
 */
import { InterventionPhase } from '../../resources/kinds/intervention.js';
import type { DriverHandle } from '../../node/ports.js';
import type { Outcome } from './status-writer.js';

/** What the status says for each answer (TOUR.md: "Degraded: delivered after the current turn"). */
export const STEER_APPLIED = 'injected into the current turn';
export const STEER_DEGRADED = 'delivered after the current turn: the text is the next user message';

/**
 * How long a driver host may take to acknowledge a steer. It answers at once (queueing is all a
 * driver does before answering) or exits, which rejects; this only bounds a host that hangs.
 */
const STEER_ACK_MS = 10_000;

/** Sends the text to the driver; resolves Applied or Degraded as the driver took it, rejects if it could not. */
export async function steerAnswer(handle: Pick<DriverHandle, 'steer'>, text: string): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the driver did not acknowledge the steer within ${STEER_ACK_MS / 1000} s`)), STEER_ACK_MS);
  });
  try {
    const answer = await Promise.race([handle.steer(text), timeout]);
    const payload = { source: 'steer', text };
    return answer === 'applied' ? { phase: InterventionPhase.Applied, message: STEER_APPLIED, payload } : { phase: InterventionPhase.Degraded, message: STEER_DEGRADED, payload };
  } finally {
    clearTimeout(timer);
  }
}
