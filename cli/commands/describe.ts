/** `sidekick describe`: show the details of resources, with their conditions and events. */
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../base-command.js';
import { ExitCodeError, formatError, isStatusError } from '../errors.js';
import { parseResourceArgs } from '../resource-args.js';
import type { KubeObject } from '../../resources/meta.js';
import type { ResolvedResource } from '../resource-resolver.js';

export class DescribeCommand extends ApiCommand {
  static override paths = [['describe']];
  static override synopsis = '(TYPE [NAME_PREFIX] | TYPE/NAME)';
  static override usage = Command.Usage({
    description: 'Show details of a specific resource or group of resources',
    details: `
      Prints the object's metadata, spec and status with nested fields indented, the status conditions as a table, and
      the Events recorded about it (ages like \`3m (x5 over 10m)\` for repeated events). Without a name, every object of
      the type (filtered by \`-l\`) is described.
    `,
    examples: [
      ['Describe a run', 'sidekick describe run hello'],
      ['Describe every run with a label', 'sidekick describe runs -l team=auth'],
    ],
  });

  selector = Option.String('-l,--selector', { description: 'Label selector' });
  allNamespaces = Option.Boolean('-A,--all-namespaces', false, { description: 'Across all namespaces' });
  showEvents = Option.Boolean('--show-events', true, { description: 'Show the events of each object (default true)' });
  args = Option.Rest();

  async execute(): Promise<number> {
    const groups = await parseResourceArgs(this.resolver(), this.args);
    if (groups.length === 0) throw new UsageError('You must specify the type of resource to describe. Use "sidekick api-resources" for a complete list of supported resources.');
    const { describeObject } = await import('../describe/describer.js');
    const client = this.client();
    const namespace = this.allNamespaces ? undefined : this.namespace;
    const found: { ref: ResolvedResource; obj: KubeObject }[] = [];
    let failed = 0;
    for (const g of groups) {
      if (g.names.length === 0) {
        const list = await client.list(g.ref, { namespace, labelSelector: this.selector });
        for (const obj of list.items) found.push({ ref: g.ref, obj });
        continue;
      }
      for (const name of g.names) {
        try {
          found.push({ ref: g.ref, obj: await client.get(g.ref, namespace, name) });
        } catch (err) {
          if (!isStatusError(err)) throw err;
          this.err(formatError(err));
          failed++;
        }
      }
    }
    if (found.length === 0 && failed === 0) {
      this.err(this.allNamespaces ? 'No resources found' : `No resources found in ${this.namespace} namespace.`);
      return 0;
    }
    let first = true;
    for (const { ref, obj } of found) {
      const events = this.showEvents ? await this.eventsFor(ref, obj) : undefined;
      this.context.stdout.write(`${first ? '' : '\n\n'}${describeObject(obj, events)}`);
      first = false;
    }
    if (failed) throw new ExitCodeError(1);
    return 0;
  }

  private async eventsFor(ref: ResolvedResource, obj: KubeObject) {
    const ns = obj.metadata.namespace;
    const path = ns ? `/api/v1/namespaces/${encodeURIComponent(ns)}/events` : '/api/v1/events';
    try {
      const list = await this.client().raw<{ items?: import('../describe/describer.js').CoreEvent[] }>(path, { fieldSelector: `involvedObject.name=${obj.metadata.name}` });
      return (list.items ?? []).filter((e) => !e.involvedObject?.kind || e.involvedObject.kind === ref.kind);
    } catch (err) {
      if (isStatusError(err) && err.reason === 'NotFound') return [];
      throw err;
    }
  }
}
