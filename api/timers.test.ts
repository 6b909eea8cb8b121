import { describe, expect, test } from '@jest/globals';
import { clampedTimeout, MAX_TIMER_MS, timerDelay } from './timers.js';

describe('timerDelay', () => {
  test.each([
    [0, 0],
    [-5, 0],
    [Number.NaN, 0],
    [1500, 1500],
    [MAX_TIMER_MS, MAX_TIMER_MS],
    [MAX_TIMER_MS + 1, MAX_TIMER_MS],
    // timeoutSeconds: 2,147,484 and an expiresAt 30 days ahead
    [2_147_484 * 1000, MAX_TIMER_MS],
    [30 * 24 * 3600 * 1000, MAX_TIMER_MS],
    [Number.POSITIVE_INFINITY, MAX_TIMER_MS],
  ])('%d ms → %d ms', (ms, expected) => {
    expect(timerDelay(ms)).toBe(expected);
  });
});

describe('clampedTimeout', () => {
  test('a delay beyond 24.8 days waits at the limit instead of overflowing into 1 ms', async () => {
    const fired: string[] = [];
    const far = 2_147_484 * 1000; // timeoutSeconds: 2,147,484
    const clamped = clampedTimeout(() => fired.push('clamped'), far);
    // What it guards against: Node's own setTimeout takes the overflowed delay as 1 ms.
    const raw = setTimeout(() => fired.push('raw'), far);
    // Timers fire in order of their due time: a 20 ms one comes after anything due in 1 ms.
    await new Promise((resolve) => setTimeout(resolve, 20));
    clearTimeout(clamped);
    clearTimeout(raw);
    expect(fired).toEqual(['raw']);
  });
});
