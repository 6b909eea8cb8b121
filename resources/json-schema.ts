/**
 * Converts TypeBox schemas into the plain, structural JSON Schema that Kubernetes CRDs, OpenAPI
 * documents and ajv share: TypeBox's symbols and `$id` go, literal unions become `type` + `enum`,
 * `Record<string, X>` becomes `additionalProperties: X`, and free-form values are marked
 * `x-kubernetes-preserve-unknown-fields`. One converter keeps validation, `explain` and the CRDs
 * from disagreeing.
 */
import type { TSchema } from '@sinclair/typebox';

/** A plain JSON Schema object (the subset our kinds use). */
export interface JsonSchema {
  description?: string;
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  enum?: unknown[];
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  [keyword: string]: unknown;
}

export interface ConvertOptions {
  /**
   * Keep `additionalProperties: false` (plain JSON Schema) or drop it. CRDs must drop it:
   * structural schemas prune unknown fields instead, and apiextensions rejects `false`.
   */
  keepClosed?: boolean;
}

/** Kubernetes-specific keywords ajv must accept as annotations. */
export const KUBERNETES_KEYWORDS = [
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-int-or-string',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-group-version-kind',
] as const;

/** Keys in the order manifests print them: what a reader scans first comes first. */
const KEY_ORDER = [
  'description', 'type', 'format', 'enum', 'default', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum',
  'minItems', 'maxItems', 'uniqueItems', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'items',
  'properties', 'required', 'additionalProperties', 'x-kubernetes-preserve-unknown-fields',
];

/** Converts a TypeBox schema into plain structural JSON Schema; throws on constructs CRDs cannot express. */
export function toJsonSchema(schema: TSchema, options: ConvertOptions = {}): JsonSchema {
  // JSON round-trip drops TypeBox's symbol-keyed metadata ([Kind], [OptionalKind]).
  const plain = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
  return convert(plain, options, '');
}

function convert(node: Record<string, unknown>, options: ConvertOptions, at: string): JsonSchema {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    switch (key) {
      case '$id':
      case 'anyOf':
      case 'const':
      case 'patternProperties':
        break;
      case 'properties':
        out.properties = Object.fromEntries(
          Object.entries(value as Record<string, Record<string, unknown>>).map(([name, sub]) => [name, convert(sub, options, `${at}.${name}`)]),
        );
        break;
      case 'items':
        out.items = convert(value as Record<string, unknown>, options, `${at}[]`);
        break;
      case 'additionalProperties':
        if (value === false) {
          if (options.keepClosed) out.additionalProperties = false;
        } else if (typeof value === 'object' && value !== null) {
          out.additionalProperties = convert(value as Record<string, unknown>, options, `${at}[*]`);
        }
        break;
      default:
        out[key] = value;
    }
  }
  if ('anyOf' in node) Object.assign(out, literalUnion(node.anyOf as Record<string, unknown>[], at));
  if ('const' in node) Object.assign(out, { type: jsonType(node.const, at), enum: [node.const] });
  if ('patternProperties' in node) Object.assign(out, recordValues(node.patternProperties as Record<string, Record<string, unknown>>, options, at));
  if (isFreeForm(out)) out['x-kubernetes-preserve-unknown-fields'] = true;
  dropDefaultedFromRequired(out);
  return ordered(out) as JsonSchema;
}

/** A union of literals (a closed set) is an enum of one type. */
function literalUnion(branches: Record<string, unknown>[], at: string): JsonSchema {
  if (!branches.every((b) => 'const' in b)) throw new Error(`structural schema: ${at || '<root>'}: only unions of literals can be expressed`);
  const values = branches.map((b) => b.const);
  const types = new Set(values.map((v) => jsonType(v, at)));
  if (types.size !== 1) throw new Error(`structural schema: ${at || '<root>'}: a closed set must have one value type`);
  return { type: [...types][0], enum: values };
}

/** `Record<string, X>` (TypeBox patternProperties) as additionalProperties; a record of unknowns is free-form. */
function recordValues(patterns: Record<string, Record<string, unknown>>, options: ConvertOptions, at: string): JsonSchema {
  const entries = Object.entries(patterns);
  if (entries.length !== 1) throw new Error(`structural schema: ${at || '<root>'}: only one key pattern is supported`);
  const value = convert(entries[0]![1], options, `${at}[*]`);
  if (value['x-kubernetes-preserve-unknown-fields'] && value.type === undefined) {
    return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  }
  return { type: 'object', additionalProperties: value };
}

/**
 * A field with a default is filled in before validation, so users need not write it: it is
 * required in the TypeScript type (controllers always see it) but not in the published schema.
 */
function dropDefaultedFromRequired(schema: Record<string, unknown>): void {
  const props = schema.properties as Record<string, JsonSchema> | undefined;
  if (!Array.isArray(schema.required) || !props) return;
  const required = (schema.required as string[]).filter((r) => props[r]?.default === undefined);
  if (required.length > 0) schema.required = required;
  else delete schema.required;
}

function isFreeForm(schema: Record<string, unknown>): boolean {
  return schema.type === undefined && schema.enum === undefined && schema.$ref === undefined && schema.allOf === undefined;
}

function jsonType(value: unknown, at: string): JsonSchema['type'] {
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'number':
      return Number.isInteger(value) ? 'integer' : 'number';
    default:
      throw new Error(`structural schema: ${at || '<root>'}: unsupported literal ${JSON.stringify(value)}`);
  }
}

function ordered(schema: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of KEY_ORDER) if (key in schema) out[key] = schema[key];
  for (const [key, value] of Object.entries(schema)) if (!(key in out)) out[key] = value;
  return out;
}
