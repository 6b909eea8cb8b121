/**
 * Parses `wait --for=...` into a predicate on the object: `delete`, `condition=Type[=value]`
 * (value defaults to True, compared case-insensitively, ignoring conditions computed for an older
 * generation), `create`, or `jsonpath='{.path}'[=value]`.
 */
import { UsageError } from 'clipanion';
import type { KubeObject, Condition } from '../resources/meta.js';
import { JsonPathTemplate, formatValue, relaxedJsonPath } from './printers/jsonpath-template.js';

/** A parsed --for. */
export interface WaitCondition {
  /** True for --for=delete: success is the object being gone. */
  forDelete: boolean;
  met: (obj: KubeObject | undefined) => boolean;
}

/** Parses a `--for` value. */
export function parseWaitFor(value: string): WaitCondition {
  if (value === 'delete') return { forDelete: true, met: (o) => o === undefined };
  if (value === 'create') return { forDelete: false, met: (o) => o !== undefined };
  if (value.startsWith('condition=')) {
    const spec = value.slice('condition='.length);
    const eq = spec.indexOf('=');
    const type = eq >= 0 ? spec.slice(0, eq) : spec;
    const want = eq >= 0 ? spec.slice(eq + 1) : 'True';
    if (!type) throw new UsageError(`condition name is required in --for=${value}`);
    return {
      forDelete: false,
      met: (o) => {
        const conds = ((o?.status as { conditions?: Condition[] } | undefined)?.conditions ?? []) as Condition[];
        const c = conds.find((x) => x.type.toLowerCase() === type.toLowerCase());
        if (!c) return false;
        if (c.observedGeneration !== undefined && o?.metadata.generation !== undefined && c.observedGeneration < o.metadata.generation) return false;
        return c.status.toLowerCase() === want.toLowerCase();
      },
    };
  }
  if (value.startsWith('jsonpath=')) {
    const spec = value.slice('jsonpath='.length);
    const { expr, want } = splitJsonPathSpec(spec);
    const template = new JsonPathTemplate(relaxedJsonPath(expr));
    return {
      forDelete: false,
      met: (o) => {
        if (!o) return false;
        const values = template.values(o);
        if (want === undefined) return values.length > 0;
        return values.length === 1 && formatValue(values[0]) === want;
      },
    };
  }
  throw new UsageError(`unrecognized condition: "${value}"`);
}

/** Splits `{.status.phase}=Completed` at the `=` after the expression (braces and brackets may hold `=`). */
function splitJsonPathSpec(spec: string): { expr: string; want?: string } {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if ('{[('.includes(c)) depth++;
    else if ('}])'.includes(c)) depth--;
    else if (c === '=' && depth === 0) return { expr: spec.slice(0, i), want: spec.slice(i + 1).replace(/^['"]|['"]$/g, '') };
  }
  return { expr: spec };
}
