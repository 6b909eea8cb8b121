/**
 * Timers with delays Node can honour. setTimeout takes at most 2^31-1 ms (about 24.8 days); a
 * longer delay — a `timeoutSeconds` of 2,147,484 or an `expiresAt` a month away — is taken as 1 ms
 * with a TimeoutOverflowWarning, and a reconciler that asks to look again "then" spins in a 1 ms
 * loop. Every delay derived from user input goes through {@link timerDelay}: a wait longer than
 * Node can express ends at the limit instead, and level-based callers simply look again.
 */

/** The longest delay setTimeout honours: 2^31-1 ms, about 24.8 days. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `ms` as a delay setTimeout honours: at most {@link MAX_TIMER_MS}; negative or NaN is 0. */
export function timerDelay(ms: number): number {
  if (!(ms > 0)) return 0;
  return Math.min(ms, MAX_TIMER_MS);
}

/** setTimeout with {@link timerDelay} applied to `ms`. */
export function clampedTimeout(fn: () => void, ms: number): NodeJS.Timeout {
  return setTimeout(fn, timerDelay(ms));
}
