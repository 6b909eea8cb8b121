/**
 * Field sets in the server-side-apply vocabulary: which fields of an object a manager owns.
 *
 * A path is a list of segments as FieldsV1 spells them: `f:spec` for a map field and
 * `k:{"name":"a"}` for an item of a keyed list (see list-keys.ts). Other lists are atomic: the
 * list is one leaf. A set holds every owned node — leaves (scalars, atomic lists, empty maps),
 * keyed list items and string maps (labels, annotations) — so removing a manager's fields and
 * detecting conflicts are plain set operations.
 */
import { jsonEqual } from '../../resources/json-equal.js';
import type { ListKeys } from './list-keys.js';

/** Separates segments in a path key; never part of a segment (JSON escapes control characters). */
const SEP = '\n';

/** Fields of the envelope nobody owns: identity and server-maintained metadata. */
const IDENTITY_TOP = new Set(['apiVersion', 'kind']);
const OWNABLE_METADATA = new Set(['labels', 'annotations', 'finalizers', 'ownerReferences', 'generateName']);
/** Maps whose keys are data, not schema fields: the map itself is owned too (`.` in FieldsV1). */
const STRING_MAPS = new Set([`f:metadata${SEP}f:labels`, `f:metadata${SEP}f:annotations`]);

export type FieldSet = Set<string>;

type Json = unknown;

