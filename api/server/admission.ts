/**
 * Admission: everything a write goes through before it reaches the store, in kube-apiserver's
 * order — envelope checks (apiVersion, kind, namespace, name), defaults, unknown fields per
 * `fieldValidation`, metadata and schema validation (all violations in one 422), then the rules
 * of particular kinds (immutable fields, Invite expiry).
 */
import type { KubeObject } from '../../resources/meta.js';
import type { KindDefinition } from '../../resources/scheme.js';
import {
  applyDefaults,
  findUnknownFields,
  immutableFieldChanges,
  validateMetadata,
  validateObject,
} from '../../resources/validation.js';
import { ApiError, invalid, StatusReason } from '../errors.js';

/** How unknown fields are treated, as the `fieldValidation` query parameter says. */
export const FieldValidation = { Strict: 'Strict', Warn: 'Warn', Ignore: 'Ignore' } as const;
export type FieldValidation = (typeof FieldValidation)[keyof typeof FieldValidation];

/** Reads the `fieldValidation` parameter; kube-apiserver's default is Warn. */
export function parseFieldValidation(value: string | null | undefined): FieldValidation {
  if (value === null || value === undefined || value === '') return FieldValidation.Warn;
  const match = (Object.values(FieldValidation) as string[]).find((v) => v.toLowerCase() === value.toLowerCase());
  if (!match) {
    throw new ApiError(StatusReason.BadRequest, `fieldValidation must be one of Strict, Warn, Ignore; got "${value}"`);
  }
  return match as FieldValidation;
}

/** What admission needs to know about the request. */
export interface AdmissionRequest {
  def: KindDefinition;
  /** The namespace from the request path ('' for cluster-scoped kinds). */
  namespace: string;
  /** The name from the request path (updates, patches); undefined on create. */
  name?: string;
  fieldValidation: FieldValidation;
  /** Warnings to return in `Warning` headers; admission appends to it. */
  warnings: string[];
  now: Date;
}

const INVITE_TTL_MS = 7 * 24 * 3600 * 1000;

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Checks the envelope of a request body against the path and the kind: apiVersion and kind must
 * match, the namespace must match the path's (it is filled in when missing), the name must match
 * the path's. Returns the body as a KubeObject (the same value, mutated).
 */
export function checkEnvelope(body: unknown, req: Pick<AdmissionRequest, 'def' | 'namespace' | 'name'>): KubeObject {
  const { def } = req;
  if (!isMap(body)) throw new ApiError(StatusReason.BadRequest, `the body of the request must be a ${def.kind} object`);
  if (typeof body.kind !== 'string' || body.kind === '') {
    throw new ApiError(StatusReason.BadRequest, `Object 'Kind' is missing in the request body`);
  }
  if (typeof body.apiVersion !== 'string' || body.apiVersion === '') {
    throw new ApiError(StatusReason.BadRequest, `Object 'apiVersion' is missing in the request body`);
  }
  if (body.apiVersion !== def.apiVersion) {
    throw new ApiError(
      StatusReason.BadRequest,
      `the API version in the data (${body.apiVersion}) does not match the expected API version (${def.apiVersion})`,
    );
  }
  if (body.kind !== def.kind) {
    throw new ApiError(StatusReason.BadRequest, `the kind in the data (${body.kind}) does not match the expected kind (${def.kind})`);
  }
  if (body.metadata === undefined || body.metadata === null) body.metadata = {};
  if (!isMap(body.metadata)) throw new ApiError(StatusReason.BadRequest, 'metadata must be an object');
  const meta = body.metadata;
  if (def.namespaced) {
    if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== req.namespace) {
      throw new ApiError(StatusReason.BadRequest, 'the namespace of the provided object does not match the namespace sent on the request');
    }
    meta.namespace = req.namespace;
  } else {
    delete meta.namespace;
  }
  if (req.name !== undefined) {
    if (meta.name === undefined || meta.name === '') meta.name = req.name;
    else if (meta.name !== req.name) {
      throw new ApiError(StatusReason.BadRequest, `the name of the object (${String(meta.name)}) does not match the name on the URL (${req.name})`);
    }
  }
  return body as KubeObject;
}

/** Deletes a field named like `spec.foo`, `spec.rules[0].bar` or `metadata.x` in place. */
function pruneField(obj: unknown, path: string): void {
  const steps = path.match(/[^.[\]]+|\[\d+\]/g) ?? [];
  let cur: unknown = obj;
  for (let i = 0; i < steps.length; i++) {
    const raw = steps[i]!;
    const key: string | number = raw.startsWith('[') ? Number(raw.slice(1, -1)) : raw;
    const last = i === steps.length - 1;
    if (Array.isArray(cur) && typeof key === 'number') {
      if (last) return;
      cur = cur[key];
    } else if (isMap(cur) && typeof key === 'string') {
      if (last) delete cur[key];
      else cur = cur[key];
    } else return;
  }
}

/**
 * Runs the unknown-field policy, defaults and validation on an envelope-checked object and returns
 * the defaulted copy. Throws 400 (Strict, unknown fields) or 422 Invalid with every violated field.
 */
export function admit(obj: KubeObject, req: AdmissionRequest): KubeObject {
  const { def } = req;
  const unknown = findUnknownFields(def, obj);
  if (unknown.length > 0) {
    if (req.fieldValidation === FieldValidation.Strict) {
      throw new ApiError(StatusReason.BadRequest, `strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
    }
    if (req.fieldValidation === FieldValidation.Warn) for (const f of unknown) req.warnings.push(`unknown field "${f}"`);
    // Like a CRD's structural pruning: unknown fields are dropped, never stored.
    for (const f of unknown) pruneField(obj, f);
  }
  const defaulted = applyDefaults(def, obj);
  const errors = [...validateMetadata(def, defaulted), ...validateObject(def, defaulted)];
  if (errors.length > 0) throw invalid(def.kind, objectName(defaulted), errors);
  return defaulted;
}

/** Admission of a create, plus the kind rules that depend on the clock; returns the admitted copy. */
export function admitCreate(obj: KubeObject, req: AdmissionRequest): KubeObject {
  if (req.def.kind === 'Invite' && isMap(obj.spec) && (obj.spec.expiresAt === undefined || obj.spec.expiresAt === '')) {
    obj.spec.expiresAt = new Date(req.now.getTime() + INVITE_TTL_MS).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return admit(obj, req);
}

/** Admission of an update, plus the kind's immutable fields (422 naming each one); returns the admitted copy. */
export function admitUpdate(old: KubeObject, obj: KubeObject, req: AdmissionRequest): KubeObject {
  const admitted = admit(obj, req);
  const changes = immutableFieldChanges(req.def, old, admitted);
  if (changes.length > 0) throw invalid(req.def.kind, objectName(admitted), changes);
  return admitted;
}

function objectName(obj: KubeObject): string {
  return obj.metadata?.name ?? obj.metadata?.generateName ?? '';
}
