import { describe, it, expect } from '@jest/globals';
import { eventually } from './eventually.js';

describe('eventually', () => {
  it.each([0, '', 'ok', 1, true, [], {}])('returns %p at once: every value but false, undefined and null is an answer', async (value) => {
    let calls = 0;
    await expect(eventually(() => (calls++, value), { timeoutMs: 0 })).resolves.toBe(value);
    expect(calls).toBe(1);
  });

  it.each([false, undefined, null])('retries while the check returns %p', async (notYet) => {
    let calls = 0;
    await expect(eventually(() => (++calls < 3 ? notYet : 'done'), { intervalMs: 1 })).resolves.toBe('done');
    expect(calls).toBe(3);
  });

  it('retries while the check throws, and rethrows its last error at the deadline', async () => {
    let calls = 0;
    const err = await eventually(() => {
      calls++;
      throw new Error(`not yet ${calls}`);
    }, { timeoutMs: 30, intervalMs: 1 }).catch((e: unknown) => e);
    expect(calls).toBeGreaterThan(1);
    expect((err as Error).message).toBe(`not yet ${calls}`);
  });

  it('names the last "not yet" value when the deadline passes', async () => {
    await expect(eventually(() => null, { timeoutMs: 0 })).rejects.toThrow('condition returned null');
  });
});
