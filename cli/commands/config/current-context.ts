/** `sidekick config current-context`: the name of the kubeconfig's current context. */
import { Command, UsageError } from 'clipanion';
import { KubeconfigCommand } from '../../kubeconfig/kubeconfig-command.js';

export class ConfigCurrentContextCommand extends KubeconfigCommand {
  static override paths = [['config', 'current-context']];
  static override usage = Command.Usage({
    description: 'Display the current-context',
    details: 'Prints the kubeconfig\'s current-context: the context commands use when neither `--server`, `$SIDEKICK_SERVER`, `--context` nor `$SIDEKICK_CONTEXT` says otherwise. Without one, commands talk to the local daemon\'s socket.',
    examples: [['Display the current-context', 'sidekick config current-context']],
  });

  async execute(): Promise<number> {
    const current = (await this.load(await this.location()))['current-context'];
    if (!current) throw new UsageError('current-context is not set');
    this.out(current);
    return 0;
  }
}
