import { describe, expect, it } from '@jest/globals';
import { RawBudget, clip } from './cli-conversation.js';

describe('RawBudget and clip', () => {
  it('caps the number of raw lines and their length, with one notice', () => {
    const budget = new RawBudget(2, 5);
    expect(['a', '1234567', 'c', 'd'].map((l) => budget.take(l))).toEqual(['a', '12345…[2 chars cut]', '[raw output capped at 2 lines; later lines dropped]', undefined]);
  });

  it('clips long text only', () => {
    expect(clip('abc', 3)).toBe('abc');
    expect(clip('abcd', 3)).toBe('abc…[1 chars cut]');
  });
});
