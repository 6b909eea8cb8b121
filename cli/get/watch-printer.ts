/**
 * The streaming half of `get -w`: watches one collection (or one object) from the listed
 * resourceVersion and prints each event — table rows aligned with the listing (widths remembered,
 * as kubectl's tabwriter does), or objects in the chosen output format. A stream the server ends
 * is resumed from the last seen resourceVersion; an expired one (410) restarts from now.
 */
import type { ApiClient } from '../../api/client/client.js';
import type { Table, TableColumnDefinition, WatchEvent } from '../../api/client/types.js';
import type { KubeObject } from '../../resources/meta.js';
import type { ResourceTarget } from '../resource-args.js';
import { kindGroup } from '../resource-resolver.js';
import { tableHeaders, tableRowCells, visibleColumns, type TableOptions } from '../printers/table-printer.js';
import type { TabWriter } from '../printers/tabwriter.js';
import type { OutputFormat } from '../printers/output-format.js';

/** Everything the watch loop needs from `get`. */
export interface WatchPrintOptions {
  client: ApiClient;
  target: ResourceTarget;
  namespace?: string;
  format: OutputFormat;
  writer: TabWriter;
  /** Column definitions from the listing (later Table events carry none). */
  columns: TableColumnDefinition[];
  resourceVersion?: string;
  printHeaders: boolean;
  tableOptions: TableOptions;
  outputWatchEvents: boolean;
  labelSelector?: string;
  fieldSelector?: string;
  signal: AbortSignal;
  write: (text: string) => void;
}

/** Watches and prints until `signal` aborts. */
export async function watchAndPrint(opts: WatchPrintOptions): Promise<void> {
  const { client, target, signal } = opts;
  const asTable = opts.format.type === 'table';
  const name = target.names[0];
  const fieldSelector = [opts.fieldSelector, name ? `metadata.name=${name}` : undefined].filter(Boolean).join(',') || undefined;
  let columns = opts.columns;
  let headersDue = opts.printHeaders;
  let resourceVersion = opts.resourceVersion;
  let firstObject = true;

  while (!signal.aborted) {
    let events: AsyncGenerator<WatchEvent>;
    try {
      events = await client.watch(target.ref, {
        namespace: opts.namespace,
        labelSelector: opts.labelSelector,
        fieldSelector,
        resourceVersion,
        signal,
        asTable,
      });
    } catch (err) {
      if (signal.aborted) return;
      if ((err as { code?: number }).code === 410) {
        resourceVersion = undefined;
        continue;
      }
      throw err;
    }
    for await (const event of events) {
      if (event.type === 'BOOKMARK') {
        resourceVersion = event.object?.metadata?.resourceVersion ?? resourceVersion;
        continue;
      }
      if (event.type === 'ERROR') {
        const status = event.object as unknown as { code?: number; message?: string };
        if (status.code === 410) {
          resourceVersion = undefined;
          break;
        }
        throw Object.assign(new Error(status.message ?? 'watch error'), status);
      }
      if (asTable && (event.object as unknown as Table).kind === 'Table') {
        const table = event.object as unknown as Table;
        if (table.columnDefinitions?.length) columns = table.columnDefinitions;
        const rv = table.rows[0]?.object?.metadata?.resourceVersion ?? table.metadata?.resourceVersion;
        if (rv) resourceVersion = rv;
        const visible = visibleColumns({ columnDefinitions: columns }, opts.format.type === 'table' && opts.format.wide);
        if (headersDue) {
          const headers = tableHeaders(columns, visible, opts.tableOptions);
          opts.writer.write(`${(opts.outputWatchEvents ? ['EVENT', ...headers] : headers).join('\t')}\n`);
          headersDue = false;
        }
        for (const row of table.rows) {
          const cells = tableRowCells({ columnDefinitions: columns }, row, visible, opts.tableOptions);
          opts.writer.write(`${(opts.outputWatchEvents ? [event.type, ...cells] : cells).join('\t')}\n`);
        }
        opts.write(opts.writer.flush());
        continue;
      }
      const obj = event.object as KubeObject;
      resourceVersion = obj.metadata?.resourceVersion ?? resourceVersion;
      opts.write(await renderObject(opts, event, obj, firstObject));
      firstObject = false;
    }
  }
}

async function renderObject(opts: WatchPrintOptions, event: WatchEvent, obj: KubeObject, first: boolean): Promise<string> {
  const { toJson, toYaml, withoutManagedFields } = await import('../printers/output-format.js');
  const shown = withoutManagedFields(obj);
  const value = opts.outputWatchEvents ? { type: event.type, object: shown } : shown;
  switch (opts.format.type) {
    case 'json':
      return toJson(value);
    case 'yaml':
      return `${first ? '' : '---\n'}${await toYaml(value)}`;
    case 'name':
      return `${kindGroup(opts.target.ref)}/${obj.metadata.name}\n`;
    case 'jsonpath':
      return opts.format.template.execute(value);
    case 'custom-columns': {
      const { customColumnCell } = await import('../printers/custom-columns.js');
      const cells = opts.format.columns.map((c) => customColumnCell(c, obj));
      if (first) opts.writer.write(`${opts.format.columns.map((c) => c.header).join('\t')}\n`);
      opts.writer.write(`${cells.join('\t')}\n`);
      return opts.writer.flush();
    }
    default:
      return '';
  }
}
