/**
 * Query parameters of resource requests, read into the service's option types with the same
 * rules (and 400 answers) as kube-apiserver.
 */
import type { IncomingMessage } from 'node:http';
import { ApiError, StatusReason } from '../errors.js';
import type { DeleteOptions, ListOptions, PropagationPolicy } from '../store/store.js';
import { parseFieldValidation } from './admission.js';
import type { WriteRequest } from './service.js';

const PROPAGATION = new Set(['Background', 'Foreground', 'Orphan']);
const MAX_MANAGER_LENGTH = 128;

/** `dryRun=All` (repeatable); any other value is 400, as upstream. */
export function dryRunOf(values: string[]): boolean {
  for (const v of values) {
    if (v !== 'All') throw new ApiError(StatusReason.BadRequest, `dryRun: Unsupported value: "${v}": supported values: "All"`);
  }
  return values.length > 0;
}

/**
 * The default field manager: the User-Agent's product token (`kubectl/v1.32 …` → `kubectl`), as
 * kube-apiserver derives it when a request names none.
 */
export function managerFromUserAgent(userAgent: string | undefined): string {
  const token = (userAgent ?? '').trim().split(/[\s/]/)[0] ?? '';
  return (token || 'unknown').slice(0, MAX_MANAGER_LENGTH);
}

/** Options of a write request (create, update, patch, apply). */
export function writeRequestOf(q: URLSearchParams, req: IncomingMessage, warnings: string[]): WriteRequest & { explicitManager?: string } {
  const explicit = q.get('fieldManager') ?? undefined;
  if (explicit !== undefined && (explicit.length > MAX_MANAGER_LENGTH || /[^\x20-\x7e]/.test(explicit))) {
    throw new ApiError(StatusReason.BadRequest, 'fieldManager: Invalid value: must be printable ASCII of at most 128 characters');
  }
  return {
    fieldManager: explicit || managerFromUserAgent(req.headers['user-agent']),
    explicitManager: explicit || undefined,
    dryRun: dryRunOf(q.getAll('dryRun')),
    fieldValidation: parseFieldValidation(q.get('fieldValidation')),
    force: q.get('force') === 'true',
    warnings,
  };
}

function positiveInt(name: string, value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new ApiError(StatusReason.BadRequest, `${name}: Invalid value: "${value}": must be a non-negative integer`);
  return n;
}

/** Options of a list (and the selectors of a watch). */
export function listOptionsOf(q: URLSearchParams, namespace: string | undefined): ListOptions {
  return {
    namespace,
    labelSelector: q.get('labelSelector') || undefined,
    fieldSelector: q.get('fieldSelector') || undefined,
    limit: positiveInt('limit', q.get('limit')) || undefined,
    continue: q.get('continue') || undefined,
  };
}

/** `timeoutSeconds` of a watch. */
export function timeoutSecondsOf(q: URLSearchParams): number | undefined {
  return positiveInt('timeoutSeconds', q.get('timeoutSeconds'));
}

/** True for `watch=1|true`. */
export function isWatch(q: URLSearchParams): boolean {
  const w = q.get('watch');
  return w === '1' || w === 'true';
}

/** Delete options from a DeleteOptions body (if any) and the query, the query winning. */
export function deleteOptionsOf(q: URLSearchParams, body: unknown): DeleteOptions {
  const b = (typeof body === 'object' && body !== null ? body : {}) as {
    propagationPolicy?: unknown;
    preconditions?: { uid?: unknown; resourceVersion?: unknown };
    dryRun?: unknown;
    orphanDependents?: unknown;
  };
  let policy = q.get('propagationPolicy') ?? (typeof b.propagationPolicy === 'string' ? b.propagationPolicy : undefined);
  if (policy === undefined && (q.get('orphanDependents') === 'true' || b.orphanDependents === true)) policy = 'Orphan';
  if (policy !== undefined && !PROPAGATION.has(policy)) {
    throw new ApiError(StatusReason.BadRequest, `propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
  }
  const bodyDryRun = Array.isArray(b.dryRun) ? b.dryRun.map(String) : [];
  const pre = b.preconditions ?? {};
  const preconditions = {
    ...(typeof pre.uid === 'string' && pre.uid ? { uid: pre.uid } : {}),
    ...(typeof pre.resourceVersion === 'string' && pre.resourceVersion ? { resourceVersion: pre.resourceVersion } : {}),
  };
  return {
    propagationPolicy: policy as PropagationPolicy | undefined,
    dryRun: dryRunOf([...q.getAll('dryRun'), ...bodyDryRun]),
    ...(Object.keys(preconditions).length > 0 ? { preconditions } : {}),
  };
}

/** A non-negative integer query parameter (`after`, `limit`), or `fallback` when absent; 400 otherwise. */
export function intParam(q: URLSearchParams, name: string, fallback: number): number {
  const raw = q.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ApiError(StatusReason.BadRequest, `${name}: must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
}
