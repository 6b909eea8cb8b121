/** `sidekick respond run/NAME -m TEXT`: answers the question a run is waiting on. */
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../base-command.js';
import { parseTarget } from '../journal/read.js';
import { NameLabel, nameSelector } from '../../resources/name-labels.js';
import { APPROVALS, answerQuestion } from '../approvals/decide.js';
import { ExitCodeError } from '../errors.js';

export class RespondCommand extends ApiCommand {
  static override paths = [['respond']];
  static override usage = Command.Usage({
    category: 'Approvals',
    description: 'Answer the question a run is waiting on',
    details: `
      A run in WaitingForInput has a pending UserInput approval holding the agent's question. This answers it: the
      text goes to the agent as the user's reply and the run continues.
    `,
    examples: [['Answer run hello', 'sidekick respond run/hello -m "Yes, keep the old API as a shim"']],
  });

  message = Option.String('-m,--message', { required: true, description: 'The answer' });
  target = Option.String({ name: 'run/NAME' });

  async execute(): Promise<number> {
    const run = parseTarget(this.target, ['run', 'runs', 'run.sidekicks.dev', 'runs.sidekicks.dev']);
    if (!run) throw new UsageError(`expected run/NAME, got "${this.target}"`);
    const client = this.client();
    const { items } = await client.list(APPROVALS, { namespace: this.namespace, labelSelector: nameSelector(NameLabel.Run, run) });
    const pending = items.filter((a) => (a as { spec?: { category?: string } }).spec?.category === 'UserInput' && (a.status as { phase?: string } | undefined)?.phase === 'Pending');
    if (pending.length === 0) {
      this.context.stderr.write(`error: run ${run} is not waiting for input\n`);
      throw new ExitCodeError(1);
    }
    // The oldest question first: a run asks one at a time, so there is normally exactly one.
    const name = pending[0].metadata.name!;
    await answerQuestion(client, this.namespace, name, this.message);
    this.context.stdout.write(`run.sidekicks.dev/${run} answered (approval.sidekicks.dev/${name})\n`);
    return 0;
  }
}
