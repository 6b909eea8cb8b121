/**
 * Client-side apply's three-way JSON merge patch, as kubectl computes it for custom resources
 * (jsonmergepatch.CreateThreeWayJSONMergePatch): fields in the last applied configuration that the
 * new manifest dropped become `null` (deleted); fields the manifest sets that differ from the live
 * object are set; everything else (server defaults, status, other writers' fields) is left alone.
 * Lists are atomic, as JSON merge patch defines.
 */
import { jsonEqual } from '../../resources/json-equal.js';
import type { KubeObject } from '../../resources/meta.js';

/** The annotation holding the last applied manifest. */
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

type Json = unknown;
type JsonMap = Record<string, Json>;

function isMap(v: Json): v is JsonMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The patch turning `current` into `modified`, deleting what `original` had and `modified` lacks.
 * Returns `{}` when nothing changes.
 */
export function threeWayMergePatch(original: Json, modified: JsonMap, current: Json): JsonMap {
  const patch: JsonMap = {};
  const orig = isMap(original) ? original : {};
  const cur = isMap(current) ? current : {};
  for (const [key, value] of Object.entries(modified)) {
    if (value === null) {
      if (key in cur) patch[key] = null;
      continue;
    }
    if (isMap(value) && isMap(cur[key])) {
      const sub = threeWayMergePatch(orig[key], value, cur[key]);
      if (Object.keys(sub).length > 0) patch[key] = sub;
    } else if (!(key in cur) || !jsonEqual(cur[key], value)) {
      patch[key] = value;
    }
  }
  for (const key of Object.keys(orig)) {
    if (!(key in modified) && key in cur) patch[key] = null;
  }
  return patch;
}

/** The manifest as kubectl stores it in the annotation: itself, without the annotation, as JSON. */
export function lastAppliedValue(manifest: KubeObject): string {
  const copy = structuredClone(manifest);
  const annotations = copy.metadata?.annotations;
  if (annotations) {
    delete annotations[LAST_APPLIED];
    if (Object.keys(annotations).length === 0) delete copy.metadata.annotations;
  }
  return `${JSON.stringify(copy)}\n`;
}

/** The manifest with its own last-applied annotation set: what apply sends. */
export function withLastApplied(manifest: KubeObject): KubeObject {
  const copy = structuredClone(manifest);
  copy.metadata = { ...copy.metadata, annotations: { ...(copy.metadata?.annotations ?? {}), [LAST_APPLIED]: lastAppliedValue(manifest) } };
  return copy;
}

/** The last applied manifest recorded on a live object, or undefined. */
export function readLastApplied(live: KubeObject): JsonMap | undefined {
  const raw = live.metadata?.annotations?.[LAST_APPLIED];
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as Json;
    return isMap(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
