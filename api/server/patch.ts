/**
 * Patch media types and how each one changes an object: JSON merge patch (RFC 7386), JSON patch
 * (RFC 6902) and the merge step of server-side apply. Strategic merge patch (strategic-merge.ts)
 * is for Kubernetes' own kinds only; it is refused for our kinds with the same 415 kube-apiserver gives for custom resources, which makes kubectl fall back
 * to a merge patch.
 */
import jsonpatch, { type Operation } from 'fast-json-patch';
import { ApiError, StatusReason } from '../errors.js';
import { keysFor, keySegment } from './fieldset.js';
import type { ListKeys } from './list-keys.js';

export const PatchType = {
  Merge: 'application/merge-patch+json',
  Json: 'application/json-patch+json',
  Strategic: 'application/strategic-merge-patch+json',
  Apply: 'application/apply-patch+yaml',
} as const;
export type PatchType = (typeof PatchType)[keyof typeof PatchType];

/** The patch media types the server accepts for every kind (strategic merge is never among them). */
export const ACCEPTED_PATCH_TYPES: ReadonlySet<string> = new Set([PatchType.Json, PatchType.Merge, PatchType.Apply]);

const ACCEPTED = [...ACCEPTED_PATCH_TYPES].join(', ');

/**
 * Maps a Content-Type header to a supported patch type, or throws 415 like kube-apiserver.
 * Strategic merge is supported only where `strategic` says so (kinds of Kubernetes' own groups).
 */
export function patchTypeOf(contentType: string | undefined, opts: { strategic?: boolean } = {}): PatchType {
  const base = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (base === PatchType.Merge || base === PatchType.Json || base === PatchType.Apply) return base;
  if (base === PatchType.Strategic && opts.strategic) return base;
  if (base === 'application/apply-patch+json') return PatchType.Apply;
  throw new ApiError(
    StatusReason.UnsupportedMediaType,
    `the body of the request was in an unknown format - accepted media types include: ${ACCEPTED}`,
  );
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Applies an RFC 7386 merge patch: maps merge, `null` deletes, everything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isMap(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isMap(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Applies an RFC 6902 JSON patch; a malformed or failing operation is 422 Invalid, as upstream. */
export function jsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) {
    throw new ApiError(StatusReason.BadRequest, 'json patch must be a JSON array of operations');
  }
  try {
    return jsonpatch.applyPatch(structuredClone(target), operations as Operation[], true, true, true).newDocument;
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    throw new ApiError(StatusReason.Invalid, `the server rejected our request due to an error in our request: ${message}`);
  }
}

/**
 * Merges an applied configuration into the live object: maps merge recursively, keyed lists merge
 * item by item (live order kept, new items appended), other lists and scalars are replaced.
 * Removal of fields the applier gave up happens separately.
 */
export function mergeApplied(live: unknown, applied: unknown, keys: ListKeys, propPath = ''): unknown {
  if (isMap(applied)) {
    const out: Record<string, unknown> = isMap(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(applied)) {
      if (v === null) delete out[k];
      else out[k] = mergeApplied(out[k], v, keys, propPath === '' ? k : `${propPath}.${k}`);
    }
    return out;
  }
  if (Array.isArray(applied) && Array.isArray(live)) {
    const itemKeys = keysFor(applied, propPath, keys);
    if (itemKeys && keysFor(live, propPath, keys)) {
      const id = (item: unknown): string => keySegment(item as Record<string, unknown>, itemKeys);
      const appliedById = new Map(applied.map((a) => [id(a), a]));
      const out = live.map((item) => {
        const match = appliedById.get(id(item));
        return match === undefined ? item : mergeApplied(item, match, keys, propPath);
      });
      const liveIds = new Set(live.map(id));
      for (const a of applied) if (!liveIds.has(id(a))) out.push(structuredClone(a));
      return out;
    }
  }
  return structuredClone(applied);
}
