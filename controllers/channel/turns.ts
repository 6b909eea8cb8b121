/**
 * Whose turn it is in a channel, decided from its messages alone (the journal), so a restarted
 * daemon reaches the same answer:
 * - RoundRobin: the agents in `agents` order, one turn each, never skipping; the conversation
 *   starts as soon as there is a topic or a message.
 * - FreeForm: after a person's message, each agent answers it once, in `agents` order.
 * - RequestBased: an agent speaks only when a message addresses it (`@name`), once per message,
 *   in the order the requests were made.
 * After `maxTurns` agent turns the channel is muted.
 */
import type { ChannelMessage } from '../../api/journal/channel-messages.js';
import { turnsTaken } from '../../api/journal/channel-messages.js';
import { TurnPolicy } from '../../resources/kinds/channel.js';

/** What turn-taking reads from a channel's spec. */
export interface TurnRules {
  turnPolicy: TurnPolicy;
  agents?: string[];
  maxTurns?: number;
  topic?: string;
}

/** The next step of a conversation. */
export type TurnDecision =
  /** `maxTurns` agent turns are taken. */
  | { kind: 'muted'; turns: number }
  /** Nobody is due to speak: `why` says what the channel waits for. */
  | { kind: 'idle'; turns: number; why: string }
  /** `agent` takes turn `turn`, answering message `replyTo` (when there is one). */
  | { kind: 'speak'; turns: number; turn: number; agent: string; replyTo?: number };

/** The agents a text addresses (`@name`), in the order first addressed, among `agents`. */
export function mentionsIn(text: string, agents: readonly string[]): string[] {
  const known = new Set(agents);
  const found: string[] = [];
  // Object names: lowercase alphanumerics, '-' and '.', starting and ending alphanumeric.
  for (const m of text.matchAll(/(^|[^\w@.-])@([a-z0-9](?:[a-z0-9.-]*[a-z0-9])?)/gi)) {
    const name = m[2]!.toLowerCase();
    if (known.has(name) && !found.includes(name)) found.push(name);
  }
  return found;
}

/** True for a message a person posted. */
function byPerson(m: ChannelMessage): boolean {
  return m.author.kind === 'participant';
}

/** True when `agent` has taken a turn answering the message at `sequence`. */
function answered(messages: readonly ChannelMessage[], agent: string, sequence: number): boolean {
  return messages.some((m) => m.turn !== undefined && m.agent === agent && m.replyTo === sequence);
}

/** Decides the next turn of a channel from its rules and its messages so far. */
export function nextTurn(rules: TurnRules, messages: readonly ChannelMessage[]): TurnDecision {
  const turns = turnsTaken(messages);
  if (rules.maxTurns !== undefined && turns >= rules.maxTurns) return { kind: 'muted', turns };
  const agents = rules.agents ?? [];
  if (agents.length === 0) return { kind: 'idle', turns, why: 'the channel has no agents (spec.agents)' };
  const speak = (agent: string, replyTo: number | undefined): TurnDecision => ({ kind: 'speak', turns, turn: turns + 1, agent, ...(replyTo !== undefined ? { replyTo } : {}) });
  switch (rules.turnPolicy) {
    case TurnPolicy.RoundRobin: {
      if (messages.length === 0 && !rules.topic) return { kind: 'idle', turns, why: 'waiting for a topic (spec.topic) or a first message' };
      return speak(agents[turns % agents.length]!, messages.at(-1)?.sequence);
    }
    case TurnPolicy.RequestBased: {
      for (const m of messages) {
        // Notes (a turn that ended without a reply) address nobody.
        if (m.author.kind !== 'participant' && m.author.kind !== 'agent') continue;
        const self = m.author.kind === 'agent' ? m.author.name : undefined;
        for (const agent of mentionsIn(m.text, agents)) {
          if (agent !== self && !answered(messages, agent, m.sequence)) return speak(agent, m.sequence);
        }
      }
      return { kind: 'idle', turns, why: 'waiting for a message that addresses an agent (@name)' };
    }
    default: {
      const last = messages.findLast(byPerson);
      if (!last) return { kind: 'idle', turns, why: 'waiting for a person to post' };
      const next = agents.find((a) => !answered(messages, a, last.sequence));
      if (!next) return { kind: 'idle', turns, why: `every agent answered the last message (#${last.sequence}); waiting for a person to post` };
      return speak(next, last.sequence);
    }
  }
}
