/** `sidekick explain`: documentation of a kind or one of its fields, from the kind's schema. */
import { Command, Option, UsageError } from 'clipanion';
import { SidekickCommand } from '../base-command.js';

export class ExplainCommand extends SidekickCommand {
  static override paths = [['explain']];
  static override usage = Command.Usage({
    description: 'Get documentation for a resource',
    details: `
      Prints the description and fields of a kind, or of a field addressed with a dotted path (\`run.spec.budget\`),
      from the same schema the API server validates with. \`--recursive\` prints every nested field name and type.
      Works offline: the schema ships with the CLI.
    `,
    examples: [
      ['Describe the Run kind', 'sidekick explain runs'],
      ['Describe a field', 'sidekick explain run.spec.mode'],
      ['Every field of a run spec', 'sidekick explain run.spec --recursive'],
    ],
  });

  recursive = Option.Boolean('--recursive', false, { description: 'Print the fields of fields, recursively' });
  apiVersion = Option.String('--api-version', { description: 'Use this API version of the kind' });
  output = Option.String('-o,--output', 'plaintext', { description: 'plaintext (the only format)' });
  target = Option.String({ name: 'TYPE[.FIELD...]' });

  async execute(): Promise<number> {
    const { scheme } = await import('../../resources/index.js');
    const { toJsonSchema } = await import('../../resources/json-schema.js');
    const { renderExplain } = await import('../explain/render.js');
    const [type, ...path] = this.target.split('.');
    const def = scheme.resolve(type);
    if (!def || (this.apiVersion && this.apiVersion !== def.apiVersion)) throw new UsageError(`the server doesn't have a resource type "${type}"`);
    const root = toJsonSchema(def.schema);
    const text = renderExplain({ group: def.group, kind: def.kind, version: def.version, root, path, recursive: this.recursive });
    if (!text) throw new UsageError(`field "${path[path.length - 1]}" does not exist`);
    this.context.stdout.write(text);
    return 0;
  }
}
