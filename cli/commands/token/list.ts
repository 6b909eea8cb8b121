/** `sidekick token list`: the identities that hold tokens, with their roles; `--nodes`: runtime nodes' credentials and registration tokens (owner only). */
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
    details: `
      Prints NAME, ROLE and AGE of every identity the owner issued a token to. Tokens themselves are never shown again.

      With \`--nodes\` (on a control plane): the runtime nodes' credentials (Registered or Revoked) and the registration
      tokens not yet used (Pending, with when they expire): NODE, OWNER, STATUS, AGE.
    `,
    examples: [
      ['List them', 'sidekick token list'],
      ['Runtime nodes', 'sidekick token list --nodes'],
      ['As YAML', 'sidekick token list -o yaml'],
    ],
  });

  output = Option.String('-o,--output', { description: 'json, yaml or name' });
  nodes = Option.Boolean('--nodes', false, { description: 'List runtime nodes\' credentials and registration tokens instead' });

  async execute(): Promise<number> {
    if (this.output && !['json', 'yaml', 'name'].includes(this.output)) throw new UsageError(`--output must be 'json', 'yaml' or 'name'`);
    if (this.nodes) return this.listNodes();
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

  private async listNodes(): Promise<number> {
    const { RUNTIME_API_PREFIX } = await import('../../../api/runtime/protocol.js');
    const client = this.client();
    const [nodes, tokens] = await Promise.all([
      client.call<{ items: NodeCredential[] }>('GET', `${RUNTIME_API_PREFIX}/nodes`),
      client.call<{ items: RegistrationToken[] }>('GET', `${RUNTIME_API_PREFIX}/tokens`),
    ]);
    if (this.output === 'json' || this.output === 'yaml') {
      const { toJson, toYaml } = await import('../../printers/output-format.js');
      const doc = { nodes: nodes.items, registrationTokens: tokens.items };
      this.context.stdout.write(this.output === 'json' ? toJson(doc) : await toYaml(doc));
      return 0;
    }
    if (this.output === 'name') {
      for (const n of nodes.items) this.out(`runtimenode/${n.node}`);
      return 0;
    }
    if (nodes.items.length + tokens.items.length === 0) {
      this.err('No resources found');
      return 0;
    }
    const { alignRows } = await import('../../printers/tabwriter.js');
    const { humanDuration } = await import('../../printers/age.js');
    const now = Date.now();
    const age = (t: string): string => humanDuration(now - Date.parse(t));
    const rows = [
      ...nodes.items.map((n) => [n.node, n.owner, n.revoked ? 'Revoked' : 'Registered', age(n.registered)]),
      ...tokens.items.map((t) => [t.node ?? '<any>', t.creator, `Pending (token ${t.id}, expires in ${humanDuration(Date.parse(t.expires) - now)})`, age(t.created)]),
    ];
    this.context.stdout.write(alignRows([['NODE', 'OWNER', 'STATUS', 'AGE'], ...rows]));
    return 0;
  }
}

interface NodeCredential {
  node: string;
  owner: string;
  registered: string;
  revoked?: string;
}

interface RegistrationToken {
  id: string;
  node?: string;
  creator: string;
  created: string;
  expires: string;
}
