/** `sidekick config get-contexts`: kubectl's table of the kubeconfig's contexts, `*` on the current one. */
import { Command, Option, UsageError } from 'clipanion';
import { KubeconfigCommand } from '../../kubeconfig/kubeconfig-command.js';
import { ExitCodeError } from '../../errors.js';

export class ConfigGetContextsCommand extends KubeconfigCommand {
  static override paths = [['config', 'get-contexts']];
  static override usage = Command.Usage({
    description: 'Describe one or many contexts',
    details: `
      Lists the contexts of the kubeconfig (\`--kubeconfig\`, \`$SIDEKICK_KUBECONFIG\`, else \`kubeconfig\` in the home)
      with kubectl's columns: CURRENT (\`*\` on the current context), NAME, CLUSTER, AUTHINFO (the user) and NAMESPACE.
      A name that is not there is an error (exit 1) after the others are listed.

      Commands talk to \`--server\` or \`$SIDEKICK_SERVER\` when given, else to the context named by \`--context\` or
      \`$SIDEKICK_CONTEXT\`, else to the current context, else to the local daemon's socket; the context's namespace is
      their default namespace (\`-n\` and \`$SIDEKICK_NAMESPACE\` still win). A context whose server is \`unix://PATH\`
      (\`set-context --from-daemon\` on a daemon without TCP) is a local daemon's socket: the sidekick CLI uses it,
      kubectl cannot.
    `,
    examples: [
      ['List all the contexts', 'sidekick config get-contexts'],
      ['Describe one context', 'sidekick config get-contexts team'],
      ['Only the names', 'sidekick config get-contexts -o name'],
    ],
  });

  output = Option.String('-o,--output', { description: 'Output format: name' });
  noHeaders = Option.Boolean('--no-headers', false, { description: 'Print no header row' });
  names = Option.Rest({ name: 'NAME' });

  async execute(): Promise<number> {
    if (this.output !== undefined && this.output !== 'name') throw new UsageError(`--output ${this.output} is not available in sidekick config get-contexts (only: name)`);
    const { contextRows } = await import('../../kubeconfig/kubeconfig-edit.js');
    const { alignRows } = await import('../../printers/tabwriter.js');
    const location = await this.location();
    const rows = contextRows(await this.load(location));
    const shown = this.names.length === 0 ? rows : rows.filter((r) => this.names.includes(r.NAME));
    const missing = this.names.filter((n) => !rows.some((r) => r.NAME === n));
    if (this.output === 'name') {
      for (const r of shown) this.out(r.NAME);
    } else {
      const header = this.noHeaders ? [] : [['CURRENT', 'NAME', 'CLUSTER', 'AUTHINFO', 'NAMESPACE']];
      this.context.stdout.write(alignRows([...header, ...shown.map((r) => [r.CURRENT, r.NAME, r.CLUSTER, r.AUTHINFO, r.NAMESPACE])]));
    }
    if (missing.length === 0) return 0;
    for (const name of missing) this.err(`error: context ${name} not found`);
    throw new ExitCodeError(1);
  }
}
