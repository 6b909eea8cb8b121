/** `sidekick token list`: the identities that hold tokens, with their roles (owner only). */
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../../base-command.js';

interface TokenObject {
  metadata: { name: string; creationTimestamp?: string };
  spec: { role: string };
}

export class TokenListCommand extends ApiCommand {
  static override paths = [['token', 'list']];
  static override usage = Command.Usage({
    category: 'Access',
    description: 'List the identities that hold tokens',
    details: 'Prints NAME, ROLE and AGE of every identity the owner issued a token to. Tokens themselves are never shown again.',
    examples: [
      ['List them', 'sidekick token list'],
      ['As YAML', 'sidekick token list -o yaml'],
    ],
  });

  output = Option.String('-o,--output', { description: 'json, yaml or name' });

  async execute(): Promise<number> {
    if (this.output && !['json', 'yaml', 'name'].includes(this.output)) throw new UsageError(`--output must be 'json', 'yaml' or 'name'`);
    const { TOKENS } = await import('../../auth/refs.js');
    const list = await this.client().list(TOKENS);
    const items = list.items as unknown as TokenObject[];
    if (this.output === 'json' || this.output === 'yaml') {
      const { toJson, toYaml } = await import('../../printers/output-format.js');
      this.context.stdout.write(this.output === 'json' ? toJson(list) : await toYaml(list));
      return 0;
    }
    if (this.output === 'name') {
      for (const t of items) this.out(`token.auth.sidekicks.dev/${t.metadata.name}`);
      return 0;
    }
    if (items.length === 0) {
      this.err('No resources found');
      return 0;
    }
    const { alignRows } = await import('../../printers/tabwriter.js');
    const { humanDuration } = await import('../../printers/age.js');
    const now = Date.now();
    const rows = items.map((t) => [t.metadata.name, t.spec.role, t.metadata.creationTimestamp ? humanDuration(now - Date.parse(t.metadata.creationTimestamp)) : '<unknown>']);
    this.context.stdout.write(alignRows([['NAME', 'ROLE', 'AGE'], ...rows]));
    return 0;
  }
}
