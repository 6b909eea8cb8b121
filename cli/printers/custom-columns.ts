/**
 * kubectl's `-o custom-columns=HEADER:.path,...` and `-o custom-columns-file=FILE` printers.
 */
import { JsonPathTemplate, formatValue, relaxedJsonPath } from './jsonpath-template.js';
import { alignRows } from './tabwriter.js';

/** One column: the header as written and its compiled path. */
export interface CustomColumn {
  header: string;
  template: JsonPathTemplate;
}

/** Parses `NAME:.metadata.name,PHASE:.status.phase`. */
export function parseCustomColumns(spec: string): CustomColumn[] {
  if (!spec) throw new Error('custom-columns format specified but no custom columns given');
  return spec.split(',').map((part) => {
    const colon = part.indexOf(':');
    if (colon <= 0 || colon === part.length - 1) throw new Error(`unexpected custom-columns spec: ${part}, expected <header>:<json-path-expr>`);
    return { header: part.slice(0, colon), template: new JsonPathTemplate(relaxedJsonPath(part.slice(colon + 1))) };
  });
}

/** Parses a custom-columns file: headers on the first line, paths on the second, whitespace-separated. */
export function parseCustomColumnsFile(text: string): CustomColumn[] {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  if (lines.length !== 2) throw new Error(`unexpected lines in custom-columns file: expected 2, got ${lines.length}`);
  const headers = lines[0].split(/\s+/);
  const paths = lines[1].split(/\s+/);
  if (headers.length !== paths.length) throw new Error(`number of headers (${headers.length}) does not match number of columns (${paths.length})`);
  return headers.map((header, i) => ({ header, template: new JsonPathTemplate(relaxedJsonPath(paths[i])) }));
}

/** The cell of one column for one object: values joined by commas, `<none>` when nothing matched. */
export function customColumnCell(column: CustomColumn, obj: unknown): string {
  const values = column.template.values(obj);
  if (values.length === 0) return '<none>';
  return values.map(formatValue).join(',');
}

/** Prints objects as an aligned custom-columns table. */
export function printCustomColumns(columns: CustomColumn[], objects: unknown[], noHeaders = false): string {
  const rows: string[][] = [];
  if (!noHeaders) rows.push(columns.map((c) => c.header));
  for (const obj of objects) rows.push(columns.map((c) => customColumnCell(c, obj)));
  return alignRows(rows);
}
