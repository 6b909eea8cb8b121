/**
 * A channel's conversation as the journal records it: `channel.message` events in the channel's
 * session, each naming its channel. A person's post carries only the text; an agent's turn also
 * carries its turn number, the run that took it and the message it answers. The API (posting,
 * reading) and the Channel controller (deriving whose turn it is) read messages through here, so
 * both count turns the same way.
 */
import type { Actor, JournalEvent } from './event.js';
import type { Journal } from './journal.js';

/** The journal event type of a channel message. */
export const CHANNEL_MESSAGE = 'channel.message';

/** How an agent's turn ended: Completed turns carry the agent's reply, others a note. */
export type TurnOutcome = 'Completed' | 'Failed' | 'Interrupted' | 'Canceled';

/** The payload of a `channel.message` event. */
export interface ChannelMessagePayload {
  /** The Channel's object name. */
  channel: string;
  text: string;
  /** Agent turns only: the turn number, from 1. */
  turn?: number;
  /** Agent turns only: whose turn it was. */
  agent?: string;
  /** Agent turns only: the Run that took the turn. */
  run?: string;
  /** The sequence of the message this turn answers. */
  replyTo?: number;
  /** Agent turns only: how the run ended. */
  outcome?: TurnOutcome;
}

/** One message of a channel, as read from the journal. */
export interface ChannelMessage extends Omit<ChannelMessagePayload, 'channel'> {
  sequence: number;
  time: string;
  author: Actor;
}

/** The message an event records when it belongs to `channel`, else undefined. */
export function channelMessageOf(event: JournalEvent, channel: string): ChannelMessage | undefined {
  if (event.type !== CHANNEL_MESSAGE) return undefined;
  const p = event.payload as Partial<ChannelMessagePayload>;
  if (p.channel !== channel || typeof p.text !== 'string') return undefined;
  return {
    sequence: event.sequence,
    time: event.time,
    author: event.actor,
    text: p.text,
    ...(typeof p.turn === 'number' ? { turn: p.turn } : {}),
    ...(typeof p.agent === 'string' ? { agent: p.agent } : {}),
    ...(typeof p.run === 'string' ? { run: p.run } : {}),
    ...(typeof p.replyTo === 'number' ? { replyTo: p.replyTo } : {}),
    ...(typeof p.outcome === 'string' ? { outcome: p.outcome } : {}),
  };
}

/** Every message of `channel` in the session journal `session` (`namespace/name`), oldest first. */
export async function readChannelMessages(journal: Journal, session: string, channel: string, after = 0): Promise<ChannelMessage[]> {
  const messages: ChannelMessage[] = [];
  for (let cursor = after; ; ) {
    const page = await journal.read(session, { after: cursor, limit: 10_000, types: [CHANNEL_MESSAGE] });
    for (const e of page.events) {
      const m = channelMessageOf(e, channel);
      if (m) messages.push(m);
    }
    if (!page.hasMore) return messages;
    cursor = page.next;
  }
}

/**
 * The agent turns a channel has taken: the highest turn number recorded. Turn N is recorded once
 * (its message is posted only after its run ended), so this is also the count.
 */
export function turnsTaken(messages: readonly ChannelMessage[]): number {
  return messages.reduce((max, m) => (m.turn !== undefined && m.turn > max ? m.turn : max), 0);
}
