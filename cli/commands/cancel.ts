/** `sidekick cancel run/NAME [--reason TEXT]`: ends a run Interrupted. */
import { Command, Option } from 'clipanion';
import { DEFAULT_OUTCOME_TIMEOUT } from '../interventions/request.js';
import { InterventionCommand } from '../interventions/intervention-command.js';

export class CancelCommand extends InterventionCommand {
  static override paths = [['cancel']];
  static override usage = Command.Usage({
    category: 'Interventions',
    description: 'Cancel a run',
    details: `
      Creates a Cancel Intervention: the run's driver stops and the run ends \`Interrupted\` with reason \`Canceled\`
      (queued, paused and waiting runs too). Its pending approvals are canceled; its workspace is kept until the run is
      deleted. Exits 1 when the intervention is Rejected (the run has already ended) or Expired (the run changed since
      it was read).
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
