/** `sidekick workflow resume NAME`: phases start again (spec.suspend: false). */
import { Command, Option } from 'clipanion';
import { ApiCommand } from '../../base-command.js';
import { workflowName } from '../../workflows/refs.js';
import { setSuspend } from '../../workflows/suspend.js';

export class WorkflowResumeCommand extends ApiCommand {
  static override paths = [['workflow', 'resume']];
  static override usage = Command.Usage({
    category: 'Workflows',
    description: 'Resume a stopped workflow',
    details: `
      Sets \`spec.suspend: false\`: the phases whose dependencies are done start again.
    `,
    examples: [['Resume workflow review-x7k2', 'sidekick workflow resume review-x7k2']],
  });

  target = Option.String({ name: 'workflow/NAME' });

  async execute(): Promise<number> {
    const name = workflowName(this.target);
    await setSuspend(this.client(), this.namespace, name, false);
    this.out(`workflow.sidekicks.dev/${name} resumed`);
    return 0;
  }
}
