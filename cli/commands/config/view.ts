/** `sidekick config view`: print the kubeconfig written by `sidekick config`, token redacted unless --raw. */
import { Command, Option, UsageError } from 'clipanion';
import { SidekickCommand } from '../../base-command.js';

export class ConfigViewCommand extends SidekickCommand {
  static override paths = [['config', 'view']];
  static override usage = Command.Usage({
    description: 'Show the kubeconfig for the daemon',
    details: 'Prints the kubeconfig in the home directory; the bearer token shows as REDACTED unless `--raw`, as in `kubectl config view`.',
    examples: [['Show it', 'sidekick config view'], ['Show it with the token', 'sidekick config view --raw']],
  });

  home = Option.String('--home', { description: 'Sidekick home directory (default: $SIDEKICK_HOME or ~/.sidekick)' });
  raw = Option.Boolean('--raw', false, { description: 'Show the token' });
  output = Option.String('-o,--output', 'yaml', { description: 'yaml or json' });

  async execute(): Promise<number> {
    const { sidekickHome } = await import('../../../api/home.js');
    const { readFile } = await import('node:fs/promises');
    const { resolve } = await import('node:path');
    const { parse } = await import('yaml');
    const { toJson, toYaml } = await import('../../printers/output-format.js');
    const paths = sidekickHome(this.home ? resolve(this.context.cwd, this.home) : undefined, this.context.env);
    let text: string;
    try {
      text = await readFile(paths.kubeconfig, 'utf8');
    } catch {
      throw new UsageError(`no kubeconfig at ${paths.kubeconfig} (write it with: sidekick config)`);
    }
    const doc = parse(text) as { users?: { user?: Record<string, unknown> }[] };
    if (!this.raw) for (const u of doc.users ?? []) if (u.user?.token) u.user.token = 'REDACTED';
    this.context.stdout.write(this.output === 'json' ? toJson(doc) : await toYaml(doc));
    return 0;
  }
}
