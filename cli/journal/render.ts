/**
 * Renders journal events as a run's readable conversation (`logs`, `replay`) and as one-line
 * timeline entries (`timeline`). Colours are ANSI and only used when the caller says the output is
 * a terminal.
 */
import type { JournalEvent } from '../../api/journal/event.js';
import type { RunView } from './read.js';

/** Lines of tool output shown under a tool result. */
const OUTPUT_LINES = 10;
const TEXT_SUMMARY = 60;

type Paint = (text: string) => string;
const ansi = (open: number, close: number): Paint => (text) => `\u001b[${open}m${text}\u001b[${close}m`;
const plain: Paint = (text) => text;

/** The colours of the conversation labels. */
export interface Palette {
  dim: Paint;
  assistant: Paint;
  tool: Paint;
  steer: Paint;
  ok: Paint;
  bad: Paint;
  heading: Paint;
}

/** ANSI colours on a terminal (unless NO_COLOR is set), none otherwise. */
export function paletteFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): Palette {
  const color = env.FORCE_COLOR ? env.FORCE_COLOR !== '0' : Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb';
  if (!color) return { dim: plain, assistant: plain, tool: plain, steer: plain, ok: plain, bad: plain, heading: plain };
  return { dim: ansi(2, 22), assistant: ansi(36, 39), tool: ansi(33, 39), steer: ansi(35, 39), ok: ansi(32, 39), bad: ansi(31, 39), heading: ansi(1, 22) };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

function firstLine(text: string, max = TEXT_SUMMARY): string {
  const line = text.split('\n').find((l) => l.trim()) ?? '';
  const trimmed = line.trim();
  return trimmed.length > max ? `${trimmed.slice(0, max - 1)}…` : trimmed;
}

/** A one-line summary of a tool's input: its command, path or first scalar field. */
export function toolInputSummary(input: unknown): string {
  if (typeof input === 'string') return firstLine(input);
  if (!input || typeof input !== 'object') return '';
  const o = input as Record<string, unknown>;
  for (const key of ['command', 'path', 'file', 'pattern', 'query', 'url']) {
    const v = str(o[key]);
    if (v !== undefined) return firstLine(v);
  }
  if (Array.isArray(o.command)) return firstLine(o.command.map(String).join(' '));
  const v = Object.values(o).map(str).find((x) => x !== undefined);
  return v !== undefined ? firstLine(v) : '';
}

function seconds(ms: unknown): string | undefined {
  return typeof ms === 'number' ? `${(ms / 1000).toFixed(1)}s` : undefined;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * Turns a run's events into conversation lines. It remembers tool inputs by call id (so a result
 * names what it answers) and the last diff of each run (for the Completed line).
 */
export class ConversationRenderer {
  private readonly calls = new Map<string, string>();
  private readonly diffs = new Map<string, { files?: number; insertions?: number; deletions?: number }>();

  constructor(private readonly paint: Palette) {}

  /** The lines for one event (none for events that are not part of the conversation). `run` fills the Completed line. */
  render(event: JournalEvent, run?: RunView): string[] {
    const p = this.paint;
    const payload = event.payload ?? {};
    const text = str(payload.text) ?? str(payload.message) ?? '';
    if (payload.source === 'steer') return [`${p.steer('[steer]')} ${text}`];
    switch (event.type) {
      case 'assistant.message':
        return [`${p.assistant('[assistant]')} ${text}`];
      case 'assistant.thinking':
        return [p.dim(`[thinking] ${text}`)];
      case 'tool.invoked':
      case 'tool.replayed':
      case 'tool.skipped_during_recovery': {
        const summary = [str(payload.tool) ?? 'tool', toolInputSummary(payload.input)].filter(Boolean).join(' ');
        if (typeof payload.callId === 'string') this.calls.set(payload.callId, summary);
        const note = event.type === 'tool.replayed' ? ' (run again after a daemon restart)' : event.type === 'tool.skipped_during_recovery' ? ' (interrupted by a daemon restart; not run again)' : '';
        return [`${p.tool('[tool]')} ${summary}${p.dim(note)}`];
      }
      case 'tool.result':
      case 'tool.error':
        return this.toolResult(event);
      case 'diff.created':
        if (event.run) this.diffs.set(event.run, payload as { files?: number });
        return [];
      case 'run.Completed':
        return [`${p.ok('[run]')} ${p.ok('Completed')}${this.completedDetail(event, run)}`];
      case 'run.Failed':
      case 'run.Interrupted':
      case 'run.Canceled': {
        const phase = event.type.slice(4);
        const why = [str(payload.reason), str(payload.message)].filter(Boolean).join(': ');
        return [`${p.bad('[run]')} ${p.bad(phase)}${why ? `: ${why}` : ''}`];
      }
      case 'run.WaitingForInput':
        return [`${p.steer('[run]')} WaitingForInput${str(payload.question) ? `: ${str(payload.question)}` : ''}`];
      case 'run.Paused':
        return [`${p.dim('[run]')} Paused${str(payload.reason) ? `: ${str(payload.reason)}` : ''}`];
      default:
        return [];
    }
  }

  private toolResult(event: JournalEvent): string[] {
    const p = this.paint;
    const payload = event.payload;
    const callId = str(payload.callId);
    const summary = (callId && this.calls.get(callId)) || str(payload.tool) || 'tool';
    const failed = event.type === 'tool.error' || payload.ok === false;
    const exit = typeof payload.exitCode === 'number' ? `exit ${payload.exitCode}` : failed ? 'error' : 'ok';
    const took = seconds(payload.durationMs);
    const outcome = `${exit}${took ? ` (${took})` : ''}`;
    const lines = [`${p.tool('[tool]')} ${summary} → ${failed ? p.bad(outcome) : outcome}`];
    const output = (str(payload.output) ?? '').replace(/\s+$/, '');
    if (output) {
      const all = output.split('\n');
      for (const l of all.slice(0, OUTPUT_LINES)) lines.push(p.dim(`    ${l}`));
      if (all.length > OUTPUT_LINES) lines.push(p.dim(`    … (${all.length - OUTPUT_LINES} more lines)`));
    }
    return lines;
  }

  private completedDetail(event: JournalEvent, run?: RunView): string {
    const diff = (event.run && this.diffs.get(event.run)) || run?.status?.diff;
    const parts: string[] = [];
    if (diff && typeof diff.files === 'number') parts.push(`${plural(diff.files, 'file')} changed, +${diff.insertions ?? 0} -${diff.deletions ?? 0}`);
    const branch = run?.status?.workspace?.branch;
    const head = parts.join('');
    if (branch) return `: ${head ? `${head} · ` : ''}branch ${branch}`;
    const summary = str(event.payload.summary);
    return head ? `: ${head}` : summary ? `: ${firstLine(summary, 120)}` : '';
  }
}

/** A short summary of an event's payload for the timeline's last column. */
export function payloadSummary(event: JournalEvent): string {
  const p = event.payload ?? {};
  switch (event.type) {
    case 'assistant.message':
    case 'assistant.thinking':
      return firstLine(str(p.text) ?? '');
    case 'tool.invoked':
    case 'tool.replayed':
    case 'tool.skipped_during_recovery':
      return [str(p.tool), toolInputSummary(p.input)].filter(Boolean).join(' ');
    case 'tool.result':
    case 'tool.error': {
      const took = seconds(p.durationMs);
      return [str(p.tool), typeof p.exitCode === 'number' ? `exit ${p.exitCode}` : p.ok === false ? 'error' : 'ok', took].filter(Boolean).join(' ');
    }
    case 'usage.tokens':
      return `+${str(p.inputTokens) ?? 0} in / +${str(p.outputTokens) ?? 0} out (total ${str(p.total) ?? '?'})`;
    case 'diff.created':
      return `${plural(Number(p.files ?? 0), 'file')}, +${str(p.insertions) ?? 0} -${str(p.deletions) ?? 0}${str(p.headCommit) ? ` @ ${str(p.headCommit)!.slice(0, 7)}` : ''}`;
    case 'artifact.published':
      return [str(p.artifact), str(p.digest) ? `sha256:${str(p.digest)!.replace(/^sha256:/, '').slice(0, 12)}` : undefined].filter(Boolean).join(' ');
  }
  const parts: string[] = [];
  if (event.run) parts.push(`run/${event.run}`);
  for (const [k, v] of Object.entries(p)) {
    const s = str(v);
    if (s !== undefined && s !== '') parts.push(`${k}=${firstLine(s, 40)}`);
  }
  const line = parts.join(' ');
  return line.length > 100 ? `${line.slice(0, 99)}…` : line;
}

/** Column widths of timeline lines: `#SEQ`, type, actor (the summary is last and unpadded). */
export interface TimelineWidths {
  sequence: number;
  type: number;
  actor: number;
}

/** Widths for lines printed before the whole timeline is known (`-f`): wide enough for the usual events. */
export const FOLLOW_WIDTHS: TimelineWidths = { sequence: 5, type: 22, actor: 32 };

function actorOf(event: JournalEvent): string {
  return event.actor ? `${event.actor.kind}/${event.actor.name}` : '';
}

/** The widths that align every column of `events` (two spaces between columns). */
export function timelineWidths(events: JournalEvent[]): TimelineWidths {
  const w = { sequence: 0, type: 0, actor: 0 };
  for (const e of events) {
    w.sequence = Math.max(w.sequence, `#${e.sequence}`.length + 2);
    w.type = Math.max(w.type, e.type.length + 2);
    w.actor = Math.max(w.actor, actorOf(e).length + 2);
  }
  return w;
}

function column(text: string, width: number): string {
  return text.length + 2 > width ? `${text}  ` : text.padEnd(width);
}

/** One timeline line: `#1  session.created  controller/session-controller  summary`; longer values push the rest right. */
export function timelineLine(event: JournalEvent, widths: TimelineWidths = FOLLOW_WIDTHS): string {
  return `${column(`#${event.sequence}`, widths.sequence)}${column(event.type, widths.type)}${column(actorOf(event), widths.actor)}${payloadSummary(event)}`.trimEnd();
}
