/**
 * `--sort-by`: orders objects by the value a JSONPath selects, as kubectl's RuntimeSort does
 * (numbers numerically, everything else as text; objects without the field first).
 */
import { JsonPathTemplate, relaxedJsonPath } from './jsonpath-template.js';

/** Returns a sorted copy of `items`, keyed by `expr` evaluated on `objectOf(item)`. Stable. */
export function sortByJsonPath<T>(items: readonly T[], expr: string, objectOf: (item: T) => unknown): T[] {
  const template = new JsonPathTemplate(relaxedJsonPath(expr));
  const keyed = items.map((item, index) => ({ item, index, key: template.values(objectOf(item))[0] }));
  keyed.sort((a, b) => compareValues(a.key, b.key) || a.index - b.index);
  return keyed.map((k) => k.item);
}

/** Total order used by --sort-by. */
export function compareValues(a: unknown, b: unknown): number {
  if (a === undefined || a === null) return b === undefined || b === null ? 0 : -1;
  if (b === undefined || b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const sa = typeof a === 'object' ? JSON.stringify(a) : String(a);
  const sb = typeof b === 'object' ? JSON.stringify(b) : String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}
