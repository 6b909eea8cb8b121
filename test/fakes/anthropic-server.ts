/**
 * A fake Anthropic Messages API for the real Claude Code CLI (ANTHROPIC_BASE_URL points here): a
 * loopback server that answers `POST /v1/messages` with the streaming wire format — `message_start`,
 * `content_block_start` / `content_block_delta` (text_delta, input_json_delta in fragments that
 * are not JSON on their own) / `content_block_stop` per block, `message_delta` with stop_reason and
 * usage, `message_stop` — and records every request. What the model says is a function of the
 * request (a responder), so the side requests a CLI makes need no scripting of their own.
 * `count_tokens` and the CLI's startup probe (`HEAD /api/hello`) are answered; anything else is
 * recorded in `unknown` and gets a 404 in the API's error shape.
 */
import type { ServerResponse } from 'node:http';
import { json, pieces, ResponderServer, startEventStream, typedEvent, write, type LoopbackRequest } from './loopback-http.js';

/** A content block of a Messages request (the ones the responders read). */
export type AnthropicBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | { type: 'tool_result'; tool_use_id: string; content: string | { type: string; text?: string }[]; is_error?: boolean }
  | { type: string; [key: string]: unknown };

/** The body of a `POST /v1/messages` request. */
export interface AnthropicRequestBody {
  model: string;
  max_tokens: number;
  stream?: boolean;
  system?: string | { type: string; text: string }[];
  messages: { role: string; content: string | AnthropicBlock[] }[];
  tools?: { name: string; description?: string; input_schema?: unknown; defer_loading?: boolean }[];
}

/** What the model answers: text, then at most one tool call. */
export interface AnthropicTurn {
  text?: string;
  toolUse?: { name: string; input: Record<string, unknown> };
}

export type AnthropicResponder = (body: AnthropicRequestBody) => AnthropicTurn;

/** The text blocks of a message, in order. */
function textsOf(content: string | AnthropicBlock[]): string[] {
  if (typeof content === 'string') return [content];
  return content.flatMap((b) => (b.type === 'text' && typeof b.text === 'string' ? [b.text] : []));
}

/** The user's texts in order, without the context the CLI attaches itself (`<system-reminder>` blocks). */
function userTexts(body: AnthropicRequestBody): string[] {
  return body.messages.filter((m) => m.role === 'user').flatMap((m) => textsOf(m.content).filter((t) => !t.startsWith('<system-reminder>')));
}

/** What the user asked first in the conversation: the task (a resumed session repeats all of it). */
export function firstPrompt(body: AnthropicRequestBody): string {
  return userTexts(body)[0] ?? '';
}

/**
 * The tool results in the last user message, as the text the model sees (Claude Code may put a
 * system message after it, so the last message is not always the user's).
 */
export function lastToolResults(body: AnthropicRequestBody): { toolUseId: string; text: string; isError: boolean }[] {
  const users = body.messages.filter((m) => m.role === 'user');
  const last = users[users.length - 1];
  return !last || typeof last.content === 'string' ? [] : resultsIn(last.content);
}

function resultsIn(blocks: AnthropicBlock[]): { toolUseId: string; text: string; isError: boolean }[] {
  return blocks.flatMap((b) => {
    if (b.type !== 'tool_result') return [];
    const r = b as Extract<AnthropicBlock, { type: 'tool_result' }>;
    const text = typeof r.content === 'string' ? r.content : r.content.map((c) => c.text ?? '').join('\n');
    return [{ toolUseId: r.tool_use_id, text, isError: r.is_error === true }];
  });
}

/**
 * The model of the Claude e2e suite: it runs the task (the first prompt) as one Bash command, and
 * once it has the tool result it ends its turn quoting it ("Bash tool result: …" — the output, or
 * the refusal the permission tool gave). Like a real model, a session resumed before the call was
 * answered ("Continue the task…") makes the call again.
 */
export const runPromptAsBash: AnthropicResponder = (body) => {
  const results = lastToolResults(body);
  if (results.length) return { text: `Bash tool result: ${results[results.length - 1]!.text}` };
  const command = firstPrompt(body);
  return { text: `Running \`${command}\`.`, toolUse: { name: 'Bash', input: { command, description: 'Run the requested command' } } };
};

/** The fake Messages API. `start(responder)`, point ANTHROPIC_BASE_URL at `baseURL`, `close()` at the end. */
export class FakeAnthropicServer extends ResponderServer<AnthropicRequestBody, AnthropicResponder> {
  /** The value for ANTHROPIC_BASE_URL (the CLI adds /v1/messages). */
  get baseURL(): string {
    return this.origin;
  }

  static start(responder: AnthropicResponder = runPromptAsBash): Promise<FakeAnthropicServer> {
    return new FakeAnthropicServer(responder).listen();
  }

  protected async handle(req: LoopbackRequest, res: ServerResponse): Promise<void> {
    const path = req.path.split('?')[0];
    if (req.method === 'HEAD' && path === '/api/hello') {
      res.writeHead(200);
      res.end();
      return;
    }
    if (req.method === 'POST' && path === '/v1/messages/count_tokens') return json(res, 200, { input_tokens: 100 });
    if (req.method !== 'POST' || path !== '/v1/messages' || typeof req.body !== 'object' || req.body === null) {
      this.unknown.push({ method: req.method, path: req.path });
      return json(res, 404, { type: 'error', error: { type: 'not_found_error', message: `fake Anthropic API: no route ${req.method} ${req.path}` } });
    }
    const body = req.body as AnthropicRequestBody;
    this.requests.push(body);
    const turn = this.responder(body);
    startEventStream(res);
    for (const event of messageEvents(turn, body.model, ++this.seq)) await write(res, typedEvent(event));
    res.end();
  }
}

/** The stream events of one assistant message, in the order the Messages API sends them. */
export function messageEvents(turn: AnthropicTurn, model: string, seq: number): ({ type: string } & Record<string, unknown>)[] {
  const usage = { input_tokens: 120, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 };
  const events: ({ type: string } & Record<string, unknown>)[] = [
    { type: 'message_start', message: { id: `msg_fake${String(seq).padStart(4, '0')}`, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage } },
  ];
  let index = 0;
  if (turn.text) {
    events.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
    for (const p of pieces(turn.text, 12)) events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: p } });
    events.push({ type: 'content_block_stop', index });
    index++;
  }
  if (turn.toolUse) {
    const id = `toolu_fake${String(seq).padStart(4, '0')}`;
    events.push({ type: 'content_block_start', index, content_block: { type: 'tool_use', id, name: turn.toolUse.name, input: {} } });
    for (const p of pieces(JSON.stringify(turn.toolUse.input), 7)) events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: p } });
    events.push({ type: 'content_block_stop', index });
  }
  events.push({ type: 'message_delta', delta: { stop_reason: turn.toolUse ? 'tool_use' : 'end_turn', stop_sequence: null }, usage: { output_tokens: 25 } });
  events.push({ type: 'message_stop' });
  return events;
}
