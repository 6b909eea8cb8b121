/** `sidekick approve NAME [--reason TEXT] [--remember run|session|agent]`: lets a waiting action run. */
import { Command } from 'clipanion';
import { DecideCommand } from '../approvals/decide-command.js';

export class ApproveCommand extends DecideCommand {
  static override paths = [['approve']];
  static override usage = Command.Usage({
    category: 'Approvals',
    description: 'Approve a pending approval',
    details: `
      Records an Approved decision; the waiting tool call runs and the run continues. A decision is final. With
      \`--remember\`, a rule is also added to the ApprovalPolicy so that matching requests of this run, session or agent
      are approved without asking. The rule records who made it (\`sidekick describe approvalpolicy\`). Remembering for
      a run you did not start, or for a session or agent, needs the right to write ApprovalPolicies (the Owner's, unless
      a policy file grants it): otherwise the decision is refused with 403 and nothing is recorded.
    `,
    examples: [
      ['Approve one request', 'sidekick approve hello-x7k2q'],
      ['Approve, and approve the same command for the rest of the session', 'sidekick approve hello-x7k2q --remember session'],
    ],
  });

  protected readonly verdict = 'Approved' as const;
}
