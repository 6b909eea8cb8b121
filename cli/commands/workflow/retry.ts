/** `sidekick workflow retry NAME [--from PHASE]`: new attempts of failed phases, or from one phase on. */
import { Command, Option } from 'clipanion';
import { ApiCommand } from '../../base-command.js';
import { PrintedError } from '../../errors.js';
import type { Workflow } from '../../../resources/kinds/workflow.js';
import { RETRY_ANNOTATION, WORKFLOWS, workflowName } from '../../workflows/refs.js';

export class WorkflowRetryCommand extends ApiCommand {
  static override paths = [['workflow', 'retry']];
  static override usage = Command.Usage({
    category: 'Workflows',
    description: 'Retry a workflow from where it failed',
    details: `
      Starts new attempts of the workflow's failed phases and lets everything after them run again; phases that
      succeeded keep their results. With \`--from PHASE\` the new attempts start at that phase (and every phase that
      depends on it), whether it failed or not. Attempts are recorded: the earlier runs stay, each new run is the next
      attempt. Like \`argo retry\`.
    `,
    examples: [
      ['Retry the failed phases of workflow review-x7k2', 'sidekick workflow retry review-x7k2'],
      ['Run implement and everything after it again', 'sidekick workflow retry review-x7k2 --from implement'],
    ],
  });

  from = Option.String('--from', { description: 'The phase to start the new attempts at' });
  target = Option.String({ name: 'workflow/NAME' });

  async execute(): Promise<number> {
    const name = workflowName(this.target);
    const client = this.client();
    const wf = await client.get<Workflow>(WORKFLOWS, this.namespace, name);
    const phases = wf.status?.phases ?? {};
    if (this.from !== undefined && !(this.from in phases) && !(wf.spec.template?.phases ?? []).some((p) => p.name === this.from)) {
      throw new PrintedError(`error: workflow.sidekicks.dev "${name}" has no phase "${this.from}"`);
    }
    if (this.from === undefined && wf.status?.phase !== 'Failed') {
      throw new PrintedError(`error: workflow.sidekicks.dev "${name}" has not failed (${wf.status?.phase ?? 'Pending'}); use --from PHASE to run a phase again`);
    }
    await client.patch(WORKFLOWS, this.namespace, name, 'merge', { metadata: { annotations: { [RETRY_ANNOTATION]: this.from ?? '*' } } }, { fieldManager: 'sidekick' });
    this.out(`workflow.sidekicks.dev/${name} retried${this.from ? ` from ${this.from}` : ''}`);
    return 0;
  }
}
