/** `sidekick interrupt run/NAME [--reason TEXT]`: stops a run's current turn; the run pauses. */
import { Command, Option } from 'clipanion';
import { DEFAULT_OUTCOME_TIMEOUT } from '../interventions/request.js';
import { InterventionCommand } from '../interventions/intervention-command.js';

export class InterruptCommand extends InterventionCommand {
  static override paths = [['interrupt']];
  static override usage = Command.Usage({
    category: 'Interventions',
    description: "Interrupt a run's current turn",
    details: `
      Creates an Interrupt Intervention: the current turn stops at the next safe point, the transcript is saved and the
      run becomes \`Paused\` — the same run. \`sidekick steer\` continues it with new instructions (the text is its next
      user message); \`sidekick resume\` continues it as it was. A run whose driver cannot resume ends \`Interrupted\`
      instead. A run that has ended is refused before anything is created (\`error: run/NAME is Completed: nothing to
      interrupt\`, exit 1). Exits 1 too when the intervention is Rejected (the run has not started or is paused) or
      Expired (the run changed since it was read).
    `,
    examples: [
      ['Interrupt run fix-login', 'sidekick interrupt run/fix-login --reason "wrong file"'],
      ['Then redirect it', 'sidekick steer run/fix-login -m "edit src/auth/session.ts instead"'],
    ],
  });

  reason = Option.String('--reason', { description: 'Why (kept on the intervention and in the journal)' });
  timeout = Option.String('--timeout', DEFAULT_OUTCOME_TIMEOUT, { description: 'How long to wait for the outcome (then print what is recorded so far)' });
  target = Option.String({ name: 'run/NAME' });

  async execute(): Promise<number> {
    return this.intervene({ type: 'Interrupt', reason: this.reason });
  }
}
