import { describe, it, expect } from '@jest/globals';
import { isDeepStrictEqual } from 'node:util';
import { runInNewContext } from 'node:vm';
import { jsonEqual } from './json-equal.js';

/** The same JSON built in another realm (another Array and Object), as structuredClone yields under jest. */
const otherRealm = (value: unknown): unknown => runInNewContext(`(${JSON.stringify(value)})`);

describe('jsonEqual', () => {
  it('finds values of another realm equal (isDeepStrictEqual does not: it compares prototypes)', () => {
    const value = { spec: { phases: [{ name: 'plan', needs: [] }, { name: 'build', needs: ['plan'] }] }, n: 1 };
    const foreign = otherRealm(value);
    expect(isDeepStrictEqual(value, foreign)).toBe(false);
    expect(jsonEqual(value, foreign)).toBe(true);
    expect(jsonEqual(otherRealm([1, 'a', null]), [1, 'a', null])).toBe(true);
  });

  it.each([
    [{ a: 1, b: 2 }, { b: 2, a: 1 }, true],
    [{ a: 1, b: undefined }, { a: 1 }, true],
    [{ a: 1 }, { a: 1, b: 2 }, false],
    [{ a: 1, b: undefined }, { a: 1, c: 2 }, false],
    [{ a: [1, 2] }, { a: [2, 1] }, false],
    [[1, 2], [1, 2, 3], false],
    [[], {}, false],
    [{ 0: 'x' }, ['x'], false],
    [null, {}, false],
    [null, null, true],
    ['1', 1, false],
    [true, true, true],
    [{ a: { b: [{ c: 'd' }] } }, { a: { b: [{ c: 'd' }] } }, true],
    [{ a: { b: [{ c: 'd' }] } }, { a: { b: [{ c: 'e' }] } }, false],
  ])('%j vs %j → %s', (a, b, equal) => {
    expect(jsonEqual(a, b)).toBe(equal);
    expect(jsonEqual(b, a)).toBe(equal);
    expect(jsonEqual(otherRealm(a), b)).toBe(equal);
  });
});
