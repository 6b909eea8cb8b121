/**
 * Kubernetes label and field selectors: parsing (`a=b,c in (d,e),!f`, `metadata.name=x`) and
 * matching. Pure functions; the store, the API server and the CLI share them.
 */

/** Thrown on a selector string that does not parse; the message names the offending part. */
export class SelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorError';
  }
}

/** The closed set of label selector operators. */
export const LabelOperator = {
  Equals: 'Equals',
  NotEquals: 'NotEquals',
  In: 'In',
  NotIn: 'NotIn',
  Exists: 'Exists',
  DoesNotExist: 'DoesNotExist',
} as const;
export type LabelOperator = (typeof LabelOperator)[keyof typeof LabelOperator];

/** One clause of a label selector. `values` is empty for Exists / DoesNotExist. */
export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

/** A parsed label selector: every requirement must hold (comma = AND). Empty matches everything. */
export type LabelSelector = LabelRequirement[];

/** One clause of a field selector: a dotted path compared with a value. */
export interface FieldRequirement {
  path: string;
  operator: 'Equals' | 'NotEquals';
  value: string;
}

/** A parsed field selector: every requirement must hold. Empty matches everything. */
export type FieldSelector = FieldRequirement[];

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const FIELD_PATH = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;

function checkKey(key: string, whole: string): string {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const ok =
    name.length > 0 &&
    name.length <= 63 &&
    NAME.test(name) &&
    (prefix === undefined || (prefix.length > 0 && prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix)));
  if (!ok) throw new SelectorError(`invalid label selector "${whole}": invalid label key "${key}"`);
  return key;
}

function checkValue(value: string, whole: string): string {
  if (value !== '' && (value.length > 63 || !NAME.test(value))) {
    throw new SelectorError(`invalid label selector "${whole}": invalid label value "${value}"`);
  }
  return value;
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(s: string, whole: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') {
      depth--;
      if (depth < 0) throw new SelectorError(`invalid label selector "${whole}": unbalanced ")"`);
    } else if (c === ',' && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) throw new SelectorError(`invalid label selector "${whole}": missing ")"`);
  parts.push(s.slice(start));
  return parts;
}

const SET_CLAUSE = /^(\S+?)\s+(in|notin)\s*\((.*)\)$/;
const EQ_CLAUSE = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/;

function parseLabelClause(raw: string, whole: string): LabelRequirement {
  const part = raw.trim();
  if (part === '') throw new SelectorError(`invalid label selector "${whole}": empty requirement`);
  if (part.startsWith('!')) {
    return { key: checkKey(part.slice(1).trim(), whole), operator: LabelOperator.DoesNotExist, values: [] };
  }
  const set = SET_CLAUSE.exec(part);
  if (set) {
    const values = set[3].split(',').map((v) => checkValue(v.trim(), whole));
    if (set[3].trim() === '') throw new SelectorError(`invalid label selector "${whole}": "${set[2]}" needs at least one value`);
    return { key: checkKey(set[1], whole), operator: set[2] === 'in' ? LabelOperator.In : LabelOperator.NotIn, values };
  }
  const eq = EQ_CLAUSE.exec(part);
  if (eq) {
    const value = eq[3].trim();
    if (/[=!(),\s]/.test(value)) throw new SelectorError(`invalid label selector "${whole}": unexpected "${value}"`);
    return {
      key: checkKey(eq[1], whole),
      operator: eq[2] === '!=' ? LabelOperator.NotEquals : LabelOperator.Equals,
      values: [checkValue(value, whole)],
    };
  }
  if (/[\s=!()]/.test(part)) throw new SelectorError(`invalid label selector "${whole}": cannot parse "${part}"`);
  return { key: checkKey(part, whole), operator: LabelOperator.Exists, values: [] };
}

/** Parses a Kubernetes label selector string; '' (or only spaces) selects everything. */
export function parseLabelSelector(s: string): LabelSelector {
  if (s.trim() === '') return [];
  return splitTopLevel(s, s).map((part) => parseLabelClause(part, s));
}

/** True when `labels` satisfy every requirement of `sel`. */
export function matchesLabels(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const r of sel) {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = has ? l[r.key] : undefined;
    switch (r.operator) {
      case LabelOperator.Equals:
      case LabelOperator.In:
        if (!has || !r.values.includes(v as string)) return false;
        break;
      case LabelOperator.NotEquals:
      case LabelOperator.NotIn:
        if (has && r.values.includes(v as string)) return false;
        break;
      case LabelOperator.Exists:
        if (!has) return false;
        break;
      case LabelOperator.DoesNotExist:
        if (has) return false;
        break;
    }
  }
  return true;
}

/** Splits on commas not escaped with a backslash, and unescapes `\,` `\=` `\\`. */
function splitFieldClauses(s: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[++i];
    } else if (c === ',') {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

function unescapeFieldValue(v: string): string {
  return v.replace(/\\(.)/g, '$1');
}

/** Parses a field selector (`metadata.name=x,status.phase!=Failed`); '' selects everything. */
export function parseFieldSelector(s: string): FieldSelector {
  if (s.trim() === '') return [];
  return splitFieldClauses(s).map((raw) => {
    const part = raw.trim();
    const m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) throw new SelectorError(`invalid field selector "${s}": cannot parse "${part}" (want path=value or path!=value)`);
    if (!FIELD_PATH.test(m[1])) throw new SelectorError(`invalid field selector "${s}": invalid field path "${m[1]}"`);
    return { path: m[1], operator: m[2] === '!=' ? 'NotEquals' : 'Equals', value: unescapeFieldValue(m[3].trim()) };
  });
}

/** Reads a dotted path from an object, as a string ('' when absent; scalars stringified). */
export function fieldValue(obj: unknown, path: string): string {
  let cur: unknown = obj;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[seg];
  }
  if (cur === undefined || cur === null) return '';
  return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
}

/** True when `obj` satisfies every requirement of `sel`. */
export function matchesFields(sel: FieldSelector, obj: unknown): boolean {
  for (const r of sel) {
    const equal = fieldValue(obj, r.path) === r.value;
    if (r.operator === 'Equals' ? !equal : equal) return false;
  }
  return true;
}

/** Formats labels as a selector string (`a=b,c=d`, keys sorted) — the inverse of an equality selector. */
export function labelsToString(labels: Record<string, string> | undefined): string {
  return Object.keys(labels ?? {})
    .sort()
    .map((k) => `${k}=${(labels as Record<string, string>)[k]}`)
    .join(',');
}
