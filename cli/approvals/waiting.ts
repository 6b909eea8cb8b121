/**
 * "Never waiting unseen": while `logs -f` or `run` follows a run, the moment the run raises an
 * approval or asks a question it prints the exact command that answers it (and rings the bell on
 * a terminal). On an interactive terminal it also offers to answer in place, through the same
 * decision writes `approve`, `deny` and `respond` use.
 */
import type { ApiClient } from '../../api/client/client.js';
import type { JournalEvent } from '../../api/journal/event.js';
import type { Approval } from '../../resources/kinds/approval.js';
import { formatError, isStatusError } from '../errors.js';
import { APPROVALS, answerQuestion, decisionLine, writeDecision, type Decision } from './decide.js';
import type { LineReader } from './line-reader.js';

export interface WaitingOptions {
  client: ApiClient;
  namespace: string;
  /** The run followed. */
  run: string;
  /** Writes one line. */
  out: (line: string) => void;
  /** Writes text as is (the bell, a prompt that waits on its line). */
  write: (text: string) => void;
  /** stdout is a terminal: ring the bell. */
  bell: boolean;
  /** Where answers are typed, when stdin and stdout are both terminals; otherwise nothing is asked. */
  input?: LineReader;
}

/** A pending approval of the run, as announced. */
interface Waiting {
  name: string;
  question: boolean;
}

/** Settles an approval in the journal: any approval event but its request and a remembered rule. */
function settles(event: JournalEvent): string | undefined {
  if (!event.type.startsWith('approval.') || event.type === 'approval.requested' || event.type === 'approval.remembered') return undefined;
  return typeof event.payload.approval === 'string' ? event.payload.approval : undefined;
}

/** What an `approval.requested` event tells of its approval (name, category, summary), as a Pending one. */
function fromRequest(event: JournalEvent): Approval {
  const p = event.payload as { approval: string; category?: string; summary?: string; tool?: string };
  return {
    apiVersion: 'sidekicks.dev/v1alpha1',
    kind: 'Approval',
    metadata: { name: p.approval },
    spec: { session: '', category: (p.category ?? 'ToolExecution') as Approval['spec']['category'], onExpiry: 'Reject', request: { summary: p.summary, tool: p.tool } },
    status: { phase: 'Pending' },
  };
}

export class WaitingAnnouncer {
  private readonly queue: Waiting[] = [];
  private readonly announced = new Set<string>();
  private readonly decidedHere = new Set<string>();
  private readonly stop = new AbortController();
  /** The approval being asked about: aborted when it is settled elsewhere; `shown` once its prompt is on screen. */
  private current?: { name: string; abort: AbortController; shown: boolean };
  private pumping?: Promise<void>;

  constructor(private readonly o: WaitingOptions) {}

  /** Takes the next event of the run (in journal order). */
  async onEvent(event: JournalEvent): Promise<void> {
    const settled = settles(event);
    if (settled !== undefined) return this.settled(settled, event);
    if (event.type !== 'approval.requested' || typeof event.payload.approval !== 'string') return;
    // The backlog replays requests long decided: only one still pending is announced.
    const approval = await this.o.client.get<Approval>(APPROVALS, this.o.namespace, event.payload.approval).catch((err: unknown) => {
      if (isStatusError(err) && err.reason === 'NotFound') return undefined;
      // Unreadable for now: announced from the request event, rather than not at all.
      return fromRequest(event);
    });
    if (!approval || approval.status?.phase !== 'Pending' || this.announced.has(event.payload.approval)) return;
    this.announce(approval);
  }

  /** Stops asking (the follow ended, or Ctrl-C) and waits for the prompt on screen to go. */
  async close(): Promise<void> {
    this.endPrompt();
    this.stop.abort();
    await this.pumping;
  }

  /** Ends the line of a prompt left unanswered on screen, so what follows starts on its own line. */
  private endPrompt(): void {
    if (this.current?.shown) this.o.write('\n');
    if (this.current) this.current.shown = false;
  }

