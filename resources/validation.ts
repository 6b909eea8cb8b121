/**
 * Defaulting and validation of objects against their kind's schema, with kubectl-style field
 * paths and messages (`spec.members[0].role: Unsupported value: "Boss": supported values: ...`).
 * Schemas are compiled lazily, once per kind, so CLI start-up does not pay for kinds it never uses.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import m from 'ajv-formats';
import { KUBERNETES_KEYWORDS, toJsonSchema, type JsonSchema } from './json-schema.js';
import { ObjectMeta, type KubeObject } from './meta.js';
import { TOTAL_ANNOTATION_BYTES, dnsLabel, dnsSubdomain, labelValue, qualifiedName, show } from './names.js';
import type { KindDefinition } from './scheme.js';
import { crossFieldErrors } from './validation-rules.js';
import type { FieldError } from './field-error.js';

export type { FieldError } from './field-error.js';

const addFormats = m.default;

let ajvInstance: Ajv | undefined;
/** The whole object schema as plain JSON Schema (metadata included, not closed), per kind. */
const plainSchemas = new WeakMap<KindDefinition, JsonSchema>();
const validators = new WeakMap<KindDefinition, ValidateFunction>();

function ajv(): Ajv {
  if (!ajvInstance) {
    // Unknown fields are findUnknownFields' job (fieldValidation Strict/Warn/Ignore), so schemas
    // are not closed here and ajv never reports additionalProperties.
    ajvInstance = new Ajv({ allErrors: true, strict: true, strictRequired: false, validateFormats: true });
    addFormats(ajvInstance);
    ajvInstance.addVocabulary([...KUBERNETES_KEYWORDS]);
  }
  return ajvInstance;
}

function schemaFor(def: KindDefinition): JsonSchema {
  let schema = plainSchemas.get(def);
  if (!schema) {
    schema = toJsonSchema(def.schema);
    plainSchemas.set(def, schema);
  }
  return schema;
}

// Compiling is the expensive part, so it happens on a kind's first validation, once.
function validatorFor(def: KindDefinition): ValidateFunction {
  let validate = validators.get(def);
  if (!validate) {
    validate = ajv().compile(schemaFor(def));
    validators.set(def, validate);
  }
  return validate;
}

/** Returns a defaulted deep copy of obj: schema defaults fill absent fields wherever their parent exists. */
export function applyDefaults<T extends KubeObject>(def: KindDefinition, obj: T): T {
  const copy = structuredClone(obj);
  defaultInto(copy, schemaFor(def));
  return copy;
}

// Structural defaulting as Kubernetes does it: a default is applied only inside an existing
// parent, and the walk continues into defaulted values so `default: {}` fills nested defaults.
function defaultInto(value: unknown, schema: JsonSchema): void {
  if (Array.isArray(value)) {
    if (schema.items) for (const item of value) defaultInto(item, schema.items);
    return;
  }
  if (!isPlainObject(value)) return;
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    if (value[key] === undefined && sub.default !== undefined) value[key] = structuredClone(sub.default);
    if (value[key] !== undefined) defaultInto(value[key], sub);
  }
  if (typeof schema.additionalProperties === 'object') {
    for (const [key, sub] of Object.entries(value)) {
      if (!schema.properties?.[key]) defaultInto(sub, schema.additionalProperties);
    }
  }
}

/** Lists the dotted paths of fields the schema does not declare (`spec.foo`, `spec.limits.bar`), status and metadata included. */
export function findUnknownFields(def: KindDefinition, obj: KubeObject): string[] {
  const unknown: string[] = [];
  collectUnknown(obj, schemaFor(def), '', unknown);
  return unknown;
}

function collectUnknown(value: unknown, schema: JsonSchema, path: string, out: string[]): void {
  if (schema['x-kubernetes-preserve-unknown-fields']) return;
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((item, i) => collectUnknown(item, schema.items!, `${path}[${i}]`, out));
    return;
  }
  if (!isPlainObject(value) || schema.type !== 'object') return;
  for (const [key, sub] of Object.entries(value)) {
    const child = path ? `${path}.${key}` : key;
    const declared = schema.properties?.[key];
    if (declared) collectUnknown(sub, declared, child, out);
    else if (typeof schema.additionalProperties === 'object') collectUnknown(sub, schema.additionalProperties, child, out);
    else out.push(child);
  }
}

