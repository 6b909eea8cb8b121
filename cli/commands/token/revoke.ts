/** `sidekick token revoke NAME`: the identity's token stops working at once (owner only). */
import { Command, Option } from 'clipanion';
import { ApiCommand } from '../../base-command.js';

export class TokenRevokeCommand extends ApiCommand {
  static override paths = [['token', 'revoke']];
  static override usage = Command.Usage({
    category: 'Access',
    description: 'Revoke an identity token',
    details: 'Removes the identity\'s token from the daemon: its next request is 401 Unauthorized. What it created keeps its recorded creator.',
    examples: [['Revoke bob', 'sidekick token revoke bob']],
  });

  name = Option.String({ name: 'NAME' });

  async execute(): Promise<number> {
    const { TOKENS } = await import('../../auth/refs.js');
    await this.client().delete(TOKENS, undefined, this.name);
    this.out(`token.auth.sidekicks.dev "${this.name}" revoked`);
    return 0;
  }
}
