/**
 * Strategic merge patch (`application/strategic-merge-patch+json`) for the kinds of Kubernetes'
 * own groups (Lease): kubectl knows their Go types and patches them strategically whatever the
 * server advertises (`kubectl apply`, `patch`, `edit`). Our kinds refuse it, as CRDs do upstream.
 *
 * The patch strategies come from the Go struct tags; of the fields these kinds have, only
 * metadata's lists carry one: ownerReferences merge by `uid`, finalizers merge as a set. Every
 * other list is replaced, maps merge, `null` deletes, and the directives kubectl sends are
 * honoured: `$patch` (replace / delete / merge), `$retainKeys`, `$deleteFromPrimitiveList/<f>` and
 * `$setElementOrder/<f>` (order only, which a merge keeps anyway).
 */
import { ApiError, StatusReason } from '../errors.js';

/** Lists merged item by item: the dotted path of the list and its merge key ('' for a set of scalars). */
const MERGE_LISTS: Record<string, string> = {
  'metadata.ownerReferences': 'uid',
  'metadata.finalizers': '',
};

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function withoutDirectives(patch: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(patch).filter(([k]) => !k.startsWith('$')));
}

/** Applies a strategic merge patch to `target`; a malformed directive is 400, as upstream. */
export function strategicMergePatch(target: unknown, patch: unknown, path = ''): unknown {
  if (!isMap(patch)) return structuredClone(patch);
  const directive = patch.$patch;
  if (directive === 'replace') return stripDirectives(withoutDirectives(patch));
  if (directive === 'delete') return undefined;
  if (directive !== undefined && directive !== 'merge') throw new ApiError(StatusReason.BadRequest, `unknown patch type: ${String(directive)} in ${path || 'the patch'}`);
  const out: Record<string, unknown> = isMap(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      if (!Array.isArray(v)) throw new ApiError(StatusReason.BadRequest, `${k}: must be a list`);
      if (Array.isArray(out[field])) out[field] = (out[field] as unknown[]).filter((x) => !v.includes(x));
      continue;
    }
    if (k.startsWith('$')) continue;
    const at = path ? `${path}.${k}` : k;
    if (v === null) delete out[k];
    else if (Array.isArray(v) && at in MERGE_LISTS) out[k] = mergeList(out[k], v, MERGE_LISTS[at]!, at);
    else {
      const merged = strategicMergePatch(out[k], v, at);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
  }
  const retain = patch.$retainKeys;
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw new ApiError(StatusReason.BadRequest, `$retainKeys in ${path || 'the patch'}: must be a list`);
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  return out;
}

function mergeList(live: unknown, patch: unknown[], key: string, path: string): unknown[] {
  const out = Array.isArray(live) ? [...live] : [];
  if (key === '') {
    for (const v of patch) if (!out.includes(v)) out.push(v);
    return out;
  }
  for (const item of patch) {
    if (!isMap(item) || item[key] === undefined) throw new ApiError(StatusReason.BadRequest, `${path}: every item needs its merge key ${key}`);
    const at = out.findIndex((x) => isMap(x) && x[key] === item[key]);
    const merged = strategicMergePatch(at >= 0 ? out[at] : undefined, item, path);
    if (at >= 0 && merged === undefined) out.splice(at, 1);
    else if (at >= 0) out[at] = merged;
    else if (merged !== undefined) out.push(merged);
  }
  return out;
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isMap(v)) return v;
  return Object.fromEntries(Object.entries(v).filter(([k]) => !k.startsWith('$')).map(([k, x]) => [k, stripDirectives(x)]));
}