/**
 * Validates obj against its kind's schema and cross-field rules and returns every violation.
 * Unknown fields are not reported (see {@link findUnknownFields}); call {@link applyDefaults} first.
 */
export function validateObject(def: KindDefinition, obj: KubeObject): FieldError[] {
  const schema = schemaFor(def);
  const validate = validatorFor(def);
  const errors: FieldError[] = [];
  if (!validate(obj)) {
    for (const e of validate.errors ?? []) {
      const converted = fromAjv(e, schema, obj);
      if (converted && !errors.some((x) => x.field === converted.field && x.message === converted.message)) errors.push(converted);
    }
  }
  // A value of the wrong type also fails its enum, length and range checks; the type error says it all.
  const mistyped = new Set(errors.filter((e) => e.reason === 'FieldValueTypeInvalid').map((e) => e.field));
  for (let i = errors.length - 1; i >= 0; i--) {
    if (mistyped.has(errors[i]!.field) && errors[i]!.reason !== 'FieldValueTypeInvalid') errors.splice(i, 1);
  }
  errors.push(...listMapDuplicates(obj, schema, ''));
  errors.push(...crossFieldErrors(def.kind, obj));
  return errors;
}

let metadataValidator: { schema: JsonSchema; validate: ValidateFunction } | undefined;

/**
 * Checks `obj.metadata` alone against the ObjectMeta schema (types, formats) and returns every
 * violation, paths starting `metadata.`. For the first look at a request body, before anything
 * reads its metadata — also on writes that keep none of it (status), which must not take a
 * malformed one silently.
 */
export function validateMetadataSchema(obj: unknown): FieldError[] {
  if (!metadataValidator) {
    const schema = toJsonSchema(ObjectMeta);
    const wrapper: JsonSchema = { type: 'object', properties: { metadata: schema } };
    metadataValidator = { schema: wrapper, validate: ajv().compile(wrapper) };
  }
  const { schema, validate } = metadataValidator;
  if (validate(obj)) return [];
  const errors: FieldError[] = [];
  for (const e of validate.errors ?? []) {
    const converted = fromAjv(e, schema, obj);
    if (converted && !errors.some((x) => x.field === converted.field && x.message === converted.message)) errors.push(converted);
  }
  return errors;
}

