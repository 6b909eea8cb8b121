/** `sidekick deny NAME [--reason TEXT] [--remember run|session|agent]`: refuses a waiting action. */
import { Command } from 'clipanion';
import { DecideCommand } from '../approvals/decide-command.js';

export class DenyCommand extends DecideCommand {
  static override paths = [['deny']];
  static override usage = Command.Usage({
    category: 'Approvals',
    description: 'Deny a pending approval',
    details: `
      Records a Rejected decision: the tool call never runs, and the agent receives the refusal (with the reason) as
      the call's result and carries on. A decision is final.
    `,
    examples: [['Deny with a reason the agent will see', 'sidekick deny hello-x7k2q --reason "no network installs; vendor it"']],
  });

  protected readonly verdict = 'Rejected' as const;
}
