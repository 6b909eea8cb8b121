/**
 * The options of a DELETE: a DeleteOptions body (optional) and the query, the query winning. Every
 * body field is checked for its type: a value the server would ignore is refused instead (400
 * naming it), because ignoring `dryRun: "All"` deletes for real and ignoring a precondition deletes
 * whatever is there.
 */
import { ApiError, StatusReason } from '../errors.js';
import type { DeleteOptions, PropagationPolicy } from '../store/store.js';
import { dryRunOf, PROPAGATION, type RequestQuery } from './query.js';

function invalid(field: string, value: unknown, want: string): ApiError {
  const shown = JSON.stringify(value)?.slice(0, 100) ?? String(value);
  const message = `Invalid value: ${shown}: ${want}`;
  return new ApiError(StatusReason.BadRequest, `DeleteOptions ${field}: ${message}`, { causes: [{ field, reason: 'FieldValueInvalid', message }] });
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A field as it may be absent: undefined, or JSON null (Go's nil pointer). */
function absent(v: unknown): v is undefined | null {
  return v === undefined || v === null;
}

function policyOf(value: unknown): PropagationPolicy | undefined {
  if (absent(value) || value === '') return undefined;
  if (typeof value !== 'string' || !(PROPAGATION as readonly string[]).includes(value)) {
    throw new ApiError(StatusReason.BadRequest, `propagationPolicy: Unsupported value: ${JSON.stringify(value)}: supported values: "Foreground", "Background", "Orphan"`, {
      causes: [{ field: 'propagationPolicy', reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(value)}` }],
    });
  }
  return value as PropagationPolicy;
}

function dryRunValues(value: unknown): string[] {
  if (absent(value)) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw invalid('dryRun', value, 'must be a list of strings, e.g. ["All"]');
  return value as string[];
}

function preconditionsOf(value: unknown): DeleteOptions['preconditions'] {
  if (absent(value)) return undefined;
  if (!isMap(value)) throw invalid('preconditions', value, 'must be an object with uid and/or resourceVersion');
  const out: NonNullable<DeleteOptions['preconditions']> = {};
  for (const key of ['uid', 'resourceVersion'] as const) {
    const v = value[key];
    if (absent(v) || v === '') continue;
    if (typeof v !== 'string') throw invalid(`preconditions.${key}`, v, 'must be a string');
    out[key] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Delete options from a DeleteOptions body (if any) and the query, the query winning. */
export function deleteOptionsOf(q: RequestQuery, body: unknown): DeleteOptions {
  if (!absent(body) && !isMap(body)) throw new ApiError(StatusReason.BadRequest, 'the body of a DELETE must be a DeleteOptions object');
  const b = body ?? {};
  if (!absent(b.orphanDependents) && typeof b.orphanDependents !== 'boolean') throw invalid('orphanDependents', b.orphanDependents, 'must be a boolean');
  if (!absent(b.gracePeriodSeconds) && !Number.isInteger(b.gracePeriodSeconds)) throw invalid('gracePeriodSeconds', b.gracePeriodSeconds, 'must be an integer');
  let policy = q.propagationPolicy ?? policyOf(b.propagationPolicy);
  if (policy === undefined && (q.orphanDependents ?? b.orphanDependents === true)) policy = 'Orphan';
  const preconditions = preconditionsOf(b.preconditions);
  return {
    propagationPolicy: policy,
    dryRun: dryRunOf([...(q.dryRun ? ['All'] : []), ...dryRunValues(b.dryRun)]),
    ...(preconditions ? { preconditions } : {}),
  };
}
