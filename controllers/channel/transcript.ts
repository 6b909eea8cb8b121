/**
 * The prompt of an agent's turn: who it is and who else is in the channel, the topic, the
 * conversation so far with each message's author (a person, an agent, or a note from the channel),
 * and the request for its next message. The newest messages are kept when the conversation is
 * longer than the prompt allows; the prompt says how many earlier ones were left out.
 */
import type { ChannelMessage } from '../../api/journal/channel-messages.js';
import { TurnPolicy } from '../../resources/kinds/channel.js';

/** Messages and characters of conversation a prompt carries at most. */
export const TRANSCRIPT_LIMITS = { messages: 100, chars: 24_000 } as const;

export interface TurnPromptInput {
  channel: string;
  session: string;
  /** The agent whose turn it is. */
  agent: string;
  agents: readonly string[];
  turnPolicy: TurnPolicy;
  topic?: string;
  messages: readonly ChannelMessage[];
  turn: number;
  maxTurns?: number;
  /** The message this turn answers. */
  replyTo?: number;
}

/** `author (person|agent)`, or `channel` for the channel's own notes. */
export function authorLabel(m: ChannelMessage): string {
  switch (m.author.kind) {
    case 'participant':
      return `${m.author.name} (person)`;
    case 'agent':
      return `${m.author.name} (agent)`;
    default:
      return 'channel';
  }
}

/** One transcript entry: `author: text`, continuation lines indented. */
export function transcriptLine(m: ChannelMessage): string {
  return `${authorLabel(m)}: ${m.text.trim().replace(/\n/g, '\n  ')}`;
}

/** The newest messages that fit the limits (oldest first) and how many were left out. */
export function transcriptOf(messages: readonly ChannelMessage[], limits: { messages: number; chars: number } = TRANSCRIPT_LIMITS): { lines: string[]; omitted: number } {
  const lines: string[] = [];
  let chars = 0;
  for (let i = messages.length - 1; i >= 0 && lines.length < limits.messages; i--) {
    const line = transcriptLine(messages[i]!);
    // The newest message is always kept, cut to the limit if it alone is longer.
    if (lines.length > 0 && chars + line.length > limits.chars) break;
    lines.unshift(line.length > limits.chars ? `${line.slice(0, limits.chars)} …` : line);
    chars += line.length + 1;
  }
  return { lines, omitted: messages.length - lines.length };
}

const POLICY_TEXT: Record<TurnPolicy, string> = {
  RoundRobin: 'The agents speak in turn, in that order.',
  FreeForm: "After a person's message, each agent answers once, in that order.",
  RequestBased: 'An agent speaks when a message addresses it as @name; address another agent the same way.',
};

/** The prompt of turn `turn` for `agent`. */
export function turnPrompt(o: TurnPromptInput): string {
  const others = o.agents.filter((a) => a !== o.agent);
  const parts: string[] = [
    `You are the agent "${o.agent}" in the channel "${o.channel}" of session "${o.session}", a conversation between people and the agents ${o.agents.map((a) => `"${a}"`).join(', ')}. ${POLICY_TEXT[o.turnPolicy]}`,
  ];
  if (o.topic) parts.push(`Topic: ${o.topic.trim()}`);
  const { lines, omitted } = transcriptOf(o.messages);
  if (lines.length === 0) parts.push('Nobody has spoken yet: you open the conversation.');
  else parts.push(['Conversation so far (oldest first):', ...(omitted > 0 ? [`(${omitted} earlier message${omitted === 1 ? '' : 's'} left out)`] : []), ...lines].join('\n'));
  const answering = o.replyTo !== undefined ? o.messages.find((m) => m.sequence === o.replyTo) : undefined;
  const ask = [
    `It is your turn (turn ${o.turn}${o.maxTurns !== undefined ? ` of ${o.maxTurns}` : ''}).`,
    ...(answering && o.turnPolicy !== TurnPolicy.RoundRobin ? [`Answer the message from ${authorLabel(answering)}: "${firstLine(answering.text)}".`] : []),
    `Write your next message to the channel and reply with that message only: it is posted to the channel as "${o.agent}"${others.length ? ` for ${others.map((a) => `"${a}"`).join(', ')} and the people to read` : ' for the people to read'}.`,
  ];
  parts.push(ask.join(' '));
  return parts.join('\n\n');
}

function firstLine(text: string): string {
  const line = text.trim().split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