function fromAjv(e: ErrorObject, schema: JsonSchema, data: unknown): FieldError | undefined {
  const at = locate(e.instancePath, schema, data);
  const value = at.value;
  switch (e.keyword) {
    case 'additionalProperties':
      return undefined;
    case 'required': {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      return { field: join(at.field, missing), message: 'Required value', reason: 'FieldValueRequired' };
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      return {
        field: at.field,
        message: `Unsupported value: ${show(value)}: supported values: ${allowed.map(show).join(', ')}`,
        reason: 'FieldValueNotSupported',
      };
    }
    case 'type':
      return {
        field: at.field,
        message: `Invalid value: ${show(typeName(value))}: must be of type ${(e.params as { type: string }).type}`,
        reason: 'FieldValueTypeInvalid',
      };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const { comparison, limit } = e.params as { comparison: string; limit: number };
      const words: Record<string, string> = { '>=': 'greater than or equal to', '<=': 'less than or equal to', '>': 'greater than', '<': 'less than' };
      return { field: at.field, message: `Invalid value: ${show(value)}: must be ${words[comparison] ?? comparison} ${limit}`, reason: 'FieldValueInvalid' };
    }
    case 'minLength': {
      const limit = (e.params as { limit: number }).limit;
      if (value === '') return { field: at.field, message: 'Required value', reason: 'FieldValueRequired' };
      return { field: at.field, message: `Invalid value: ${show(value)}: must be at least ${limit} characters long`, reason: 'FieldValueInvalid' };
    }
    case 'maxLength':
      return { field: at.field, message: `Too long: may not be more than ${(e.params as { limit: number }).limit} characters`, reason: 'FieldValueTooLong' };
    case 'minItems':
      return {
        field: at.field,
        message: `Invalid value: ${Array.isArray(value) ? value.length : show(value)}: must have at least ${(e.params as { limit: number }).limit} item(s)`,
        reason: 'FieldValueInvalid',
      };
    case 'maxItems':
      return {
        field: at.field,
        message: `Too many: ${Array.isArray(value) ? value.length : show(value)}: must have at most ${(e.params as { limit: number }).limit} items`,
        reason: 'FieldValueInvalid',
      };
    case 'uniqueItems': {
      const { i, j } = e.params as { i: number; j: number };
      const index = Math.max(i, j);
      return { field: `${at.field}[${index}]`, message: `Duplicate value: ${show((value as unknown[])[index])}`, reason: 'FieldValueDuplicate' };
    }
    case 'pattern':
      return { field: at.field, message: `Invalid value: ${show(value)}: must match the regex '${(e.params as { pattern: string }).pattern}'`, reason: 'FieldValueInvalid' };
    case 'format':
      return { field: at.field, message: `Invalid value: ${show(value)}: must be a valid ${(e.params as { format: string }).format}`, reason: 'FieldValueInvalid' };
    default:
      return { field: at.field, message: `Invalid value: ${show(value)}: ${e.message ?? e.keyword}`, reason: 'FieldValueInvalid' };
  }
}

/** Turns an ajv JSON pointer into a kubectl field path, using the schema to tell properties from map keys. */
function locate(pointer: string, schema: JsonSchema, data: unknown): { field: string; value: unknown } {
  let field = '';
  let node: JsonSchema | undefined = schema;
  let value: unknown = data;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(value)) {
      field += `[${seg}]`;
      node = node?.items;
      value = value[Number(seg)];
    } else if (node?.properties?.[seg]) {
      field = join(field, seg);
      node = node.properties[seg];
      value = isPlainObject(value) ? value[seg] : undefined;
    } else {
      field += `[${seg}]`;
      node = typeof node?.additionalProperties === 'object' ? node.additionalProperties : undefined;
      value = isPlainObject(value) ? value[seg] : undefined;
    }
  }
  return { field, value };
}

/** Lists declared `x-kubernetes-list-type: map` must not repeat a key (server-side apply merges by it). */
function listMapDuplicates(value: unknown, schema: JsonSchema, path: string): FieldError[] {
  const errors: FieldError[] = [];
  if (Array.isArray(value)) {
    const keys = schema['x-kubernetes-list-map-keys'];
    if (schema['x-kubernetes-list-type'] === 'map' && keys) {
      const seen = new Set<string>();
      value.forEach((item, i) => {
        if (!isPlainObject(item)) return;
        const key = Object.fromEntries(keys.map((k) => [k, item[k]]));
        const id = JSON.stringify(key);
        if (seen.has(id)) errors.push({ field: `${path}[${i}]`, message: `Duplicate value: ${id}`, reason: 'FieldValueDuplicate' });
        seen.add(id);
      });
    }
    if (schema.items) value.forEach((item, i) => errors.push(...listMapDuplicates(item, schema.items!, `${path}[${i}]`)));
    return errors;
  }
  if (!isPlainObject(value)) return errors;
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    if (value[key] !== undefined) errors.push(...listMapDuplicates(value[key], sub, join(path, key)));
  }
  return errors;
}

