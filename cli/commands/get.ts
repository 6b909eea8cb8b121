/** `sidekick get`: list or read resources as tables, YAML, JSON, names, JSONPath or custom columns; optionally watch. */
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../base-command.js';
import { parseResourceArgs, type ResourceTarget } from '../resource-args.js';
import { kindGroup } from '../resource-resolver.js';
import { ExitCodeError, formatError, isStatusError } from '../errors.js';
import { printTable } from '../printers/table-printer.js';
import { TabWriter, TABLE_LAYOUT } from '../printers/tabwriter.js';
import type { OutputFormat } from '../printers/output-format.js';
import type { Table } from '../../api/client/types.js';
import type { KubeObject } from '../../resources/meta.js';
import type { Workflow } from '../../resources/kinds/workflow.js';
import type { WorkflowTemplate } from '../../resources/kinds/workflowtemplate.js';
import { WORKFLOWS, WORKFLOW_TEMPLATES } from '../workflows/refs.js';
import { isApprovals, orderApprovalRows, orderApprovals } from '../get/approval-order.js';

export class GetCommand extends ApiCommand {
  static override paths = [['get']];
  static override synopsis = '(TYPE[.GROUP] [NAME...] | TYPE/NAME...)';
  static override usage = Command.Usage({
    description: 'Display one or many resources',
    details: `
      Prints a table of the most important information about the specified resources, from the server's printer columns
      (priority columns only with \`-o wide\`). Filter with a label selector (\`-l\`) or a field selector, list across all
      namespaces with \`-A\`, and watch for changes with \`-w\`.

      Use "sidekick api-resources" for a complete list of supported resources. Types accept plural, singular, kind and
      short names; \`all\` lists every kind in the \`all\` category.

      Approvals are listed with the pending ones first (those waiting for an answer, oldest on top), then the settled
      ones by creation time, unless \`--sort-by\` says otherwise. \`--pending\` lists only the pending ones (the same as
      \`--field-selector status.phase=Pending\`).
    `,
    examples: [
      ['List all runs in the current namespace', 'sidekick get runs'],
      ['List runs with more columns and their labels', 'sidekick get runs -o wide --show-labels'],
      ['Print one run as YAML', 'sidekick get run hello -o yaml'],
      ['Print each run name and phase', `sidekick get runs -o jsonpath='{range .items[*]}{.metadata.name}{"\\t"}{.status.phase}{"\\n"}{end}'`],
      ['Custom columns', 'sidekick get runs -o custom-columns=NAME:.metadata.name,PHASE:.status.phase'],
      ['Watch runs with the team=auth label', 'sidekick get runs -l team=auth -w'],
      ['List several kinds at once', 'sidekick get runs,sessions'],
      ['List the approvals waiting for an answer', 'sidekick get approvals --pending'],
    ],
  });

  output = Option.String('-o,--output', { description: 'Output format: json|yaml|name|wide|jsonpath=...|jsonpath-file=...|custom-columns=...|custom-columns-file=...' });
  watch = Option.Boolean('-w,--watch', false, { description: 'After listing the requested objects, watch for changes' });
  watchOnly = Option.Boolean('--watch-only', false, { description: 'Watch for changes without listing first' });
  outputWatchEvents = Option.Boolean('--output-watch-events', false, { description: 'Output watch event objects (adds an EVENT column)' });
  selector = Option.String('-l,--selector', { description: 'Label selector to filter on (e.g. -l key1=value1,key2 in (a,b))' });
  fieldSelector = Option.String('--field-selector', { description: 'Field selector to filter on (e.g. --field-selector metadata.name=x)' });
  pending = Option.Boolean('--pending', false, { description: 'With approvals: only those waiting for a decision (status.phase=Pending)' });
  allNamespaces = Option.Boolean('-A,--all-namespaces', false, { description: 'List the requested objects across all namespaces' });
  showLabels = Option.Boolean('--show-labels', false, { description: 'Show all labels as the last column' });
  labelColumns = Option.Array('-L,--label-columns', [], { description: 'Labels to present as columns (repeatable or comma-separated)' });
  sortBy = Option.String('--sort-by', { description: 'Sort list by this JSONPath expression (e.g. .metadata.name)' });
  noHeaders = Option.Boolean('--no-headers', false, { description: 'Do not print headers' });
  chunkSize = Option.String('--chunk-size', '500', { description: 'Return large lists in chunks of this size (0 disables chunking)' });
  showManagedFields = Option.Boolean('--show-managed-fields', false, { description: 'Keep metadata.managedFields in json and yaml output' });
  ignoreNotFound = Option.Boolean('--ignore-not-found', false, { description: 'Treat "resource not found" as a successful retrieval' });
  args = Option.Rest();

