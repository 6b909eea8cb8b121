/** `sidekick config use-context NAME`: make NAME the kubeconfig's current context. */
import { Command, Option, UsageError } from 'clipanion';
import { KubeconfigCommand } from '../../kubeconfig/kubeconfig-command.js';

export class ConfigUseContextCommand extends KubeconfigCommand {
  static override paths = [['config', 'use-context']];
  static override usage = Command.Usage({
    description: 'Set the current-context in a kubeconfig file',
    details: 'Every later command talks to the server of that context (its token, CA and namespace too), unless `--server`, `$SIDEKICK_SERVER` or `--context` say otherwise.',
    examples: [
      ['Talk to the team control plane', 'sidekick config use-context team'],
      ['Back to the local daemon', 'sidekick config use-context daemon'],
    ],
  });

  name = Option.String({ name: 'NAME' });

  async execute(): Promise<number> {
    const location = await this.location();
    const config = await this.load(location);
    if (!config.contexts.some((c) => c.name === this.name)) throw new UsageError(`no context exists with the name: "${this.name}"`);
    config['current-context'] = this.name;
    await this.save(location, config);
    this.out(`Switched to context "${this.name}".`);
    return 0;
  }
}
