/** `sidekick approve NAME [--reason TEXT] [--remember run|session|agent]`: lets a waiting action run. */
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../base-command.js';
import { parseTarget } from '../journal/read.js';
import { APPROVAL_TYPES, rememberScope, writeDecision } from '../approvals/decide.js';

export class ApproveCommand extends ApiCommand {
  static override paths = [['approve']];
  static override usage = Command.Usage({
    category: 'Approvals',
    description: 'Approve a pending approval',
    details: `
      Records an Approved decision; the waiting tool call runs and the run continues. A decision is final. With
      \`--remember\`, a rule is also added to the ApprovalPolicy so that matching requests of this run, session or agent
      are approved without asking.
    `,
    examples: [
      ['Approve one request', 'sidekick approve hello-x7k2q'],
      ['Approve, and approve the same command for the rest of the session', 'sidekick approve hello-x7k2q --remember session'],
    ],
  });

  reason = Option.String('--reason', { description: 'Why (kept on the approval and in the journal)' });
  remember = Option.String('--remember', { description: 'Also remember the decision for this run, session or agent' });
  target = Option.String({ name: 'NAME' });

  async execute(): Promise<number> {
    const name = parseTarget(this.target, APPROVAL_TYPES);
    if (!name) throw new UsageError(`expected NAME or approval/NAME, got "${this.target}"`);
    const remember = rememberScope(this.remember);
    if (remember === 'invalid') throw new UsageError(`--remember must be run, session or agent, got "${this.remember}"`);
    await writeDecision(this.client(), this.namespace, name, { verdict: 'Approved', reason: this.reason, remember });
    this.context.stdout.write(`approval.sidekicks.dev/${name} approved${remember ? ` (remembered for this ${remember.toLowerCase()})` : ''}\n`);
    return 0;
  }
}
