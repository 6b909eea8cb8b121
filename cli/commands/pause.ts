/** `sidekick pause run/NAME`: pauses a run at a safe point (spec.suspend: true). */
import { Command, Option } from 'clipanion';
import { ApiCommand } from '../base-command.js';
import { PrintedError } from '../errors.js';
import { RUNS } from '../journal/read.js';
import { refuseEnded, INTERRUPTED_BY, patchSuspend, runName, type RunSummary } from '../interventions/request.js';

export class PauseCommand extends ApiCommand {
  static override paths = [['pause']];
  static override usage = Command.Usage({
    category: 'Interventions',
    description: 'Pause a run',
    details: `
      Sets \`spec.suspend: true\`. The run controller interrupts the current turn at a safe point, saves the transcript
      and moves the run to \`Paused\` — the same run, across daemon restarts too. \`sidekick resume\` continues it from
      the saved transcript. Like \`kubectl rollout pause\`, pausing a paused run is an error.
    `,
    examples: [
      ['Pause run fix-login', 'sidekick pause run/fix-login'],
      ['Pause, and wait until it is paused', `sidekick pause run/fix-login && sidekick wait run/fix-login --for=jsonpath='{.status.phase}'=Paused`],
    ],
  });

  target = Option.String({ name: 'run/NAME' });

  async execute(): Promise<number> {
    const name = runName(this.target);
    const run = await this.client().get<RunSummary>(RUNS, this.namespace, name);
    refuseEnded(run, 'pause');
    // A run an Interrupt paused is paused already; pausing it makes the pause the person's own.
    if (run.spec.suspend && !run.metadata.annotations?.[INTERRUPTED_BY]) throw new PrintedError(`error: run.sidekicks.dev "${name}" is already paused`);
    await patchSuspend(this.client(), this.namespace, run, true);
    this.out(`run.sidekicks.dev/${name} paused`);
    return 0;
  }
}
