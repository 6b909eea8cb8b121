/** `sidekick token revoke NAME` / `--node NAME`: the identity's token, or the node's credential, stops working at once (owner only). */
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../../base-command.js';

export class TokenRevokeCommand extends ApiCommand {
  static override paths = [['token', 'revoke']];
  static override usage = Command.Usage({
    category: 'Access',
    description: 'Revoke an identity token',
    details: `
      Removes the identity's token from the daemon: its next request is 401 Unauthorized. What it created keeps its recorded creator.

      With \`--node NAME\` (on a control plane): revokes the runtime node's credential and its unused registration tokens.
      The node's next call — any request with its access token, or its next token exchange — is refused saying it was
      revoked, and its RuntimeNode shows Revoked. To bring the machine back, create a new token for it.
    `,
    examples: [
      ['Revoke bob', 'sidekick token revoke bob'],
      ['Revoke a lost laptop', 'sidekick token revoke --node laptop-1'],
    ],
  });

  name = Option.String({ name: 'NAME', required: false });
  node = Option.String('--node', { description: 'Revoke the runtime node NAME\'s credential instead' });

  async execute(): Promise<number> {
    if (this.node !== undefined) {
      if (this.name !== undefined) throw new UsageError('give either NAME or --node NAME, not both');
      const { RUNTIME_API_PREFIX } = await import('../../../api/runtime/protocol.js');
      await this.client().call('DELETE', `${RUNTIME_API_PREFIX}/nodes/${encodeURIComponent(this.node)}/credential`);
      this.out(`runtimenode "${this.node}" revoked`);
      return 0;
    }
    if (this.name === undefined) throw new UsageError('token revoke needs NAME: sidekick token revoke NAME [options]');
    const { TOKENS } = await import('../../auth/refs.js');
    await this.client().delete(TOKENS, undefined, this.name);
    this.out(`token.auth.sidekicks.dev "${this.name}" revoked`);
    return 0;
  }
}
