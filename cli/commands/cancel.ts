/** `sidekick cancel run/NAME [--reason TEXT]`: ends a run Canceled, for good. */
import { Command, Option } from 'clipanion';
import { DEFAULT_OUTCOME_TIMEOUT } from '../interventions/request.js';
import { InterventionCommand } from '../interventions/intervention-command.js';

export class CancelCommand extends InterventionCommand {
  static override paths = [['cancel']];
  static override usage = Command.Usage({
    category: 'Interventions',
    description: 'Cancel a run',
    details: `
      Creates a Cancel Intervention: the run's driver stops and the run ends \`Canceled\` for good (queued, paused and
      waiting runs too; unlike \`sidekick interrupt\`, nothing resumes it). Its pending approvals are canceled and its
      child runs end \`Interrupted\`; its workspace and branch are kept until the run is deleted. A run that has
      already ended is refused before anything is created (\`error: run/NAME is Completed: nothing to cancel\`, exit
      1). Exits 1 too when the intervention is Expired (the run changed since it was read).
    `,
    examples: [['Cancel run fix-login', 'sidekick cancel run/fix-login --reason "superseded by fix-login-2"']],
  });

  reason = Option.String('--reason', { description: 'Why (kept on the run, the intervention and in the journal)' });
  timeout = Option.String('--timeout', DEFAULT_OUTCOME_TIMEOUT, { description: 'How long to wait for the outcome (then print what is recorded so far)' });
  target = Option.String({ name: 'run/NAME' });

  async execute(): Promise<number> {
    return this.intervene({ type: 'Cancel', reason: this.reason });
  }
}
