/** `sidekick cancel run/NAME [--reason TEXT]`: ends a run Interrupted. */
import { Command, Option } from 'clipanion';
import { ApiCommand } from '../base-command.js';
import { ExitCodeError } from '../errors.js';
import { awaitOutcome, createIntervention, DEFAULT_OUTCOME_TIMEOUT, failed, outcomeLine, outcomeTimeout, runName } from '../interventions/request.js';

export class CancelCommand extends ApiCommand {
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
    const run = runName(this.target);
    const timeoutMs = outcomeTimeout(this.timeout);
    const created = await createIntervention(this.client(), this.namespace, run, { type: 'Cancel', reason: this.reason });
    const iv = await awaitOutcome(this.client(), this.namespace, created, 'Cancel', { timeoutMs, signal: this.context.signal });
    this.out(outcomeLine(iv));
    if (failed(iv)) throw new ExitCodeError(1);
    return 0;
  }
}
