/**
 * Equality of JSON values, as JSON sees them: the same maps (whatever their key order; a key whose
 * value is `undefined` is absent, as in JSON.stringify), the same lists, the same scalars.
 *
 * WARNING: not `util.isDeepStrictEqual`, which also compares prototypes. A value built in another
 * realm — `structuredClone` under jest's vm context, a `vm.runInNewContext` result — has arrays and
 * objects of that realm's Array and Object, so identical lists would count as different, and a write
 * that changes nothing would look like a change (a new managedFields time, a rewritten object).
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const aList = Array.isArray(a);
  if (aList !== Array.isArray(b)) return false;
  if (aList) {
    const [x, y] = [a as unknown[], b as unknown[]];
    return x.length === y.length && x.every((v, i) => jsonEqual(v, y[i]));
  }
  const [x, y] = [a as Record<string, unknown>, b as Record<string, unknown>];
  const keys = Object.keys(x).filter((k) => x[k] !== undefined);
  if (keys.length !== Object.keys(y).filter((k) => y[k] !== undefined).length) return false;
  return keys.every((k) => Object.prototype.hasOwnProperty.call(y, k) && jsonEqual(x[k], y[k]));
}
