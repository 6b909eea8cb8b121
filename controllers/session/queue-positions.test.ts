import { describe, it, expect } from '@jest/globals';
import { worthRewriting } from './reconciler.js';

describe('queue positions worth rewriting', () => {
  it('keeps the first ten exact and lets positions further back lag by less than a fifth', () => {
    expect(worthRewriting(undefined, 400)).toBe(true);
    expect(worthRewriting(4, 3)).toBe(true);
    expect(worthRewriting(11, 10)).toBe(true);
    expect(worthRewriting(3, 3)).toBe(false);
    expect(worthRewriting(420, 400)).toBe(false);
    expect(worthRewriting(480, 400)).toBe(true);
    expect(worthRewriting(14, 12)).toBe(false);
    expect(worthRewriting(15, 12)).toBe(true);
  });
});
