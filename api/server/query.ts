/**
 * Query parameters of resource requests, parsed once per request into a {@link RequestQuery} with
 * kube-apiserver's rules: integers are base-10 int64 (`strconv.ParseInt`), booleans are what Go's
 * `strconv.ParseBool` accepts, closed sets are checked — anything else is a 400 that names the
 * parameter. Handlers read the parsed values only, so no parameter is read two ways.
 */
import type { IncomingMessage } from 'node:http';
import { ApiError, StatusReason } from '../errors.js';
import type { ListOptions, PropagationPolicy } from '../store/store.js';
import { parseFieldValidation, type FieldValidation } from './admission.js';
import type { WriteRequest } from './service.js';
import type { IncludeObject } from './table.js';
import type { KindDefinition } from '../../resources/scheme.js';
import { checkFieldSelector } from './field-selectors.js';

/** The propagation policies a DELETE may ask for (query or body). */
export const PROPAGATION: readonly PropagationPolicy[] = ['Foreground', 'Background', 'Orphan'];
const INCLUDE_OBJECT: readonly IncludeObject[] = ['None', 'Metadata', 'Object'];
const MAX_MANAGER_LENGTH = 128;

/** Go's `strconv.ParseBool` spellings, the only ones kube-apiserver accepts. */
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Every parameter a resource request may carry, parsed. Absent parameters are undefined. */
export interface RequestQuery {
  watch: boolean;
  allowWatchBookmarks: boolean;
  /** Seconds; a value larger than Number.MAX_SAFE_INTEGER is clamped to it. */
  timeoutSeconds?: number;
  /** Page size of a list (0 is "no limit"), or the number of journal events. */
  limit?: number;
  continue?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  /** Only NotOlderThan: a list is always served at the latest resourceVersion. */
  resourceVersionMatch?: 'NotOlderThan';
  /** A watch without a resourceVersion always starts with the current objects, as this asks. */
  sendInitialEvents?: boolean;
  /** Output is always compact JSON; the parameter is checked, not honoured. */
  pretty?: boolean;
  includeObject: IncludeObject;
  dryRun: boolean;
  fieldManager?: string;
  fieldValidation: FieldValidation;
  force: boolean;
  propagationPolicy?: PropagationPolicy;
  orphanDependents?: boolean;
  gracePeriodSeconds?: number;
  /** Journal reads: follow the stream, start after this sequence number. */
  follow: boolean;
  after?: number;
  /** The raw parameters, for free-form strings (`run`, `type`, `hash`). */
  params: URLSearchParams;
}

/** 400 naming the parameter, its value (the first 100 characters) and what it must be; a cause carries the name. */
function badValue(name: string, value: string, want: string, problem = 'Invalid value'): ApiError {
  const shown = value.length > 100 ? `${value.slice(0, 100)}…` : value;
  const message = `${problem}: ${JSON.stringify(shown)}: ${want}`;
  return new ApiError(StatusReason.BadRequest, `${name}: ${message}`, {
    causes: [{ field: name, reason: problem === 'Invalid value' ? 'FieldValueInvalid' : 'FieldValueNotSupported', message }],
  });
}

/** The first value of a parameter, as kube-apiserver reads repeated ones; '' counts as absent. */
function first(q: URLSearchParams, name: string): string | undefined {
  const v = q.get(name);
  return v === null || v === '' ? undefined : v;
}

/** A boolean parameter as Go's strconv.ParseBool reads it; absent is undefined. */
export function boolParam(q: URLSearchParams, name: string): boolean | undefined {
  const v = first(q, name);
  if (v === undefined) return undefined;
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw badValue(name, v, 'must be a boolean: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false or False');
}

/**
 * An int64 parameter as strconv.ParseInt reads it (optional sign, base-10 digits); 400 outside
 * [min, int64 max]. Values beyond what a JS number holds exactly are clamped: they mean "more
 * than there will ever be".
 */
