/** `sidekick workflow stop NAME`: no new phases start; running ones finish (spec.suspend: true). */
import { Command, Option } from 'clipanion';
import { ApiCommand } from '../../base-command.js';
import { workflowName } from '../../workflows/refs.js';
import { setSuspend } from '../../workflows/suspend.js';

export class WorkflowStopCommand extends ApiCommand {
  static override paths = [['workflow', 'stop']];
  static override usage = Command.Usage({
    category: 'Workflows',
    description: 'Stop a workflow after its running phases',
    details: `
      Sets \`spec.suspend: true\`: phases that are running finish, no new phase starts, and the workflow shows
      \`Suspended\`. \`sidekick workflow resume\` carries on from there.
    `,
    examples: [['Stop workflow review-x7k2', 'sidekick workflow stop review-x7k2']],
  });

  target = Option.String({ name: 'workflow/NAME' });

  async execute(): Promise<number> {
    const name = workflowName(this.target);
    await setSuspend(this.client(), this.namespace, name, true);
    this.out(`workflow.sidekicks.dev/${name} stopped`);
    return 0;
  }
}
