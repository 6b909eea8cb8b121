/**
 * Parses `-o/--output` values and prints whole objects in the formats that need them
 * (yaml, json, name, jsonpath, custom-columns). Heavy modules (yaml) load only when used.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from 'clipanion';
import type { KubeObject } from '../../resources/meta.js';
import { JsonPathTemplate, TemplateError } from './jsonpath-template.js';
import { parseCustomColumns, parseCustomColumnsFile, printCustomColumns, type CustomColumn } from './custom-columns.js';

/** A parsed `-o` value. */
export type OutputFormat =
  | { type: 'table'; wide: boolean }
  | { type: 'yaml' }
  | { type: 'json' }
  | { type: 'name' }
  | { type: 'jsonpath'; template: JsonPathTemplate }
  | { type: 'custom-columns'; columns: CustomColumn[] };

const ALLOWED = 'custom-columns, custom-columns-file, go-template, go-template-file, json, jsonpath, jsonpath-as-json, jsonpath-file, name, template, templatefile, wide, yaml';

/** Parses `-o` (reading `*-file` formats relative to `cwd`); undefined means the default table. */
export async function parseOutputFormat(value: string | undefined, cwd: string): Promise<OutputFormat> {
  if (value === undefined || value === '') return { type: 'table', wide: false };
  const eq = value.indexOf('=');
  const name = eq >= 0 ? value.slice(0, eq) : value;
  const arg = eq >= 0 ? value.slice(eq + 1) : '';
  try {
    switch (name) {
      case 'wide':
        return { type: 'table', wide: true };
      case 'yaml':
        return { type: 'yaml' };
      case 'json':
        return { type: 'json' };
      case 'name':
        return { type: 'name' };
      case 'jsonpath':
        if (!arg) throw new UsageError('template format specified but no template given');
        return { type: 'jsonpath', template: new JsonPathTemplate(arg) };
      case 'jsonpath-file':
        return { type: 'jsonpath', template: new JsonPathTemplate((await readFile(resolve(cwd, arg), 'utf8')).trimEnd()) };
      case 'custom-columns':
        return { type: 'custom-columns', columns: parseCustomColumns(arg) };
      case 'custom-columns-file':
        return { type: 'custom-columns', columns: parseCustomColumnsFile(await readFile(resolve(cwd, arg), 'utf8')) };
      default:
        throw new UsageError(`unable to match a printer suitable for the output format "${value}", allowed formats are: ${ALLOWED}`);
    }
  } catch (err) {
    if (err instanceof TemplateError || (err instanceof Error && !(err instanceof UsageError) && !('code' in err))) throw new UsageError(err.message);
    throw err;
  }
}

/** Returns a copy with object keys sorted at every level, as kubectl's JSON and YAML output has them. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/** A `v1 List` around objects, as kubectl prints several objects. */
export function asList(items: KubeObject[]): Record<string, unknown> {
  return { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
}

/**
 * Serializes to kubectl-style YAML: sorted keys, sequences flush with their key, and YAML 1.1
 * quoting — strings that YAML 1.1 would read as something else (timestamps, `yes`, `on`) are
 * quoted, as Go's yaml library does for kubectl.
 */
export async function toYaml(value: unknown): Promise<string> {
  const { stringify } = await import('yaml');
  return stringify(sortKeys(value), { version: '1.1', indentSeq: false, lineWidth: 0, aliasDuplicateObjects: false });
}

/** Drops `metadata.managedFields`, which kubectl hides unless `--show-managed-fields`. */
export function withoutManagedFields<T extends KubeObject>(obj: T): T {
  if (!obj.metadata?.managedFields) return obj;
  const { managedFields: _hidden, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

/** Serializes to kubectl-style JSON (4-space indent, sorted keys, trailing newline). */
export function toJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 4)}\n`;
}

/**
 * Prints objects in a non-table format. `single` prints one object bare instead of a List (kubectl
 * does so when exactly one object was asked for by name).
 */
export async function printObjects(format: Exclude<OutputFormat, { type: 'table' }>, objects: KubeObject[], opts: { single: boolean; nameOf: (o: KubeObject) => string; noHeaders?: boolean }): Promise<string> {
  const value = opts.single && objects.length === 1 ? objects[0] : asList(objects);
  switch (format.type) {
    case 'yaml':
      return toYaml(value);
    case 'json':
      return toJson(value);
    case 'name':
      return objects.map((o) => `${opts.nameOf(o)}\n`).join('');
    case 'jsonpath':
      return format.template.execute(value);
    case 'custom-columns':
      return printCustomColumns(format.columns, objects, opts.noHeaders);
  }
}