export function intParam(q: URLSearchParams, name: string, min = 0n): number | undefined {
  const v = first(q, name);
  if (v === undefined) return undefined;
  const want = min === 0n ? 'must be a non-negative integer' : 'must be an integer';
  if (!/^[+-]?\d+$/.test(v)) throw badValue(name, v, want);
  const n = BigInt(v);
  if (n > INT64_MAX || n < INT64_MIN) throw badValue(name, v, `${want} of at most 64 bits`);
  if (n < min) throw badValue(name, v, want);
  const safe = BigInt(Number.MAX_SAFE_INTEGER);
  return Number(n > safe ? safe : n < -safe ? -safe : n);
}

function oneOf<T extends string>(q: URLSearchParams, name: string, allowed: readonly T[]): T | undefined {
  const v = first(q, name);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) {
    throw badValue(name, v, `supported values: ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, 'Unsupported value');
  }
  return v as T;
}

/** `dryRun=All` (repeatable); any other value is 400, as upstream. */
export function dryRunOf(values: string[]): boolean {
  for (const v of values) {
    if (v !== 'All') throw badValue('dryRun', v, 'supported values: "All"', 'Unsupported value');
  }
  return values.length > 0;
}

function fieldManagerOf(q: URLSearchParams): string | undefined {
  const explicit = first(q, 'fieldManager');
  if (explicit !== undefined && (explicit.length > MAX_MANAGER_LENGTH || /[^\x20-\x7e]/.test(explicit))) {
    throw badValue('fieldManager', explicit, `must be printable ASCII of at most ${MAX_MANAGER_LENGTH} characters`);
  }
  return explicit;
}

/** Parses every parameter a resource request may carry; the first bad one is a 400 naming it. */
export function parseQuery(q: URLSearchParams): RequestQuery {
  return {
    watch: boolParam(q, 'watch') ?? false,
    allowWatchBookmarks: boolParam(q, 'allowWatchBookmarks') ?? false,
    timeoutSeconds: intParam(q, 'timeoutSeconds'),
    limit: intParam(q, 'limit'),
    continue: first(q, 'continue'),
    labelSelector: first(q, 'labelSelector'),
    fieldSelector: first(q, 'fieldSelector'),
    resourceVersion: first(q, 'resourceVersion'),
    resourceVersionMatch: oneOf(q, 'resourceVersionMatch', ['NotOlderThan'] as const),
    sendInitialEvents: boolParam(q, 'sendInitialEvents'),
    pretty: boolParam(q, 'pretty'),
    includeObject: oneOf(q, 'includeObject', INCLUDE_OBJECT) ?? 'Metadata',
    dryRun: dryRunOf(q.getAll('dryRun')),
    fieldManager: fieldManagerOf(q),
    fieldValidation: parseFieldValidation(q.get('fieldValidation')),
    force: boolParam(q, 'force') ?? false,
    propagationPolicy: oneOf(q, 'propagationPolicy', PROPAGATION),
    orphanDependents: boolParam(q, 'orphanDependents'),
    gracePeriodSeconds: intParam(q, 'gracePeriodSeconds', INT64_MIN),
    follow: boolParam(q, 'follow') ?? false,
    after: intParam(q, 'after'),
    params: q,
  };
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
export function writeRequestOf(q: RequestQuery, req: IncomingMessage, warnings: string[]): WriteRequest & { explicitManager?: string } {
  return {
    fieldManager: q.fieldManager || managerFromUserAgent(req.headers['user-agent']),
    explicitManager: q.fieldManager,
    dryRun: q.dryRun,
    fieldValidation: q.fieldValidation,
    force: q.force,
    warnings,
  };
}

/** Options of a list (and the selectors of a watch, and of a collection delete); 400 for a field `def` cannot be selected by. */
export function listOptionsOf(q: RequestQuery, def: KindDefinition, namespace: string | undefined): ListOptions {
  checkFieldSelector(def, q.fieldSelector);
  return {
    namespace,
    labelSelector: q.labelSelector,
    fieldSelector: q.fieldSelector,
    limit: q.limit || undefined,
    continue: q.continue,
  };
}
