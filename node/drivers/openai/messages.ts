/** Maps our transcript to chat-completions messages (the transcript already has the chat shape). */
import type { TranscriptMessage } from '../contract.js';

/** One chat-completions request message. */
export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[] }
  | { role: 'tool'; content: string; tool_call_id: string };

/** The request messages for a transcript. */
export function chatMessages(transcript: readonly TranscriptMessage[]): ChatMessage[] {
  return transcript.map((m): ChatMessage => {
    switch (m.role) {
      case 'system':
      case 'user':
        return { role: m.role, content: m.content };
      case 'assistant':
        if (m.toolCalls && m.toolCalls.length > 0) {
          return {
            role: 'assistant',
            // Some servers reject an empty string next to tool calls; null is what OpenAI itself sends.
            content: m.content === '' ? null : m.content,
            tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } })),
          };
        }
        return { role: 'assistant', content: m.content };
      case 'tool':
        return { role: 'tool', content: m.content, tool_call_id: m.toolCallId ?? '' };
    }
  });
}
