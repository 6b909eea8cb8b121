/** `sidekick steer run/NAME -m TEXT`: delivers text into a run's conversation. */
import { Command, Option } from 'clipanion';
import { DEFAULT_OUTCOME_TIMEOUT } from '../interventions/request.js';
import { InterventionCommand } from '../interventions/intervention-command.js';

export class SteerCommand extends InterventionCommand {
  static override paths = [['steer']];
  static override usage = Command.Usage({
    category: 'Interventions',
    description: 'Steer a run: deliver text into its conversation',
    details: `
      Creates a Steer Intervention against the run's current generation and prints its outcome. \`Applied\`: the
      driver injected the text into the current turn. \`Degraded\`: the driver cannot inject mid-turn, so the text is
      the next user message, after the current turn. \`Accepted\`: the run has no driver running now (queued,
      starting, paused): the text is delivered once it runs; a run stopped by \`sidekick interrupt\` resumes with it.
      \`Expired\`: the run changed since it was read, and exits 1, as does a refusal by the server when you may not steer
      the run (Forbidden). A run that has ended is refused before anything is created (\`error: run/NAME is Completed:
      nothing to steer\`, exit 1). The text is tagged \`source: steer\` in the
      journal: \`sidekick logs\` shows it as \`[steer]\`.
    `,
    examples: [
      ['Steer run fix-login', 'sidekick steer run/fix-login -m "keep the session cookie name unchanged"'],
      ['Stop the current turn first, then redirect', 'sidekick interrupt run/fix-login && sidekick steer run/fix-login -m "use the existing helper instead"'],
    ],
  });

  message = Option.String('-m,--message', { required: true, description: 'The text to deliver' });
  timeout = Option.String('--timeout', DEFAULT_OUTCOME_TIMEOUT, { description: 'How long to wait for the outcome (then print what is recorded so far)' });
  target = Option.String({ name: 'run/NAME' });

  async execute(): Promise<number> {
    return this.intervene({ type: 'Steer', content: this.message });
  }
}