/** Checks metadata (name, generateName, namespace, labels, annotations) and that apiVersion/kind match the definition. */
export function validateMetadata(def: KindDefinition, obj: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  if (!obj.apiVersion) errors.push({ field: 'apiVersion', message: 'Required value', reason: 'FieldValueRequired' });
  else if (obj.apiVersion !== def.apiVersion) {
    errors.push({ field: 'apiVersion', message: `Invalid value: ${show(obj.apiVersion)}: must be ${def.apiVersion}`, reason: 'FieldValueInvalid' });
  }
  if (!obj.kind) errors.push({ field: 'kind', message: 'Required value', reason: 'FieldValueRequired' });
  else if (obj.kind !== def.kind) errors.push({ field: 'kind', message: `Invalid value: ${show(obj.kind)}: must be ${def.kind}`, reason: 'FieldValueInvalid' });

  const meta = obj.metadata;
  if (!isPlainObject(meta)) {
    errors.push({ field: 'metadata', message: 'Required value', reason: 'FieldValueRequired' });
    return errors;
  }
  // A value of the wrong type is the schema's to report (validateObject, which sees the same
  // object): only values of the declared type are checked for their shape here, so no string
  // method ever meets a number.
  if (meta.name !== undefined && meta.name !== '') {
    if (typeof meta.name === 'string') errors.push(...dnsSubdomain('metadata.name', meta.name));
  } else if (meta.generateName !== undefined && meta.generateName !== '') {
    // A generateName is a prefix: a trailing '-' is fine because random characters follow.
    if (typeof meta.generateName === 'string') {
      errors.push(...dnsSubdomain('metadata.generateName', meta.generateName.replace(/-$/, '') || 'a', meta.generateName));
    }
  } else {
    errors.push({ field: 'metadata.name', message: 'Required value: name or generateName is required', reason: 'FieldValueRequired' });
  }
  if (def.namespaced) {
    if (typeof meta.namespace === 'string' && meta.namespace !== '') errors.push(...dnsLabel('metadata.namespace', meta.namespace));
  } else if (meta.namespace) {
    errors.push({ field: 'metadata.namespace', message: 'Forbidden: not allowed on this type', reason: 'FieldValueForbidden' });
  }
  for (const [key, value] of Object.entries(isPlainObject(meta.labels) ? meta.labels : {})) {
    errors.push(...qualifiedName('metadata.labels', key));
    if (typeof value === 'string') errors.push(...labelValue(`metadata.labels`, key, value));
  }
  let annotationBytes = 0;
  for (const [key, value] of Object.entries(isPlainObject(meta.annotations) ? meta.annotations : {})) {
    // As Kubernetes does, annotation keys are checked case-insensitively.
    errors.push(...qualifiedName('metadata.annotations', key.toLowerCase(), key));
    annotationBytes += Buffer.byteLength(key) + Buffer.byteLength(String(value));
  }
  if (annotationBytes > TOTAL_ANNOTATION_BYTES) {
    errors.push({ field: 'metadata.annotations', message: `Too long: may not be more than ${TOTAL_ANNOTATION_BYTES} bytes`, reason: 'FieldValueTooLong' });
  }
  const finalizers: unknown[] = Array.isArray(meta.finalizers) ? meta.finalizers : [];
  for (const [i, finalizer] of finalizers.entries()) {
    if (typeof finalizer === 'string') errors.push(...qualifiedName(`metadata.finalizers[${i}]`, finalizer));
  }
  return errors;
}

/** Returns a `field is immutable` error for every immutable field whose value differs between oldObj and newObj. */
export function immutableFieldChanges(def: KindDefinition, oldObj: KubeObject, newObj: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  for (const field of def.immutableFields) {
    const before = valueAt(oldObj, field);
    const after = valueAt(newObj, field);
    if (!deepEqual(before, after)) {
      errors.push({ field, message: `Invalid value: ${show(after ?? null)}: field is immutable`, reason: 'FieldValueInvalid' });
    }
  }
  for (const field of def.finalFields) {
    const before = valueAt(oldObj, field);
    if (before === undefined || deepEqual(before, valueAt(newObj, field))) continue;
    errors.push({ field, message: `Forbidden: ${field} is final once set`, reason: 'FieldValueForbidden' });
  }
  return errors;
}

// ── small helpers ──

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function valueAt(obj: unknown, dotted: string): unknown {
  let v: unknown = obj;
  for (const key of dotted.split('.')) v = isPlainObject(v) ? v[key] : undefined;
  return v;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}
