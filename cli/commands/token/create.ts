/** `sidekick token create --as NAME --role ROLE`: issue a token for another local identity (owner only). */
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
    `,
    examples: [
      ['A read-only identity', 'sidekick token create --as bob --role Viewer'],
      ['Act as it', 'SIDEKICK_TOKEN=$(sidekick token create --as carol --role Collaborator) sidekick get runs'],
    ],
  });

  as = Option.String('--as', { required: true, description: 'The identity name (letters, digits, . _ @ -)' });
  role = Option.String('--role', { required: true, description: `One of ${ROLES.join(', ')}` });

  async execute(): Promise<number> {
    const role = ROLES.find((r) => r.toLowerCase() === this.role.toLowerCase());
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
}
