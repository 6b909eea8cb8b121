/** `sidekick timeline verify session/NAME`: checks a session's hash chain. */
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../../base-command.js';
import { ExitCodeError } from '../../errors.js';
import { SESSION_TYPES, parseTarget, verifyTimeline } from '../../journal/read.js';

export class TimelineVerifyCommand extends ApiCommand {
  static override paths = [['timeline', 'verify']];
  static override usage = Command.Usage({
    description: "Verify a session's journal hash chain",
    details: `
      Recomputes every event's SHA-256 hash over the previous hash and the event's canonical JSON. Exits 0 when the
      chain holds; otherwise prints the first sequence where it breaks and exits 1.
    `,
    examples: [['Verify session hello', 'sidekick timeline verify session/hello']],
  });

  target = Option.String({ name: 'session/NAME' });

  async execute(): Promise<number> {
    const name = parseTarget(this.target, SESSION_TYPES);
    if (!name) throw new UsageError(`expected session/NAME or NAME, got "${this.target}"`);
    const result = await verifyTimeline(this.client(), this.namespace, name);
    const label = `session ${this.namespace}/${name}`;
    if (result.ok) {
      this.out(`${label}: chain verified (${result.checked} event${result.checked === 1 ? '' : 's'})`);
      return 0;
    }
    this.out(`${label}: chain broken at #${result.brokenAt}: ${result.reason ?? 'unknown reason'} (${result.checked} event${result.checked === 1 ? '' : 's'} verified before it)`);
    throw new ExitCodeError(1);
  }
}
