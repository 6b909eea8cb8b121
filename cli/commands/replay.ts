/** `sidekick replay session/NAME`: re-renders a whole session from its journal. */
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../base-command.js';
import { ExitCodeError, isStatusError } from '../errors.js';
import { RUNS, SESSION_TYPES, parseTarget, readTimeline, verifyTimeline, type RunView } from '../journal/read.js';
import { ConversationRenderer, paletteFor, payloadSummary } from '../journal/render.js';
import type { JournalEvent } from '../../api/journal/event.js';

/** A stretch of the replay: one run's events, or session-level events between runs. */
interface Segment {
  run?: string;
  /** The run object's uid: two runs of the same name (one deleted, one re-created) are two segments. */
  runUid?: string;
  events: JournalEvent[];
}

/**
 * Groups events by run (the object: name and uid) in order of first appearance; session-level
 * events stay where they fall between runs.
 */
export function segmentsOf(events: JournalEvent[]): Segment[] {
  const segments: Segment[] = [];
  const byRun = new Map<string, Segment>();
  for (const event of events) {
    if (event.run) {
      const key = event.runUid ? `${event.run}\n${event.runUid}` : event.run;
      let seg = byRun.get(key);
      if (!seg) {
        seg = { run: event.run, ...(event.runUid ? { runUid: event.runUid } : {}), events: [] };
        segments.push(seg);
        byRun.set(key, seg);
      }
      seg.events.push(event);
      continue;
    }
    const last = segments[segments.length - 1];
    if (last && last.run === undefined) last.events.push(event);
    else segments.push({ events: [event] });
  }
  return segments;
}

export class ReplayCommand extends ApiCommand {
  static override paths = [['replay']];
  static override usage = Command.Usage({
    description: 'Re-render a whole session from its journal',
    details: `
      Reads every event of the session and prints, for each run in order of first appearance, a heading and the run's
      conversation exactly as \`sidekick logs\` shows it; session-level events are listed between runs. Ends with the
      number of events and runs and the result of the hash-chain check (exit 1 when the chain is broken).
    `,
    examples: [['Replay session hello', 'sidekick replay session/hello']],
  });

  target = Option.String({ name: 'session/NAME' });

  async execute(): Promise<number> {
    const name = parseTarget(this.target, SESSION_TYPES);
    if (!name) throw new UsageError(`expected session/NAME or NAME, got "${this.target}"`);
    const client = this.client();
    const events: JournalEvent[] = [];
    for await (const event of readTimeline(client, this.namespace, name)) events.push(event);
    const palette = paletteFor(this.context.stdout as { isTTY?: boolean }, this.context.env);
    const renderer = new ConversationRenderer(palette);
    const segments = segmentsOf(events);
    let runs = 0;
    for (const seg of segments) {
      if (seg.run === undefined) {
        for (const e of seg.events) this.out(palette.dim(`[session] ${e.type}${payloadSummary(e) ? ` ${payloadSummary(e)}` : ''}`));
        continue;
      }
      runs++;
      const run = await this.runObject(seg.run, seg.runUid);
      const agent = seg.events.find((e) => e.actor?.kind === 'agent')?.actor.name ?? run?.spec.agent;
      this.out(palette.heading(`── run/${seg.run}${agent ? ` (${agent})` : ''} ──`));
      for (const e of seg.events) for (const line of renderer.render(e, run)) this.out(line);
    }
    const result = await verifyTimeline(client, this.namespace, name);
    const chain = result.ok ? 'chain verified' : `chain broken at #${result.brokenAt}: ${result.reason ?? 'unknown reason'}`;
    this.out(`${events.length} event${events.length === 1 ? '' : 's'}, ${runs} run${runs === 1 ? '' : 's'}, ${chain}`);
    if (!result.ok) throw new ExitCodeError(1);
    return 0;
  }

  /** The Run object, when it still exists and is that run, not a later one of its name (for the branch on the Completed line). */
  private async runObject(name: string, uid: string | undefined): Promise<RunView | undefined> {
    try {
      const run = await this.client().get<RunView>(RUNS, this.namespace, name);
      return uid && run.metadata.uid !== uid ? undefined : run;
    } catch (err) {
      if (isStatusError(err) && err.reason === 'NotFound') return undefined;
      throw err;
    }
  }
}
