/** `sidekick api-resources`: the resource types the server serves, from discovery. */
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../base-command.js';
import { alignRows } from '../printers/tabwriter.js';

export class ApiResourcesCommand extends ApiCommand {
  static override paths = [['api-resources']];
  static override usage = Command.Usage({
    description: 'Print the supported API resources on the server',
    details: `
      Lists every resource type with its short names, API version, scope and kind, as discovery reports them. The
      names in the first column, their singular forms, kinds and short names are all accepted by the other commands.
    `,
    examples: [
      ['List every resource type', 'sidekick api-resources'],
      ['Only namespaced types, with verbs and categories', 'sidekick api-resources --namespaced=true -o wide'],
    ],
  });

  namespaced = Option.String('--namespaced', { description: 'true: only namespaced types; false: only cluster-scoped ones' });
  apiGroup = Option.String('--api-group', { description: 'Only types in this API group' });
  output = Option.String('-o,--output', { description: 'wide or name' });
  noHeaders = Option.Boolean('--no-headers', false, { description: 'Do not print headers' });
  sortBy = Option.String('--sort-by', { description: 'name or kind' });
  verbs = Option.Array('--verbs', [], { description: 'Only types supporting these verbs' });

  async execute(): Promise<number> {
    if (this.output && this.output !== 'wide' && this.output !== 'name') throw new UsageError(`--output ${this.output} is not available`);
    let resources = await this.resolver().all();
    if (this.namespaced !== undefined) resources = resources.filter((r) => String(r.namespaced) === this.namespaced);
    if (this.apiGroup !== undefined) resources = resources.filter((r) => r.group === this.apiGroup);
    const verbs = this.verbs.flatMap((v) => v.split(','));
    if (verbs.length) resources = resources.filter((r) => verbs.every((v) => r.verbs.includes(v)));
    // kubectl's order: by group (core first), then by name — or by kind with --sort-by=kind.
    const key = (r: (typeof resources)[number]): string => (this.sortBy === 'kind' ? r.kind : `${r.group}\u0000${r.plural}`);
    resources = [...resources].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    if (this.output === 'name') {
      for (const r of resources) this.out(r.group ? `${r.plural}.${r.group}` : r.plural);
      return 0;
    }
    const wide = this.output === 'wide';
    const rows: string[][] = [];
    if (!this.noHeaders) rows.push(['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND', ...(wide ? ['VERBS', 'CATEGORIES'] : [])]);
    for (const r of resources) {
      const row = [r.plural, r.shortNames.join(','), r.group ? `${r.group}/${r.version}` : r.version, String(r.namespaced), r.kind];
      if (wide) row.push([...r.verbs].sort().join(','), r.categories.join(','));
      rows.push(row);
    }
    this.context.stdout.write(alignRows(rows));
    return 0;
  }
}