  private announce(approval: Approval): void {
    const name = approval.metadata.name!;
    const question = approval.spec.category === 'UserInput';
    this.announced.add(name);
    const ns = this.o.namespace === 'default' ? '' : ` -n ${this.o.namespace}`;
    if (question) {
      this.o.out(`waiting for your answer: sidekick respond run/${this.o.run}${ns} -m "..."`);
      const text = approval.spec.request?.details ?? approval.spec.request?.summary ?? '';
      for (const line of text.split('\n').filter(Boolean)) this.o.out(`  ${line}`);
    } else {
      this.o.out(`waiting for approval: sidekick approve ${name}${ns}   (deny: sidekick deny ${name}${ns})`);
      const r = approval.spec.request;
      const what = r?.command ?? r?.summary ?? [r?.tool, r?.path ?? r?.url].filter(Boolean).join(' ');
      this.o.out(`  ${approval.spec.category}${what ? `: ${what}` : ''}`);
    }
    if (this.o.bell) this.o.write('\x07');
    if (!this.o.input) return;
    this.queue.push({ name, question });
    this.pumping ??= this.pump().finally(() => (this.pumping = undefined));
  }

  private settled(name: string, event: JournalEvent): void {
    if (!this.announced.has(name)) return;
    const i = this.queue.findIndex((w) => w.name === name);
    if (i >= 0) this.queue.splice(i, 1);
    if (this.current?.name === name) {
      this.endPrompt();
      this.current.abort.abort();
    }
    if (this.decidedHere.has(name)) return;
    const by = typeof event.payload.by === 'string' ? ` by ${event.payload.by}` : '';
    this.o.out(`approval.sidekicks.dev/${name} ${event.type.slice('approval.'.length)}${by}`);
  }

  /** Asks about each announced approval in turn, until none is left, input ends or close(). */
  private async pump(): Promise<void> {
    const input = this.o.input!;
    while (this.queue.length && !this.stop.signal.aborted && !input.ended) {
      const waiting = this.queue.shift()!;
      const abort = new AbortController();
      this.current = { name: waiting.name, abort, shown: false };
      const signal = AbortSignal.any([abort.signal, this.stop.signal]);
      try {
        if (waiting.question) await this.askQuestion(waiting.name, signal, input);
        else await this.askApproval(waiting.name, signal, input);
      } catch (err) {
        // A decision the server refuses (decided meanwhile, not allowed) is reported; following goes on.
        this.o.out(formatError(err));
      } finally {
        this.current = undefined;
      }
    }
  }

  private async askApproval(name: string, signal: AbortSignal, input: LineReader): Promise<void> {
    for (;;) {
      const answer = await this.ask(input, signal, `approve ${name}? [y]es / [n]o / [a]lways for this session: `);
      if (answer === undefined) return;
      const choice = answer.trim().toLowerCase();
      if (choice === 'y' || choice === 'yes') return this.decide(name, { verdict: 'Approved' });
      if (choice === 'a' || choice === 'always') return this.decide(name, { verdict: 'Approved', remember: 'Session' });
      if (choice === 'n' || choice === 'no') {
        const reason = await this.ask(input, signal, 'reason (optional, the agent sees it): ');
        if (reason === undefined && signal.aborted) return;
        return this.decide(name, { verdict: 'Rejected', ...(reason?.trim() ? { reason: reason.trim() } : {}) });
      }
    }
  }

  private async askQuestion(name: string, signal: AbortSignal, input: LineReader): Promise<void> {
    for (;;) {
      const answer = await this.ask(input, signal, 'your answer: ');
      if (answer === undefined) return;
      if (!answer.trim()) continue;
      await this.decidedBy(name, () => answerQuestion(this.o.client, this.o.namespace, name, answer.trim()));
      this.o.out(`run.sidekicks.dev/${this.o.run} answered (approval.sidekicks.dev/${name})`);
      return;
    }
  }

  /** Shows `text` and reads the line typed after it (undefined when input ended or the prompt was withdrawn). */
  private async ask(input: LineReader, signal: AbortSignal, text: string): Promise<string | undefined> {
    const answer = await input.next(signal, () => {
      if (this.current) this.current.shown = true;
      this.o.write(text);
    });
    // A typed line ends the prompt's line on the terminal (its echo).
    if (answer !== undefined && this.current) this.current.shown = false;
    return answer;
  }

  private async decide(name: string, d: Decision): Promise<void> {
    await this.decidedBy(name, () => writeDecision(this.o.client, this.o.namespace, name, d));
    this.o.out(decisionLine(name, d));
  }

  /** Writes a decision made here; its settling event then needs no line of its own. */
  private async decidedBy(name: string, write: () => Promise<unknown>): Promise<void> {
    this.decidedHere.add(name);
    try {
      await write();
    } catch (err) {
      this.decidedHere.delete(name);
      throw err;
    }
  }
}
