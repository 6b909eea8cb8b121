/** What `sidekick approve` and `sidekick deny` share: the target, the flags and the write. */
import { Option, UsageError } from 'clipanion';
import { ApiCommand } from '../base-command.js';
import { parseTarget } from '../journal/read.js';
import { APPROVAL_TYPES, decisionLine, rememberScope, writeDecision, type Decision } from './decide.js';

export abstract class DecideCommand extends ApiCommand {
  protected abstract readonly verdict: Decision['verdict'];

  reason = Option.String('--reason', { description: 'Why (kept on the approval and in the journal; the agent receives it with a refusal)' });
  remember = Option.String('--remember', { description: 'Also decide matching requests of this run, session or agent the same way' });
  target = Option.String({ name: 'NAME' });

  async execute(): Promise<number> {
    const name = parseTarget(this.target, APPROVAL_TYPES);
    if (!name) throw new UsageError(`expected NAME or approval/NAME, got "${this.target}"`);
    const remember = rememberScope(this.remember);
    if (remember === 'invalid') throw new UsageError(`--remember must be run, session or agent, got "${this.remember}"`);
    await writeDecision(this.client(), this.namespace, name, { verdict: this.verdict, reason: this.reason, remember });
    this.out(decisionLine(name, { verdict: this.verdict, remember }));
    return 0;
  }
}
