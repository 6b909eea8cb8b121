/** `sidekick config view`: print the kubeconfig, tokens and key data hidden unless --raw, as `kubectl config view` does. */
import { Command, Option, UsageError } from 'clipanion';
import { KubeconfigCommand } from '../../kubeconfig/kubeconfig-command.js';

export class ConfigViewCommand extends KubeconfigCommand {
  static override paths = [['config', 'view']];
  static override usage = Command.Usage({
    description: 'Display the kubeconfig',
    details: `
      Prints the kubeconfig (\`--kubeconfig\`, \`$SIDEKICK_KUBECONFIG\`, else \`kubeconfig\` in the home). Tokens and
      passwords show as REDACTED and certificate and key data as DATA+OMITTED unless \`--raw\`; \`--minify\` keeps only
      the current context with its cluster and user.
    `,
    examples: [
      ['Show it', 'sidekick config view'],
      ['The current context only, with its token', 'sidekick config view --minify --raw'],
      ['As JSON', 'sidekick config view -o json'],
    ],
  });

  raw = Option.Boolean('--raw', false, { description: 'Show tokens and certificate data' });
  minify = Option.Boolean('--minify', false, { description: 'Only the current context, its cluster and its user' });
  output = Option.String('-o,--output', 'yaml', { description: 'yaml or json' });

  async execute(): Promise<number> {
    if (this.output !== 'yaml' && this.output !== 'json') throw new UsageError(`unable to match a printer suitable for the output format "${this.output}", allowed formats are: json,yaml`);
    const { minified, redacted } = await import('../../kubeconfig/kubeconfig-edit.js');
    const { toJson, toYaml } = await import('../../printers/output-format.js');
    let config = await this.load(await this.location());
    if (this.minify) {
      try {
        config = minified(config);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
    }
    if (!this.raw) config = redacted(config);
    const doc = { apiVersion: 'v1', kind: 'Config', preferences: {}, ...config };
    this.context.stdout.write(this.output === 'json' ? toJson(doc) : await toYaml(doc));
    return 0;
  }
}
