/** `sidekick patch`: update fields of a resource with a merge or JSON patch. */
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../base-command.js';
import { parseDryRun } from '../apply/dry-run.js';
import { kindGroup } from '../resource-resolver.js';

export class PatchCommand extends ApiCommand {
  static override paths = [['patch']];
  static override synopsis = '(TYPE NAME | TYPE/NAME) -p PATCH';
  static override usage = Command.Usage({
    description: 'Update fields of a resource',
    details: `
      \`--type merge\` (default for our kinds) sends a JSON merge patch (RFC 7386: null deletes a field, lists are
      replaced); \`--type json\` sends a JSON patch (RFC 6902 operations). \`strategic\` is accepted and sent as a merge
      patch, since custom kinds have no strategic merge metadata. The patch may be JSON or YAML.
    `,
    examples: [
      ['Pause a run', `sidekick patch run hello --type merge -p '{"spec":{"suspend":true}}'`],
      ['Remove a label with a JSON patch', `sidekick patch run/hello --type json -p '[{"op":"remove","path":"/metadata/labels/team"}]'`],
    ],
  });

  patch = Option.String('-p,--patch', { description: 'The patch (JSON or YAML)' });
  patchFile = Option.String('--patch-file', { description: 'A file containing the patch' });
  type = Option.String('--type', 'strategic', { description: 'merge, json or strategic (sent as merge)' });
  subresource = Option.String('--subresource', { description: 'Patch this subresource (status)' });
  dryRun = Option.String('--dry-run', { tolerateBoolean: true, description: 'none, client or server' });
  output = Option.String('-o,--output', { description: 'Print the patched object: yaml, json or name' });
  fieldManager = Option.String('--field-manager', 'sidekick-patch', { description: 'Name of the manager recording field ownership' });
  args = Option.Rest();

  async execute(): Promise<number> {
    if (!this.patch && !this.patchFile) throw new UsageError('must specify --patch or --patch-file containing the contents of the patch');
    const type = this.type === 'json' ? 'json' : this.type === 'merge' || this.type === 'strategic' ? 'merge' : undefined;
    if (!type) throw new UsageError(`--type must be one of [json merge strategic], not "${this.type}"`);
    const dryRun = parseDryRun(this.dryRun);
    const { expandTargets } = await import('../object-targets.js');
    const { targets } = await expandTargets({ client: this.client(), resolver: this.resolver(), args: this.args, cwd: this.context.cwd, namespace: this.namespace }, 'resources');
    const text = this.patchFile ? await (await import('node:fs/promises')).readFile((await import('node:path')).resolve(this.context.cwd, this.patchFile), 'utf8') : this.patch!;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      try {
        body = (await import('yaml')).parse(text);
      } catch (err) {
        throw new UsageError(`unable to parse "${text}": ${(err as Error).message.split('\n')[0]}`);
      }
    }
    const suffix = dryRun === 'client' ? ' (dry run)' : dryRun === 'server' ? ' (server dry run)' : '';
    for (const t of targets) {
      const before = await this.client().get(t.ref, t.namespace, t.name);
      if (dryRun === 'client') {
        this.out(`${kindGroup(t.ref)}/${t.name} patched${suffix}`);
        continue;
      }
      const after = await this.client().patch(t.ref, t.namespace, t.name, type, body, { dryRun: dryRun === 'server', fieldManager: this.fieldManager, subresource: this.subresource });
      if (this.output) {
        const { parseOutputFormat, printObjects } = await import('../printers/output-format.js');
        const format = await parseOutputFormat(this.output, this.context.cwd);
        if (format.type !== 'table') {
          this.context.stdout.write(await printObjects(format, [after], { single: true, nameOf: () => `${kindGroup(t.ref)}/${t.name}` }));
          continue;
        }
      }
      const unchanged = after.metadata.resourceVersion === before.metadata.resourceVersion;
      this.out(`${kindGroup(t.ref)}/${t.name} patched${unchanged ? ' (no change)' : ''}${suffix}`);
    }
    return 0;
  }
}
