/** `sidekick timeline session/NAME`: a session's journal, one event per line. */
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../base-command.js';
import { SESSIONS, SESSION_TYPES, followTimeline, parseTarget, readTimeline, type TimelineFilter } from '../journal/read.js';
import { timelineLine, timelineWidths } from '../journal/render.js';
import type { JournalEvent } from '../../api/journal/event.js';

export class TimelineCommand extends ApiCommand {
  static override paths = [['timeline']];
  static override usage = Command.Usage({
    description: "Print a session's timeline (its journal)",
    details: `
      Prints the session's journal events in sequence order: \`#SEQ  TIME  AGE  TYPE  ACTOR  SUMMARY\`, where TIME
      is local (\`HH:MM:SS\`, with the date for other days) and AGE is how long ago, as kubectl prints it. Filter by run
      (\`--run\`), by type (\`--type\`, repeatable or comma-separated; \`tool.\` or \`run.*\` match a family) and start
      after a sequence (\`--after\`). \`-o json\` prints each event envelope as one JSON line. \`-f\` keeps printing new
      events until Ctrl-C.

      Check the hash chain with \`sidekick timeline verify session/NAME\`.
    `,
    examples: [
      ['Print the timeline of session hello', 'sidekick timeline session/hello'],
      ['Only the tool calls of one run, as JSON', 'sidekick timeline session/hello --run hello --type tool. -o json'],
      ['Follow new events', 'sidekick timeline session/hello -f --after 20'],
    ],
  });

  follow = Option.Boolean('-f,--follow', false, { description: 'Keep printing new events until interrupted' });
  after = Option.String('--after', { description: 'Only events with a sequence greater than this' });
  run = Option.String('--run', { description: 'Only events of this run' });
  types = Option.Array('--type', [], { description: 'Only events of these types (repeatable, comma-separated; `tool.` matches a family)' });
  output = Option.String('-o,--output', { description: 'Output format: json (one event per line)' });
  target = Option.String({ name: 'session/NAME' });

  async execute(): Promise<number> {
    const name = parseTarget(this.target, SESSION_TYPES);
    if (!name) throw new UsageError(`expected session/NAME or NAME, got "${this.target}"`);
    if (this.output !== undefined && this.output !== 'json') throw new UsageError(`unable to match a printer suitable for the output format "${this.output}", allowed formats are: json`);
    let after: number | undefined;
    if (this.after !== undefined) {
      after = Number(this.after);
      if (!Number.isInteger(after) || after < 0) throw new UsageError(`--after: must be a non-negative integer, got "${this.after}"`);
    }
    const filter: TimelineFilter = { after, run: this.run, types: this.types.flatMap((t) => t.split(',')).filter(Boolean) };
    const client = this.client();
    await client.get(SESSIONS, this.namespace, name);
    const json = this.output === 'json';
    if (this.follow) {
      // Lines go out as events arrive, so the columns have fixed widths.
      for await (const event of followTimeline(client, this.namespace, name, filter, this.context.signal)) this.out(json ? JSON.stringify(event) : timelineLine(event));
      return 0;
    }
    const events: JournalEvent[] = [];
    for await (const event of readTimeline(client, this.namespace, name, filter)) {
      if (json) this.out(JSON.stringify(event));
      else events.push(event);
    }
    const now = Date.now();
    const widths = timelineWidths(events, now);
    for (const event of events) this.out(timelineLine(event, widths, now));
    return 0;
  }
}
