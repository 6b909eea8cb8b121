/**
 * Retries a provider request with exponential backoff and jitter. A Retry-After the server sent
 * wins over our own backoff (bounded, so a hostile header cannot park a run for hours).
 */
import { ProviderCallError } from './client.js';

/** How hard to retry. */
export interface RetryPolicy {
  /** Attempts in total, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Upper bound on a server's Retry-After. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 120_000 };

/** What a retry loop needs from the outside world; tests pass a sleep that records instead of waiting. */
export interface RetryEnvironment {
  policy: RetryPolicy;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  random(): number;
  signal: AbortSignal;
  onRetry?(error: ProviderCallError, attempt: number, delayMs: number): void;
}

/** The wait before retry number `attempt` (1 = after the first failure): equal jitter over an exponential step. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, policy.maxRetryAfterMs);
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

/** Runs `attempt` until it succeeds, fails for good, or runs out of attempts; the final error says how many were made. */
export async function withRetries<T>(attempt: (n: number) => Promise<T>, env: RetryEnvironment): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (!(err instanceof ProviderCallError) || !err.retryable) throw err;
      if (n >= env.policy.maxAttempts) {
        throw new ProviderCallError(`${err.message} (gave up after ${n} attempts)`, err.category, err.reason, false, err.status);
      }
      const wait = backoffDelay(n, env.policy, env.random, err.retryAfterMs);
      env.onRetry?.(err, n, wait);
      await env.sleep(wait, env.signal);
    }
  }
}