  async execute(): Promise<number> {
    if (this.args.length === 0) {
      throw new UsageError('You must specify the type of resource to get. Use "sidekick api-resources" for a complete list of supported resources.');
    }
    const format: OutputFormat = this.output
      ? await (await import('../printers/output-format.js')).parseOutputFormat(this.output, this.context.cwd)
      : { type: 'table', wide: false };
    const targets = await parseResourceArgs(this.resolver(), this.args);
    if (this.pending) {
      if (!targets.every((t) => isApprovals(t.ref))) throw new UsageError('--pending goes with approvals only');
      this.fieldSelector = [this.fieldSelector, 'status.phase=Pending'].filter(Boolean).join(',');
    }
    const named = targets.some((t) => t.names.length > 0);
    if (this.allNamespaces && named) throw new UsageError('a resource cannot be retrieved by name across all namespaces');
    const watching = this.watch || this.watchOnly;
    const count = targets.reduce((n, t) => n + Math.max(1, t.names.length), 0);
    if (watching && count !== 1) throw new UsageError(`watch is only supported on individual resources and resource collections, but ${count} resources were found`);

    // One workflow in the default format: its phase tree, as `argo get` shows it.
    if (format.type === 'table' && !watching && targets.length === 1 && targets[0].ref.plural === 'workflows' && targets[0].names.length === 1) {
      return this.printWorkflowTree(targets[0].names[0]!);
    }
    const writer = new TabWriter({ ...TABLE_LAYOUT, rememberWidths: watching });
    let resourceVersion: string | undefined;
    let columns: Table['columnDefinitions'] = [];
    let errors = 0;
    let printed = 0;
    if (!this.watchOnly) {
      const listed = format.type === 'table' ? await this.printTables(targets, format.wide, writer) : await this.printObjects(targets, format);
      errors = listed.errors;
      resourceVersion = listed.resourceVersion;
      columns = listed.columns;
      printed = listed.printed;
    } else if (!targets[0].names.length) {
      // Like kubectl: start from the current resourceVersion so existing objects are not replayed as ADDED.
      const list = await this.client().list(targets[0].ref, { ...this.listOptions(), limit: 1 });
      resourceVersion = list.metadata?.resourceVersion;
    }
    if (watching && errors === 0) {
      const { watchAndPrint } = await import('../get/watch-printer.js');
      await watchAndPrint({
        client: this.client(),
        target: targets[0],
        namespace: this.targetNamespace,
        format,
        writer,
        columns,
        resourceVersion,
        printHeaders: !this.noHeaders && printed === 0,
        tableOptions: this.tableOptions(false),
        outputWatchEvents: this.outputWatchEvents,
        labelSelector: this.selector,
        fieldSelector: this.fieldSelector,
        signal: this.context.signal,
        write: (s) => this.context.stdout.write(s),
      });
    }
    if (errors > 0) throw new ExitCodeError(1);
    return 0;
  }

  private async printWorkflowTree(name: string): Promise<number> {
    const { renderWorkflowTree } = await import('../printers/workflow-tree.js');
    const client = this.client();
    let workflow: Workflow;
    try {
      workflow = await client.get<Workflow>(WORKFLOWS, this.namespace, name);
    } catch (err) {
      if (!isStatusError(err)) throw err;
      this.reportError(err);
      if (this.ignoreNotFound && err.reason === 'NotFound') return 0;
      throw new ExitCodeError(1);
    }
    const ref = workflow.spec.templateRef;
    const template = workflow.spec.template ?? (ref ? (await client.get<WorkflowTemplate>(WORKFLOW_TEMPLATES, this.namespace, ref.name).catch(() => undefined))?.spec : undefined);
    this.context.stdout.write(renderWorkflowTree(workflow, template));
    return 0;
  }

  private get targetNamespace(): string | undefined {
    return this.allNamespaces ? undefined : this.namespace;
  }

  private get labelColumnList(): string[] {
    return this.labelColumns.flatMap((l) => l.split(',')).filter(Boolean);
  }

  private tableOptions(withKind: boolean, target?: ResourceTarget) {
    return {
      noHeaders: this.noHeaders,
      showLabels: this.showLabels,
      labelColumns: this.labelColumnList,
      allNamespaces: this.allNamespaces,
      namePrefix: withKind && target ? `${kindGroup(target.ref)}/` : undefined,
    };
  }

  private reportError(err: unknown): void {
    if (this.ignoreNotFound && isStatusError(err) && err.reason === 'NotFound') return;
    this.err(formatError(err));
  }

  private noResources(targets: ResourceTarget[]): void {
    const namespaced = targets.some((t) => t.ref.namespaced);
    this.err(this.allNamespaces || !namespaced ? 'No resources found' : `No resources found in ${this.namespace} namespace.`);
  }

