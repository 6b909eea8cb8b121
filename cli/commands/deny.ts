/** `sidekick deny NAME [--reason TEXT] [--remember run|session|agent]`: refuses a waiting action. */
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../base-command.js';
import { parseTarget } from '../journal/read.js';
import { APPROVAL_TYPES, rememberScope, writeDecision } from '../approvals/decide.js';

export class DenyCommand extends ApiCommand {
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

  reason = Option.String('--reason', { description: 'Why; the agent receives it with the refusal' });
  remember = Option.String('--remember', { description: 'Also refuse matching requests of this run, session or agent' });
  target = Option.String({ name: 'NAME' });

  async execute(): Promise<number> {
    const name = parseTarget(this.target, APPROVAL_TYPES);
    if (!name) throw new UsageError(`expected NAME or approval/NAME, got "${this.target}"`);
    const remember = rememberScope(this.remember);
    if (remember === 'invalid') throw new UsageError(`--remember must be run, session or agent, got "${this.remember}"`);
    await writeDecision(this.client(), this.namespace, name, { verdict: 'Rejected', reason: this.reason, remember });
    this.context.stdout.write(`approval.sidekicks.dev/${name} denied\n`);
    return 0;
  }
}
