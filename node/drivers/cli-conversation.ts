/**
 * The conversation side of a CLI driver (Claude Code, Codex): what it keeps about its run and
 * checkpoints (the transcript, the provider session, the model turns), the user messages it sends,
 * the stream of provider lines it maps into events, and the bounds on what it records. The process
 * that carries the conversation is ./cli-process.ts.
 */
import type { DriverCheckpoint, DriverEvent, TranscriptMessage } from './contract.js';
import type { CliExit } from './cli-process.js';

/**
 * Keeps raw provider output bounded: the first `maxEvents` lines become `raw` events, each cut to
 * `maxChars`; after that a single notice says how the rest was dropped.
 */
export class RawBudget {
  private count = 0;
  constructor(
    private readonly maxEvents = 1000,
    private readonly maxChars = 8192,
  ) {}

  /** Returns the raw event payload for a line, or undefined once the budget is spent. */
  take(line: string): string | undefined {
    this.count++;
    if (this.count > this.maxEvents + 1) return undefined;
    if (this.count === this.maxEvents + 1) return `[raw output capped at ${this.maxEvents} lines; later lines dropped]`;
    return line.length > this.maxChars ? `${line.slice(0, this.maxChars)}…[${line.length - this.maxChars} chars cut]` : line;
  }
}

/** Cuts text to `max` characters, marking the cut. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…[${text.length - max} chars cut]` : text;
}

/** Turns one stdout line of a provider CLI into normalized events (terminal ones included). */
export interface LineMapper {
  map(line: string): DriverEvent[];
  /** The provider session (Claude `session_id`, Codex `thread_id`) once the stream has named it. */
  readonly resumeId: string | undefined;
  /** Model turns counted so far, including those before this process. */
  readonly turns: number;
  /** The last non-fatal error the stream reported, used when the process dies without a verdict. */
  readonly lastError?: string;
}

/** Text sent when a run resumes from a checkpoint whose prompt the provider session already holds. */
export const CONTINUE_PROMPT = 'Continue the task from where you stopped.';

const TRANSCRIPT_TOOL_OUTPUT_CHARS = 4096;

/** The run.failed for a CLI that ended (or never started) without a verdict on the turn. */
export function cliExitFailure(displayName: string, exit: CliExit, lastError?: string): DriverEvent {
  const detail = (lastError ?? exit.stderrTail.trim()) || 'no output on stderr';
  if (exit.error) return { type: 'run.failed', category: 'Provider', reason: 'DriverStartFailed', message: `${displayName} could not be started: ${exit.error}` };
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  return { type: 'run.failed', category: 'Provider', reason: 'ProviderExited', message: `${displayName} ${how} before finishing the turn: ${clip(detail, 2000)}` };
}

/** A user message waiting to be sent: the prompt, a follow-up, or steer text. */
export interface CliInput {
  text: string;
  source: NonNullable<TranscriptMessage['source']>;
}

/**
 * What a CLI driver keeps about its run and checkpoints: the transcript in the OpenAI chat shape,
 * the provider session (resumeId) and the model turns taken. Every event goes through `forward`,
 * which records it and emits it.
 */
export class CliConversation {
  readonly transcript: TranscriptMessage[];
  resumeId: string | undefined;
  turns: number;

  constructor(
    private readonly emit: (event: DriverEvent) => void,
    checkpoint?: DriverCheckpoint,
  ) {
    this.transcript = [...(checkpoint?.transcript ?? [])];
    this.resumeId = checkpoint?.resumeId;
    this.turns = checkpoint?.turns ?? 0;
  }

  /** What to send first: the prompt, or CONTINUE_PROMPT when the provider session already holds it. */
  firstInput(prompt: string): CliInput {
    const holdsPrompt = this.resumeId !== undefined && this.transcript.some((m) => m.role === 'user');
    return holdsPrompt ? { text: CONTINUE_PROMPT, source: 'user' } : { text: prompt, source: 'prompt' };
  }

  /** The run.failed that ends a run whose turns are used up, or undefined while some are left. */
  budgetExhausted(maxTurns: number): DriverEvent | undefined {
    if (this.turns < maxTurns) return undefined;
    return { type: 'run.failed', category: 'Budget', reason: 'BudgetExhausted', message: `The run used its ${maxTurns} model turns.` };
  }

  /** Records a user message sent to the provider. */
  user(input: CliInput): void {
    this.transcript.push({ role: 'user', content: input.text, source: input.source });
  }

  /** Emits an event, recording messages and tool calls in the transcript. */
  forward(event: DriverEvent): void {
    if (event.type === 'assistant.message') this.transcript.push({ role: 'assistant', content: event.text });
    if (event.type === 'tool.invoked') {
      this.transcript.push({ role: 'assistant', content: '', toolCalls: [{ id: event.callId, name: event.tool, arguments: JSON.stringify(event.input) }] });
    }
    if (event.type === 'tool.result') this.transcript.push({ role: 'tool', toolCallId: event.callId, content: clip(event.output, TRANSCRIPT_TOOL_OUTPUT_CHARS) });
    this.emit(event);
  }

  checkpoint(): void {
    const checkpoint: DriverCheckpoint = { transcript: [...this.transcript], turns: this.turns };
    if (this.resumeId) checkpoint.resumeId = this.resumeId;
    this.emit({ type: 'checkpoint', checkpoint });
  }
}
