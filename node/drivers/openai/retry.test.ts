import { describe, expect, it } from '@jest/globals';
import { ProviderCallError, parseRetryAfter, providerMessage } from './client.js';
import { backoffDelay, DEFAULT_RETRY_POLICY, withRetries } from './retry.js';

describe('backoffDelay', () => {
  it.each([
    [1, 0, 250],
    [1, 0.999999, 500],
    [2, 0, 500],
    [3, 1, 2000],
    [10, 0.5, 22_500],
  ])('attempt %i with random %d waits %i ms', (attempt, random, expected) => {
    expect(backoffDelay(attempt, DEFAULT_RETRY_POLICY, () => random)).toBe(expected);
  });

  it('honours Retry-After, bounded', () => {
    expect(backoffDelay(1, DEFAULT_RETRY_POLICY, () => 0, 3000)).toBe(3000);
    expect(backoffDelay(1, DEFAULT_RETRY_POLICY, () => 0, 10 * 60_000)).toBe(DEFAULT_RETRY_POLICY.maxRetryAfterMs);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    [null, undefined],
    ['', undefined],
    ['2', 2000],
    ['0', 0],
    ['1.5', 1500],
    ['Thu, 01 Jan 2026 00:00:05 GMT', 5000],
    ['Wed, 31 Dec 2025 23:00:00 GMT', 0],
    ['soon', undefined],
  ])('%s → %s', (header, expected) => {
    expect(parseRetryAfter(header, now)).toBe(expected);
  });
});

describe('providerMessage', () => {
  it.each([
    ['{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}', 'Incorrect API key provided'],
    ['{"error":"model \\"llama9\\" not found"}', 'model "llama9" not found'],
    ['{"message":"bare"}', 'bare'],
    ['<html>Bad Gateway</html>', '<html>Bad Gateway</html>'],
  ])('%s', (body, expected) => {
    expect(providerMessage(body)).toBe(expected);
  });
});

describe('withRetries', () => {
  const env = (waits: number[]) => ({
    policy: DEFAULT_RETRY_POLICY,
    sleep: async (ms: number) => void waits.push(ms),
    random: () => 0,
    signal: new AbortController().signal,
  });

  it('retries retryable failures and returns the first success', async () => {
    const waits: number[] = [];
    let calls = 0;
    const value = await withRetries(async () => {
      calls += 1;
      if (calls < 3) throw new ProviderCallError('HTTP 500', 'Provider', 'ServerError', true, 500);
      return 'ok';
    }, env(waits));
    expect(value).toBe('ok');
    expect(waits).toEqual([250, 500]);
  });

  it('gives up after maxAttempts and says so', async () => {
    const waits: number[] = [];
    let calls = 0;
    const attempt = async () => {
      calls += 1;
      throw new ProviderCallError('HTTP 503', 'Provider', 'ServerError', true, 503);
    };
    await expect(withRetries(attempt, env(waits))).rejects.toMatchObject({ message: 'HTTP 503 (gave up after 4 attempts)', reason: 'ServerError', status: 503 });
    expect(calls).toBe(4);
    expect(waits).toHaveLength(3);
  });

  it('does not retry a non-retryable failure', async () => {
    let calls = 0;
    const attempt = async () => {
      calls += 1;
      throw new ProviderCallError('HTTP 401', 'Provider', 'Unauthorized', false, 401);
    };
    await expect(withRetries(attempt, env([]))).rejects.toMatchObject({ reason: 'Unauthorized' });
    expect(calls).toBe(1);
  });
});
