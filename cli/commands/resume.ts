/** `sidekick resume run/NAME`: resumes a paused run (spec.suspend: false). */
import { Command, Option } from 'clipanion';
import { ApiCommand } from '../base-command.js';
import { PrintedError } from '../errors.js';
import { RUNS } from '../journal/read.js';
import { refuseEnded, patchSuspend, runName, type RunSummary } from '../interventions/request.js';

export class ResumeCommand extends ApiCommand {
  static override paths = [['resume']];
  static override usage = Command.Usage({
    category: 'Interventions',
    description: 'Resume a paused run',
    details: `
      Sets \`spec.suspend: false\`. The run controller starts the driver again from the saved transcript and the run
      continues where it stopped — after a daemon restart too. Text steered while it was paused is its next user
      message. Like \`kubectl rollout resume\`, resuming a run that is not paused is an error.
    `,
    examples: [['Resume run fix-login', 'sidekick resume run/fix-login']],
  });

  target = Option.String({ name: 'run/NAME' });

  async execute(): Promise<number> {
    const name = runName(this.target);
    const run = await this.client().get<RunSummary>(RUNS, this.namespace, name);
    refuseEnded(run, 'resume');
    if (!run.spec.suspend) throw new PrintedError(`error: run.sidekicks.dev "${name}" is not paused`);
    await patchSuspend(this.client(), this.namespace, run, false);
    this.out(`run.sidekicks.dev/${name} resumed`);
    return 0;
  }
}
