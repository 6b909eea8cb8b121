/**
 * Holds user messages (send / steer) that arrive while a driver is busy, until the driver reaches
 * a point where it can append them to the conversation. Shared by the drivers that run their own
 * loop (Scripted, OpenAI), so both degrade a steer the same way: the next user message.
 */
import type { TranscriptMessage } from './contract.js';
import { abortable } from './delay.js';

/** A queued user message with where it came from. */
export interface InboxMessage {
  text: string;
  source: NonNullable<TranscriptMessage['source']>;
}

/** A FIFO of user messages with an abortable wait for the next one. */
export class Inbox {
  private readonly queue: InboxMessage[] = [];
  private waiters: (() => void)[] = [];

  /** Queues a message and wakes anyone waiting. */
  push(message: InboxMessage): void {
    this.queue.push(message);
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Removes and returns every queued message. */
  drain(): InboxMessage[] {
    return this.queue.splice(0, this.queue.length);
  }

  get size(): number {
    return this.queue.length;
  }

  /** Removes and returns the first queued message that `accept` takes, waiting for one if needed. */
  async next(signal: AbortSignal, accept: (m: InboxMessage) => boolean = () => true): Promise<InboxMessage> {
    for (;;) {
      const index = this.queue.findIndex(accept);
      if (index !== -1) return this.queue.splice(index, 1)[0]!;
      await abortable(new Promise<void>((resolve) => this.waiters.push(resolve)), signal);
    }
  }
}

/** The transcript entry for a queued user message. */
export function userMessage(message: InboxMessage): TranscriptMessage {
  return { role: 'user', content: message.text, source: message.source };
}
