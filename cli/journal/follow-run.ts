/**
 * Following one run live, as `sidekick logs run/NAME -f` and `sidekick run` do: its conversation
 * from the session journal (only this run object's events, by uid), the approvals and questions it
 * waits on the moment they are raised (answerable in place on a terminal), until the run ends or
 * the signal aborts.
 */
import type { Readable, Writable } from 'node:stream';
import type { ApiClient } from '../../api/client/client.js';
import type { JournalEvent } from '../../api/journal/event.js';
import { LineReader } from '../approvals/line-reader.js';
import { WaitingAnnouncer } from '../approvals/waiting.js';
import { RUNS, followTimeline, followUntil, isTerminalRunEvent, type RunView } from './read.js';
import { ConversationRenderer, paletteFor } from './render.js';

export interface RunFollowOptions {
  client: ApiClient;
  namespace: string;
  /** The run as read before following (its uid selects its events). */
  run: RunView;
  stdout: Writable;
  stdin?: Readable;
  env: NodeJS.ProcessEnv;
  /** Ctrl-C: stops following (the run goes on). */
  signal: AbortSignal;
}

function isTty(stream: unknown): boolean {
  return (stream as { isTTY?: boolean } | undefined)?.isTTY === true;
}

/**
 * Prints the run's events until one ends the run (resolved with it) or `signal` aborts (resolved
 * with undefined). Answers are asked for only when stdin and stdout are both terminals.
 */
export async function followRun(o: RunFollowOptions): Promise<JournalEvent | undefined> {
  const name = o.run.metadata.name!;
  let run = o.run;
  const out = (line: string): void => void o.stdout.write(`${line}\n`);
  const renderer = new ConversationRenderer(paletteFor(o.stdout as { isTTY?: boolean }, o.env));
  const input = isTty(o.stdin) && isTty(o.stdout) ? new LineReader(o.stdin!) : undefined;
  const waiting = new WaitingAnnouncer({ client: o.client, namespace: o.namespace, run: name, out, write: (t) => void o.stdout.write(t), bell: isTty(o.stdout), input });
  let ended: JournalEvent | undefined;
  try {
    await followUntil(o.signal, (signal) => followTimeline(o.client, o.namespace, run.spec.session, { run: name, runUid: run.metadata.uid }, signal), async (event) => {
      // The Completed line names the branch and diff from status, committed with the event.
      if (event.type === 'run.Completed' && run.status?.phase !== 'Completed') run = await o.client.get<RunView>(RUNS, o.namespace, name).catch(() => run);
      for (const line of renderer.render(event, run)) out(line);
      await waiting.onEvent(event);
      if (!isTerminalRunEvent(event)) return false;
      ended = event;
      return true;
    });
  } finally {
    await waiting.close();
    input?.close();
  }
  return ended;
}
