/**
 * Admission: everything a write goes through before it reaches the store, in kube-apiserver's
 * order — envelope checks (apiVersion, kind, namespace, name), defaults, unknown fields per
 * `fieldValidation`, metadata and schema validation (all violations in one 422), then the rules
 * of particular kinds (immutable fields, each kind's plugin in {@link KIND_ADMISSION}) and the
 * identity stamps: who created an object and who decided an Approval are recorded by the server,
 * never taken from the body.
 */
import type { KubeObject } from '../../resources/meta.js';
import type { KindDefinition } from '../../resources/scheme.js';
import {
  applyDefaults,
  findUnknownFields,
  immutableFieldChanges,
  validateMetadata,
  validateMetadataSchema,
  validateObject,
} from '../../resources/validation.js';
import { CREATED_BY } from '../auth/model.js';
import { ApiError, invalid, StatusReason } from '../errors.js';
import { metaTime } from '../../resources/time.js';

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
  /** The authenticated identity of an API request; undefined for in-process writes (controllers). */
  user?: string;
}

/**
 * A kind's own admission, as kube-apiserver's admission plugins: it mutates the object before the
 * schema's defaults and validation run (what only the server may fill in: a clock-dependent
 * default, an identity stamp). Kinds without a plugin are admitted by their schema alone.
 */
