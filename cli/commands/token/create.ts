/**
 * `sidekick token create --as NAME --role ROLE`: issue a token for another identity (owner only);
 * `sidekick token create --node NAME [--ttl 1h]`: a one-time registration token for a runtime node.
 */
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../../base-command.js';

const ROLES = ['Owner', 'Collaborator', 'Viewer', 'RuntimeContributor'];

export class TokenCreateCommand extends ApiCommand {
  static override paths = [['token', 'create']];
  static override usage = Command.Usage({
    category: 'Access',
    description: 'Issue a bearer token for an identity with a role',
    details: `
      Asks the daemon to issue a token for the identity NAME with ROLE (${ROLES.join(', ')}) and prints the token — once:
      the daemon keeps only its SHA-256 digest (in \`tokens.json\`, mode 0600), so it cannot be shown again. One token per
      identity: revoke it (\`sidekick token revoke NAME\`) to issue another. Only the owner may issue tokens.

      Use the token with \`--token\`, \`SIDEKICK_TOKEN\` (over the local socket too) or as a kubeconfig user's token; every
      request then acts as NAME, is authorized by NAME's role, and is recorded as NAME's (the creator of what it creates,
      the decider of the approvals it decides).

      With \`--node NAME\` (on a control plane), prints a one-time registration token for the runtime node NAME instead:
      \`sidekick serve --url URL --name NAME --token TOKEN\` registers the machine with it, once, within \`--ttl\` (default 1h).
      The token carries the control plane's fingerprint, so the node checks the server before it sends the secret; the
      node becomes yours (its RuntimeNode's spec.owner is the token's creator).
    `,
    examples: [
      ['A registration token for the runtime node laptop-1 (control plane)', 'sidekick token create --node laptop-1 --ttl 2h'],
      ['A read-only identity', 'sidekick token create --as bob --role Viewer'],
      ['Act as it', 'SIDEKICK_TOKEN=$(sidekick token create --as carol --role Collaborator) sidekick get runs'],
    ],
  });

  as = Option.String('--as', { description: 'The identity name (letters, digits, . _ @ -)' });
  role = Option.String('--role', { description: `One of ${ROLES.join(', ')}` });
  node = Option.String('--node', { description: 'Instead: a one-time registration token for the runtime node NAME' });
  ttl = Option.String('--ttl', { description: 'With --node: how long the token can be used, e.g. 1h, 30m (default 1h)' });

  async execute(): Promise<number> {
    if (this.node !== undefined) return this.nodeToken(this.node);
    if (this.ttl !== undefined) throw new UsageError('--ttl goes with --node');
    const asked = this.role;
    if (this.as === undefined || asked === undefined) {
      const missing = [this.as === undefined ? '"as"' : '', asked === undefined ? '"role"' : ''].filter(Boolean);
      throw new UsageError(`required flag(s) ${missing.join(', ')} not set`);
    }
    const role = ROLES.find((r) => r.toLowerCase() === asked.toLowerCase());
    if (!role) throw new UsageError(`--role must be one of ${ROLES.join(', ')}; got "${this.role}"`);
    const { TOKENS } = await import('../../auth/refs.js');
    const created = await this.client().create<{ apiVersion: string; kind: string; metadata: { name: string }; status?: { token?: string } }>(TOKENS, undefined, {
      apiVersion: 'auth.sidekicks.dev/v1alpha1',
      kind: 'Token',
      metadata: { name: this.as },
      spec: { role },
    });
    const token = created.status?.token;
    if (!token) throw new Error('the server answered without a token');
    // Only the token on stdout, so $(sidekick token create …) captures it, as `kubectl create token`.
    this.out(token);
    return 0;
  }

  private async nodeToken(node: string): Promise<number> {
    if (this.as !== undefined || this.role !== undefined) throw new UsageError('--node cannot be combined with --as or --role');
    if (!/^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/.test(node)) throw new UsageError(`--node: "${node}" is not a node name (lower-case letters, digits, - and .)`);
    const { RUNTIME_API_PREFIX } = await import('../../../api/runtime/protocol.js');
    const created = await this.client().call<{ token?: string }>('POST', `${RUNTIME_API_PREFIX}/tokens`, { body: { node, ...(this.ttl !== undefined ? { ttl: this.ttl } : {}) } });
    if (!created.token) throw new Error('the server answered without a token');
    this.out(created.token);
    return 0;
  }
}
