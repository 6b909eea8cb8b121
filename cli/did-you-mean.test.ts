/** The edit distance and the suggestions it makes, as table tests. */
import { describe, expect, test } from '@jest/globals';
import { editDistance, suggestionsFor } from './did-you-mean.js';

describe('editDistance', () => {
  test.each([
    ['get', 'get', 0],
    ['gte', 'get', 1],
    ['stere', 'steer', 1],
    ['aprove', 'approve', 1],
    ['deskrbe', 'describe', 2],
    ['', 'get', 3],
    ['logs', 'pause', 4],
  ])('%s → %s: %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('suggestionsFor', () => {
  const verbs = ['get', 'describe', 'delete', 'steer', 'start', 'status', 'stop', 'wait', 'edit'];
  test.each([
    ['gte', ['get']],
    ['GET', ['get']],
    ['stat', ['start', 'status', 'stop']],
    ['sta', ['start', 'status', 'stop']],
    ['frobnicate', []],
    ['delte', ['delete']],
  ])('%s → %j', (typed, expected) => {
    expect(suggestionsFor(typed, verbs).sort()).toEqual([...expected].sort());
  });

  test('closest first', () => {
    expect(suggestionsFor('stae', ['status', 'state', 'stop'])[0]).toBe('state');
  });
});
