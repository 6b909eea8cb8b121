/**
 * Renders `explain` output byte-for-byte in kubectl's (v1.27+) plaintext layout from a kind's JSON
 * Schema: GROUP/KIND/VERSION, `FIELD: name <type>` with ENUM, DESCRIPTION wrapped at 80 columns,
 * and FIELDS sorted by name (type, `-required-`, enum, description), or with `--recursive` the
 * nested field tree.
 */
import type { JsonSchema } from '../../resources/json-schema.js';

/** Envelope fields kube-apiserver's OpenAPI never marks required. */
const ENVELOPE = new Set(['apiVersion', 'kind', 'metadata']);
/** Types the server's OpenAPI names by reference inside ObjectMeta, as kube-apiserver does. */
const METADATA_REFS: Record<string, string> = { managedFields: '[]ManagedFieldsEntry', ownerReferences: '[]OwnerReference' };
const WIDTH = 80;

/** kubectl's type names: `string`, `integer`, `Object`, `[]string`, `map[string]string`. */
export function typeName(s: JsonSchema | undefined): string {
  if (!s) return 'Object';
  if (s.type === 'array') return `[]${typeName(s.items)}`;
  if (s.type === 'object' || s.properties) {
    if (!s.properties && typeof s.additionalProperties === 'object') return `map[string]${typeName(s.additionalProperties)}`;
    return 'Object';
  }
  return s.type ?? 'Object';
}

/** Descends `spec.members.role` through properties, array items and map values; undefined when absent. */
export function schemaAt(root: JsonSchema, path: string[]): JsonSchema | undefined {
  let s: JsonSchema | undefined = root;
  for (const seg of path) {
    while (s && s.type === 'array') s = s.items;
    if (!s) return undefined;
    if (s.properties?.[seg]) s = s.properties[seg];
    else return undefined;
  }
  return s;
}

function fieldsOf(s: JsonSchema): JsonSchema | undefined {
  let t: JsonSchema | undefined = s;
  while (t && t.type === 'array') t = t.items;
  if (t && !t.properties && typeof t.additionalProperties === 'object') t = t.additionalProperties;
  return t?.properties ? t : undefined;
}

/** kubectl lists at most four enum values inline, then `....`. */
function enumLine(values: unknown[]): string {
  return values.length > 4 ? `${values.slice(0, 4).map(String).join(', ')}, ....` : values.map(String).join(', ');
}

function enumOf(s: JsonSchema): unknown[] | undefined {
  const values = s.enum ?? (s.type === 'array' ? s.items?.enum : undefined);
  return values?.length ? values : undefined;
}

/** Word-wraps to kubectl's 80 columns, every line prefixed with `indent` spaces. */
export function wrap(text: string, indent: number): string {
  const pad = ' '.repeat(indent);
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line && indent + line.length + 1 + word.length > WIDTH) {
        out.push(pad + line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(pad + line);
  }
  return `${out.join('\n')}\n`;
}

interface Field {
  name: string;
  schema: JsonSchema;
  type: string;
  required: boolean;
  description: string;
}

function fieldList(container: JsonSchema, atRoot: boolean, inMetadata = false): Field[] {
  const required = new Set(container.required ?? []);
  return Object.entries(container.properties ?? {})
    .map(([name, schema]) => {
      const envelope = atRoot && ENVELOPE.has(name);
      return {
        name,
        schema,
        // The server's OpenAPI references ObjectMeta instead of inlining it, as kube-apiserver does.
        type: atRoot && name === 'metadata' ? 'ObjectMeta' : inMetadata && METADATA_REFS[name] ? METADATA_REFS[name] : typeName(schema),
        required: required.has(name) && !envelope,
        description: atRoot && name === 'metadata' ? '<no description>' : schema.description ?? '<no description>',
      };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The whole explain text. */
export function renderExplain(opts: { group: string; kind: string; version: string; root: JsonSchema; path: string[]; recursive: boolean }): string {
  const target = schemaAt(opts.root, opts.path);
  if (!target) return '';
  let out = `GROUP:      ${opts.group}\nKIND:       ${opts.kind}\nVERSION:    ${opts.version}\n\n`;
  if (opts.path.length) {
    const fieldType = opts.path.length === 1 && opts.path[0] === 'metadata' ? 'ObjectMeta' : typeName(target);
    out += `FIELD: ${opts.path[opts.path.length - 1]} <${fieldType}>\n`;
    const values = enumOf(target);
    out += values ? `ENUM:\n${values.map((v) => `    ${String(v)}\n`).join('')}` : '\n';
    out += '\n';
  }
  out += `DESCRIPTION:\n${wrap(target.description ?? '<empty>', 4)}    \n`;
  const container = fieldsOf(target);
  if (container?.properties) {
    out += 'FIELDS:\n';
    const atRoot = opts.path.length === 0;
    const inMetadata = opts.path.length === 1 && opts.path[0] === 'metadata';
    out += opts.recursive ? recursiveFields(container, 1, atRoot, inMetadata) : fieldsText(container, atRoot, inMetadata);
  }
  return `${out}\n`;
}

function fieldsText(container: JsonSchema, atRoot: boolean, inMetadata: boolean): string {
  return fieldList(container, atRoot, inMetadata)
    .map((f) => {
      const values = enumOf(f.schema);
      return `  ${f.name}\t<${f.type}>${f.required ? ' -required-' : ''}\n${values ? `  enum: ${enumLine(values)}\n` : ''}${wrap(f.description, 4)}\n`;
    })
    .join('');
}

function recursiveFields(container: JsonSchema, level: number, atRoot: boolean, inMetadata = false): string {
  let out = '';
  for (const f of fieldList(container, atRoot, inMetadata)) {
    const pad = '  '.repeat(level);
    out += `${pad}${f.name}\t<${f.type}>${f.required ? ' -required-' : ''}\n`;
    const values = enumOf(f.schema);
    if (values) out += `${pad}enum: ${enumLine(values)}\n`;
    const nested = fieldsOf(f.schema);
    if (nested) out += recursiveFields(nested, level + 1, false, atRoot && f.name === 'metadata');
  }
  return out;
}
