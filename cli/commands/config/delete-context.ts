/** `sidekick config delete-context NAME`: remove a context (and the cluster and user named after it). */
import { Command, Option, UsageError } from 'clipanion';
import { KubeconfigCommand } from '../../kubeconfig/kubeconfig-command.js';

export class ConfigDeleteContextCommand extends KubeconfigCommand {
  static override paths = [['config', 'delete-context']];
  static override usage = Command.Usage({
    description: 'Delete the specified context from the kubeconfig',
    details: `
      Also removes the cluster and user named after the context (those \`set-context\` made) when no other context uses
      them, so its token goes with it. Deleting the current context unsets current-context: commands then talk to the
      local daemon's socket until \`use-context\` picks another.
    `,
    examples: [['Delete the context of the team control plane', 'sidekick config delete-context team']],
  });

  name = Option.String({ name: 'NAME' });

  async execute(): Promise<number> {
    const { deleteContext } = await import('../../kubeconfig/kubeconfig-edit.js');
    const location = await this.location();
    const config = await this.load(location);
    const { deleted, wasCurrent } = deleteContext(config, this.name);
    if (!deleted) throw new UsageError(`cannot delete context ${this.name}, not in ${location.path}`);
    await this.save(location, config);
    if (wasCurrent) this.err('warning: this removed your active context, use "sidekick config use-context" to select a different one');
    this.out(`deleted context ${this.name} from ${location.path}`);
    return 0;
  }
}
