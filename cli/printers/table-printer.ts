/**
 * Prints server-side Tables the way kubectl does: upper-case headers, priority>0 columns only with
 * `-o wide`, NAMESPACE first with `-A`, `kind.group/name` names when several kinds are shown,
 * LABELS with `--show-labels`, one column per `-L key`, aligned by kubectl's tabwriter layout.
 */
import type { Table, TableColumnDefinition, TableRow } from '../../api/client/types.js';
import type { KubeObject } from '../../resources/meta.js';
import { TabWriter, TABLE_LAYOUT } from './tabwriter.js';

/** How to decorate a table. */
export interface TableOptions {
  wide?: boolean;
  noHeaders?: boolean;
  showLabels?: boolean;
  labelColumns?: string[];
  allNamespaces?: boolean;
  /** Prefix for names, e.g. `run.sidekicks.dev/`, when several kinds are printed. */
  namePrefix?: string;
}

/** Columns kept for printing: priority 0, or all with wide. */
export function visibleColumns(table: Pick<Table, 'columnDefinitions'>, wide = false): number[] {
  return table.columnDefinitions.map((c, i) => ({ c, i })).filter(({ c }) => wide || !c.priority).map(({ i }) => i);
}

/** The header cells of a table after decoration. */
export function tableHeaders(columns: TableColumnDefinition[], visible: number[], opts: TableOptions): string[] {
  const headers = visible.map((i) => columns[i].name.toUpperCase());
  if (opts.allNamespaces) headers.unshift('NAMESPACE');
  for (const key of opts.labelColumns ?? []) headers.push(labelColumnHeader(key));
  if (opts.showLabels) headers.push('LABELS');
  return headers;
}

/** `-L app.kubernetes.io/name` is headed `NAME`, as kubectl does. */
export function labelColumnHeader(key: string): string {
  const parts = key.split('/');
  return parts[parts.length - 1].toUpperCase();
}

/** The cells of one row after decoration. */
export function tableRowCells(table: Pick<Table, 'columnDefinitions'>, row: TableRow, visible: number[], opts: TableOptions): string[] {
  const nameIndex = nameColumn(table.columnDefinitions);
  const cells = visible.map((i) => {
    const text = formatCell(row.cells[i]);
    return i === nameIndex && opts.namePrefix ? opts.namePrefix + text : text;
  });
  const meta = (row.object as KubeObject | undefined)?.metadata;
  if (opts.allNamespaces) cells.unshift(meta?.namespace ?? '');
  for (const key of opts.labelColumns ?? []) cells.push(meta?.labels?.[key] ?? '');
  if (opts.showLabels) cells.push(formatLabels(meta?.labels));
  return cells;
}

/** `a=b,c=d` sorted by key, or `<none>`. */
export function formatLabels(labels: Record<string, string> | undefined): string {
  const keys = Object.keys(labels ?? {}).sort();
  return keys.length ? keys.map((k) => `${k}=${labels![k]}`).join(',') : '<none>';
}

/** A cell as kubectl prints it: nothing for null, text up to the first line break followed by `...`. */
export function formatCell(cell: unknown): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'string') {
    const cut = cell.search(/[\f\n\r]/);
    return cut >= 0 ? `${cell.slice(0, cut)}...` : cell;
  }
  if (typeof cell === 'object') return JSON.stringify(cell);
  return String(cell);
}

function nameColumn(columns: TableColumnDefinition[]): number {
  const byFormat = columns.findIndex((c) => c.format === 'name');
  return byFormat >= 0 ? byFormat : columns.findIndex((c) => c.name.toLowerCase() === 'name');
}

/** Prints one table (one kind) completely. */
export function printTable(table: Table, opts: TableOptions, writer = new TabWriter(TABLE_LAYOUT)): string {
  const visible = visibleColumns(table, opts.wide);
  if (!opts.noHeaders) writer.write(`${tableHeaders(table.columnDefinitions, visible, opts).join('\t')}\n`);
  for (const row of table.rows) writer.write(`${tableRowCells(table, row, visible, opts).join('\t')}\n`);
  return writer.flush();
}
