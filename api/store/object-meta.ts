/**
 * Pure helpers for the metadata rules of ObjectStore: timestamps, generated names, canonical
 * JSON for "did the desired state change", owner uids, and the conventional key order of a
 * Kubernetes object (Postgres JSONB does not keep key order; we restore it on read).
 */
import { randomInt } from 'node:crypto';
import type { KubeObject } from '../../resources/meta.js';


const SUFFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Appends 5 random [a-z0-9] characters to a generateName prefix. */
export function generatedName(prefix: string): string {
  let s = prefix;
  for (let i = 0; i < 5; i++) s += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  return s;
}

/** Serializes with object keys sorted at every level, so equal values give equal strings. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const rec = v as Record<string, unknown>;
  const keys = Object.keys(rec)
    .filter((k) => rec[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(rec[k])}`).join(',')}}`;
}

/** The desired state of an object: everything except metadata and status. */
export function desiredState(obj: KubeObject): string {
  const { metadata: _m, status: _s, ...rest } = obj;
  return canonicalJson(rest);
}

/** The whole object minus the fields every write changes, to detect no-op writes. */
export function contentOf(obj: KubeObject): string {
  const { resourceVersion: _rv, ...meta } = obj.metadata;
  return canonicalJson({ ...obj, metadata: meta });
}

/** The uids an object's ownerReferences point at. */
export function ownerUids(obj: KubeObject): string[] {
  return (obj.metadata.ownerReferences ?? []).map((r) => r.uid);
}

/** True when two uid lists hold the same set. */
export function sameUids(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((u) => set.has(u));
}

/** A deep copy through JSON (objects in the store are JSON anyway). */
export function cloneObject<T>(obj: T): T {
  return JSON.parse(JSON.stringify(obj)) as T;
}

const TOP_ORDER = ['apiVersion', 'kind', 'metadata', 'spec', 'status'];
const META_ORDER = [
  'name',
  'generateName',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
];

function ordered(rec: Record<string, unknown>, order: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of order) if (k in rec) out[k] = rec[k];
  for (const k of Object.keys(rec)) if (!(k in out)) out[k] = rec[k];
  return out;
}

/** Puts apiVersion, kind, metadata (name, namespace, ...) first, as kubectl users expect to read them. */
export function kubeKeyOrder(obj: Record<string, unknown>): Record<string, unknown> {
  const top = ordered(obj, TOP_ORDER);
  if (top.metadata && typeof top.metadata === 'object') top.metadata = ordered(top.metadata as Record<string, unknown>, META_ORDER);
  return top;
}