function isMap(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The key fields of a list when the schema declares it keyed and every item carries them. */
export function keysFor(list: Json[], propPath: string, keys: ListKeys): readonly string[] | undefined {
  const k = keys.get(propPath);
  if (!k || list.length === 0) return undefined;
  return list.every((i) => isMap(i) && k.every((f) => i[f] !== undefined && i[f] !== null)) ? k : undefined;
}

/** The `k:{...}` segment naming a keyed list item. */
export function keySegment(item: Record<string, Json>, keys: readonly string[]): string {
  return `k:${JSON.stringify(Object.fromEntries(keys.map((k) => [k, item[k]])))}`;
}

function join(prefix: string, segment: string): string {
  return prefix === '' ? segment : prefix + SEP + segment;
}

function dotted(propPath: string, key: string): string {
  return propPath === '' ? key : `${propPath}.${key}`;
}

function walk(value: Json, prefix: string, propPath: string, keys: ListKeys, out: FieldSet): void {
  if (Array.isArray(value)) {
    const itemKeys = keysFor(value, propPath, keys);
    if (!itemKeys) {
      out.add(prefix);
      return;
    }
    for (const item of value as Record<string, Json>[]) {
      const itemPath = join(prefix, keySegment(item, itemKeys));
      out.add(itemPath);
      for (const [k, v] of Object.entries(item)) walk(v, join(itemPath, `f:${k}`), dotted(propPath, k), keys, out);
    }
    return;
  }
  if (isMap(value)) {
    const names = Object.keys(value);
    if (names.length === 0 || STRING_MAPS.has(prefix)) out.add(prefix);
    for (const k of names) walk(value[k], join(prefix, `f:${k}`), dotted(propPath, k), keys, out);
    return;
  }
  out.add(prefix);
}

/**
 * Computes the fields an object sets: everything but identity and server-owned metadata, and
 * without `status` when the kind has a status subresource (`withStatus` false).
 */
export function fieldsOf(obj: Record<string, Json>, withStatus: boolean, keys: ListKeys): FieldSet {
  const out: FieldSet = new Set();
  for (const [key, value] of Object.entries(obj)) {
    if (IDENTITY_TOP.has(key) || value === undefined) continue;
    if (key === 'status' && !withStatus) continue;
    if (key === 'metadata') {
      if (!isMap(value)) continue;
      for (const [mk, mv] of Object.entries(value)) {
        if (OWNABLE_METADATA.has(mk) && mv !== undefined) walk(mv, join('f:metadata', `f:${mk}`), `metadata.${mk}`, keys, out);
      }
      continue;
    }
    walk(value, `f:${key}`, key, keys, out);
  }
  return out;
}

/** The fields under `status` only, for writes through the /status subresource. */
export function statusFieldsOf(obj: Record<string, Json>, keys: ListKeys): FieldSet {
  const out: FieldSet = new Set();
  if (obj.status !== undefined) walk(obj.status, 'f:status', 'status', keys, out);
  return out;
}

function segments(path: string): string[] {
  return path.split(SEP);
}

function childIndex(list: Json[], segment: string): number {
  const key = JSON.parse(segment.slice(2)) as Record<string, Json>;
  return list.findIndex((i) => isMap(i) && Object.entries(key).every(([k, v]) => i[k] === v));
}

/** The value at a path, or undefined when any step is missing. */
export function valueAt(obj: Json, path: string): Json {
  let cur: Json = obj;
  for (const seg of segments(path)) {
    if (seg.startsWith('f:')) {
      if (!isMap(cur)) return undefined;
      cur = cur[seg.slice(2)];
    } else {
      if (!Array.isArray(cur)) return undefined;
      const i = childIndex(cur, seg);
      if (i < 0) return undefined;
      cur = cur[i];
    }
  }
  return cur;
}

/** Removes the node at a path (a map field or a keyed list item) in place; missing paths are a no-op. */
export function removeAt(obj: Json, path: string): void {
  const segs = segments(path);
  const parent = valueAt(obj, segs.slice(0, -1).join(SEP));
  const last = segs[segs.length - 1]!;
  if (last.startsWith('f:')) {
    if (isMap(parent)) delete parent[last.slice(2)];
  } else if (Array.isArray(parent)) {
    const i = childIndex(parent, last);
    if (i >= 0) parent.splice(i, 1);
  }
}

/** True when the path names a leaf of `fields` (no owned node below it). */
export function isLeaf(fields: FieldSet, path: string): boolean {
  const prefix = path + SEP;
  for (const p of fields) if (p.startsWith(prefix)) return false;
  return true;
}

/** The paths of `next` whose value differs from (or is missing in) `prev`. */
export function changedFields(prev: Json, next: Json, fields: FieldSet): FieldSet {
  const out: FieldSet = new Set();
  for (const p of fields) {
    const a = valueAt(prev, p);
    const b = valueAt(next, p);
    if (a === undefined || !isLeafValueEqual(a, b)) out.add(p);
  }
  return out;
}

function isLeafValueEqual(a: Json, b: Json): boolean {
  // Maps and keyed items are compared through their own leaves; here only their presence counts.
  if (isMap(a) && isMap(b) && Object.keys(a).length > 0 && Object.keys(b).length > 0) return true;
  return jsonEqual(a, b);
}

/** `.spec.members[name="a"].role`: a path as kube-apiserver prints it in conflict messages. */
export function displayPath(path: string): string {
  return segments(path)
    .map((seg) => {
      if (seg.startsWith('f:')) return `.${seg.slice(2)}`;
      const key = JSON.parse(seg.slice(2)) as Record<string, Json>;
      return `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
    })
    .join('');
}

interface Node {
  member: boolean;
  children: Map<string, Node>;
}

/** Encodes a set as a FieldsV1 tree: `{"f:spec":{"f:prompt":{}}}`, `.` marking owned inner nodes. */
export function toFieldsV1(fields: FieldSet): Record<string, Json> {
  const root: Node = { member: false, children: new Map() };
  for (const p of fields) {
    let node = root;
    for (const seg of segments(p)) {
      let next = node.children.get(seg);
      if (!next) {
        next = { member: false, children: new Map() };
        node.children.set(seg, next);
      }
      node = next;
    }
    node.member = true;
  }
  const encode = (node: Node): Record<string, Json> => {
    const out: Record<string, Json> = {};
    if (node.member && node.children.size > 0) out['.'] = {};
    for (const [seg, child] of [...node.children].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[seg] = encode(child);
    return out;
  };
  return encode(root);
}

/** Decodes a FieldsV1 tree back into a set. */
export function fromFieldsV1(tree: Json): FieldSet {
  const out: FieldSet = new Set();
  const decode = (node: Json, prefix: string): void => {
    if (!isMap(node)) return;
    const keys = Object.keys(node);
    if (keys.length === 0 && prefix !== '') out.add(prefix);
    for (const k of keys) {
      if (k === '.') out.add(prefix);
      else decode(node[k], join(prefix, k));
    }
  };
  decode(tree, '');
  return out;
}
