/**
 * The control surface shared by the drivers that run the conversation loop themselves (Scripted,
 * OpenAI), as opposed to the CLI drivers whose agent runs its own loop. Messages and steers wait in
 * an inbox until the loop reaches a boundary (a model turn, a script step); an interrupt aborts
 * the loop's signal at the next safe point.
 */
import type { Driver, DriverCapabilities, DriverStartContext, TranscriptMessage } from './contract.js';
import { Inbox, userMessage } from './inbox.js';

export abstract class OwnLoopDriver implements Driver {
  protected readonly inbox = new Inbox();
  // One driver instance serves one run, so one controller covers interrupts before and during start().
  protected readonly stop = new AbortController();

  abstract capabilities(): DriverCapabilities;
  abstract start(ctx: DriverStartContext): Promise<void>;

  async send(message: string, source: TranscriptMessage['source'] = 'user'): Promise<void> {
    this.inbox.push({ text: message, source });
  }

  /** Never mid-turn: the text becomes the next user message once the current turn or step is over. */
  async steer(text: string): Promise<'applied' | 'degraded'> {
    this.inbox.push({ text, source: 'steer' });
    return 'degraded';
  }

  async interrupt(): Promise<void> {
    this.stop.abort();
  }

  async close(): Promise<void> {
    this.stop.abort();
  }

  /** Appends the waiting messages to the conversation (call only between turns or steps). */
  protected applyInbox(transcript: TranscriptMessage[]): void {
    for (const message of this.inbox.drain()) transcript.push(userMessage(message));
  }
}