  private async printTables(targets: ResourceTarget[], wide: boolean, writer: TabWriter) {
    const client = this.client();
    const withKind = targets.length > 1;
    const includeObject = this.sortBy ? ('Object' as const) : undefined;
    let errors = 0;
    let rows = 0;
    let printed = 0;
    let resourceVersion: string | undefined;
    let columns: Table['columnDefinitions'] = [];
    for (const target of targets) {
      let table: Table | undefined;
      const add = (t: Table): void => {
        if (!table) table = t;
        else table.rows.push(...t.rows);
        resourceVersion = t.metadata?.resourceVersion ?? resourceVersion;
      };
      errors += await this.fetch(
        target,
        async (name) => add(await client.table(target.ref, { namespace: this.targetNamespace, name, includeObject })),
        async (cont) => {
          const t = await client.table(target.ref, { ...this.listOptions(), continue: cont, includeObject });
          add(t);
          return t.metadata?.continue;
        },
      );
      if (!table) continue;
      columns = table.columnDefinitions;
      if (this.sortBy) {
        const { sortByJsonPath } = await import('../printers/sort.js');
        table.rows = sortByJsonPath(table.rows, this.sortBy, (r) => r.object);
      } else if (isApprovals(target.ref) && !target.names.length) {
        table.rows = orderApprovalRows(table);
      }
      rows += table.rows.length;
      if (table.rows.length === 0) continue;
      if (printed++ > 0) this.context.stdout.write('\n');
      this.context.stdout.write(printTable(table, { ...this.tableOptions(withKind, target), wide }, writer));
    }
    if (rows === 0 && errors === 0 && !this.watch && !targets.some((t) => t.names.length)) this.noResources(targets);
    return { errors, resourceVersion, columns, printed: rows };
  }

  /**
   * Fetches a target: each named object (a failure is reported as kubectl does and counted,
   * unless --ignore-not-found covers it), or every page of the list. Returns the errors.
   */
  private async fetch(target: ResourceTarget, one: (name: string) => Promise<void>, page: (cont: string | undefined) => Promise<string | undefined>): Promise<number> {
    let errors = 0;
    if (target.names.length) {
      for (const name of target.names) {
        try {
          await one(name);
        } catch (err) {
          if (!isStatusError(err)) throw err;
          this.reportError(err);
          if (!(this.ignoreNotFound && err.reason === 'NotFound')) errors++;
        }
      }
      return errors;
    }
    let cont: string | undefined;
    do cont = (await page(cont)) || undefined;
    while (cont);
    return errors;
  }

  private listOptions() {
    const chunk = Number(this.chunkSize);
    if (!Number.isInteger(chunk) || chunk < 0) throw new UsageError(`invalid argument "${this.chunkSize}" for "--chunk-size" flag: must be a non-negative integer`);
    return { namespace: this.targetNamespace, labelSelector: this.selector, fieldSelector: this.fieldSelector, limit: chunk || undefined };
  }

  private async printObjects(targets: ResourceTarget[], format: Exclude<OutputFormat, { type: 'table' }>) {
    const client = this.client();
    const objects: KubeObject[] = [];
    const refOf = new Map<KubeObject, ResourceTarget>();
    let errors = 0;
    let resourceVersion: string | undefined;
    for (const target of targets) {
      const withType = (o: KubeObject): KubeObject => {
        const obj = { ...o, apiVersion: o.apiVersion ?? `${target.ref.group ? `${target.ref.group}/` : ''}${target.ref.version}`, kind: o.kind ?? target.ref.kind };
        refOf.set(obj, target);
        return obj;
      };
      errors += await this.fetch(
        target,
        async (name) => void objects.push(withType(await client.get(target.ref, this.targetNamespace, name))),
        async (cont) => {
          const list = await client.list(target.ref, { ...this.listOptions(), continue: cont });
          objects.push(...list.items.map(withType));
          resourceVersion = list.metadata?.resourceVersion ?? resourceVersion;
          return list.metadata?.continue;
        },
      );
    }
    let sorted = objects;
    if (this.sortBy) {
      const { sortByJsonPath } = await import('../printers/sort.js');
      sorted = sortByJsonPath(objects, this.sortBy, (o) => o);
    } else if (targets.length === 1 && isApprovals(targets[0].ref) && !targets[0].names.length) {
      sorted = orderApprovals(objects);
    }
    const { printObjects, withoutManagedFields } = await import('../printers/output-format.js');
    if (!this.showManagedFields) sorted = sorted.map((o) => {
      const shown = withoutManagedFields(o);
      refOf.set(shown, refOf.get(o)!);
      return shown;
    });
    const single = targets.length === 1 && targets[0].names.length === 1;
    if (sorted.length === 0 && errors === 0 && !this.watch && (format.type === 'name' || format.type === 'custom-columns')) {
      this.noResources(targets);
    } else if (sorted.length > 0 || (format.type !== 'name' && format.type !== 'custom-columns' && !single && errors === 0)) {
      this.context.stdout.write(
        await printObjects(format, sorted, { single, noHeaders: this.noHeaders, nameOf: (o) => `${kindGroup(refOf.get(o)!.ref)}/${o.metadata.name}` }),
      );
    }
    return { errors, resourceVersion, columns: [] as Table['columnDefinitions'], printed: sorted.length };
  }
}