export interface KindAdmission {
  /** Mutates an object being created. */
  create?(obj: KubeObject, req: AdmissionRequest): void;
  /** Mutates an object being updated, given the stored one. */
  update?(old: KubeObject, obj: KubeObject, req: AdmissionRequest): void;
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
export function checkEnvelope(body: unknown, req: Pick<AdmissionRequest, 'def' | 'namespace' | 'name'>, opts: { replace?: boolean } = {}): KubeObject {
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
  // Metadata is checked against its schema before anything reads it, as kube-apiserver coerces a
  // custom resource's metadata first: a status write, which keeps none of it, refuses a malformed
  // one too instead of dropping it silently.
  const malformed = validateMetadataSchema(body);
  if (malformed.length > 0) throw invalid(def.kind, typeof meta.name === 'string' ? meta.name : (req.name ?? ''), malformed, def.group);
  if (def.namespaced) {
    if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== req.namespace) {
      throw new ApiError(StatusReason.BadRequest, 'the namespace of the provided object does not match the namespace sent on the request');
    }
    meta.namespace = req.namespace;
  } else {
    delete meta.namespace;
  }
  if (req.name !== undefined) {
    // A PUT replaces the object: like kube-apiserver's checkName, its body must name it, or a
    // body without metadata would silently become the object named in the URL.
    if ((meta.name === undefined || meta.name === '') && !opts.replace) meta.name = req.name;
    else if (meta.name !== req.name) {
      throw new ApiError(StatusReason.BadRequest, `the name of the object (${String(meta.name ?? '')}) does not match the name on the URL (${req.name})`, {
        name: req.name,
        kind: def.plural,
        causes: [{ reason: 'FieldValueInvalid', field: 'metadata.name', message: `must be ${JSON.stringify(req.name)}, the name on the URL` }],
      });
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

/** kube-apiserver's 400 for unknown fields under `fieldValidation=Strict`. */
export function strictDecodingError(unknown: string[]): ApiError {
  return new ApiError(StatusReason.BadRequest, `strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
}

/**
 * Runs the unknown-field policy, defaults and validation on an envelope-checked object and returns
 * the defaulted copy. Throws 400 (Strict, unknown fields) or 422 Invalid with every violated field.
 */
export function admit(obj: KubeObject, req: AdmissionRequest): KubeObject {
  const { def } = req;
  const unknown = findUnknownFields(def, obj);
  if (unknown.length > 0) {
    if (req.fieldValidation === FieldValidation.Strict) throw strictDecodingError(unknown);
    if (req.fieldValidation === FieldValidation.Warn) for (const f of unknown) req.warnings.push(`unknown field "${f}"`);
    // Like a CRD's structural pruning: unknown fields are dropped, never stored.
    for (const f of unknown) pruneField(obj, f);
  }
  const defaulted = applyDefaults(def, obj);
  const errors = [...validateMetadata(def, defaulted), ...validateObject(def, defaulted)];
  if (errors.length > 0) throw invalid(def.kind, objectName(defaulted), errors, def.group);
  return defaulted;
}

/**
 * The creator of an object, stamped on create from the authenticated identity — a claimed
 * `sidekicks.dev/created-by` in the body is overwritten. Ownership decisions (a Collaborator's own
 * runs, the approvals of those runs) rest on it.
 */
function stampCreator(obj: KubeObject, user: string | undefined): void {
  const annotations: unknown = obj.metadata.annotations;
  // Malformed annotations are left for validation to reject.
  if (user === undefined || (annotations !== undefined && !isMap(annotations))) return;
  obj.metadata.annotations = { ...(annotations ?? {}), [CREATED_BY]: user };
}

/** On update the creator stays what was stamped at creation, whatever the body says. */
function keepCreator(old: KubeObject, obj: KubeObject): void {
  const annotations: unknown = obj.metadata.annotations;
  if (annotations !== undefined && !isMap(annotations)) return;
  const creator = old.metadata.annotations?.[CREATED_BY];
  if (creator !== undefined) obj.metadata.annotations = { ...(annotations ?? {}), [CREATED_BY]: creator };
  else if (annotations && CREATED_BY in annotations) {
    const rest = { ...(annotations as Record<string, string>) };
    delete rest[CREATED_BY];
    obj.metadata.annotations = rest;
  }
}

/**
 * Approvals: the decider is the identity that wrote the decision (DOMAIN.md, "the decider recorded
 * is the authenticated one, never a name the client claims"). A decision written by this request
 * gets `by` = the requester; a decision already stored keeps its `by` (the rest of it is final:
 * changing it is refused by the kind's finalFields). In-process writers (no user) are trusted.
 */
function stampDecider(old: KubeObject | undefined, obj: KubeObject, user: string | undefined): void {
  const decision = isMap(obj.spec) ? obj.spec.decision : undefined;
  if (!isMap(decision)) return;
  const before = isMap(old?.spec) ? old.spec.decision : undefined;
  if (isMap(before)) {
    if (before.by === undefined) delete decision.by;
    else decision.by = before.by;
  } else if (user !== undefined) {
    decision.by = user;
  }
}

/**
 * Status belongs to the /status subresource, as in kube-apiserver for kinds that have one: a create
 * starts with none (a client cannot create a Run already `Completed`), and a write of the main
 * resource keeps the stored status whatever its body says — so admission validates what will be
 * stored. In-process writers (controllers) write through the store, which keeps status on create.
 */
export function ignoreBodyStatus(def: KindDefinition, obj: KubeObject, old?: KubeObject): void {
  if (!def.hasStatus) return;
  const target = obj as KubeObject & { status?: unknown };
  if (old && (old as { status?: unknown }).status !== undefined) target.status = structuredClone((old as { status?: unknown }).status);
  else delete target.status;
}

/** An Invite expires a week after it is made unless it says when (the clock is the server's). */
function defaultInviteExpiry(obj: KubeObject, req: AdmissionRequest): void {
  if (isMap(obj.spec) && (obj.spec.expiresAt === undefined || obj.spec.expiresAt === '')) {
    obj.spec.expiresAt = metaTime(req.now.getTime() + INVITE_TTL_MS);
  }
}

/** The admission plugins, by kind. */
export const KIND_ADMISSION: Readonly<Record<string, KindAdmission>> = {
  Invite: { create: defaultInviteExpiry },
  Approval: {
    create: (obj, req) => stampDecider(undefined, obj, req.user),
    update: (old, obj, req) => stampDecider(old, obj, req.user),
  },
};

/** Admission of a create: the creator stamp, the kind's plugin, then defaults and validation; returns the admitted copy. */
export function admitCreate(obj: KubeObject, req: AdmissionRequest): KubeObject {
  stampCreator(obj, req.user);
  KIND_ADMISSION[req.def.kind]?.create?.(obj, req);
  return admit(obj, req);
}

/** Admission of an update, plus the kind's immutable fields (422 naming each one); returns the admitted copy. */
export function admitUpdate(old: KubeObject, obj: KubeObject, req: AdmissionRequest): KubeObject {
  keepCreator(old, obj);
  KIND_ADMISSION[req.def.kind]?.update?.(old, obj, req);
  const admitted = admit(obj, req);
  const changes = immutableFieldChanges(req.def, old, admitted);
  if (changes.length > 0) throw invalid(req.def.kind, objectName(admitted), changes);
  return admitted;
}

function objectName(obj: KubeObject): string {
  return obj.metadata?.name ?? obj.metadata?.generateName ?? '';
}
