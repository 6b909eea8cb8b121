/**
 * A fake OpenAI-compatible chat-completions server for driver tests: a real HTTP server on
 * 127.0.0.1 (free port) that answers `POST /v1/chat/completions` from a queue of scripted
 * responses, speaking the real SSE wire format (`data: {chunk}` events, `[DONE]`, the usage chunk
 * with empty `choices`), and records every request it received.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { json, listenLoopback, pieces, startEventStream, write, type LoopbackRequest, type LoopbackServer } from './loopback-http.js';

/** One `chat.completion.chunk` (or any JSON the test wants on a `data:` line). */
export type FakeChunk = Record<string, unknown>;

/** How one request is answered. */
export type FakeResponse =
  | {
      kind: 'stream';
      chunks: FakeChunk[];
      /** Send `data: [DONE]` at the end (default true). */
      done?: boolean;
      /** Destroy the socket after this many chunks: a connection dropped mid-stream. */
      dropAfter?: number;
      /** Keep the response open after the chunks until the client goes away (for interrupts). */
      hold?: boolean;
      /** Wait for this before sending the chunks (headers go first): a turn the test ends when it is ready. */
      gate?: Promise<unknown>;
      /** Spread each chunk's JSON over several `data:` lines and put `:` comments between events. */
      multiline?: boolean;
    }
  | { kind: 'error'; status: number; body: unknown; headers?: Record<string, string> };

/** A request the server received. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: {
    model?: string;
    stream?: boolean;
    stream_options?: { include_usage?: boolean };
    messages: { role: string; content: string | null; tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[]; tool_call_id?: string }[];
    tools?: { type: string; function: { name: string; description: string; parameters: Record<string, unknown> } }[];
  };
}

/** What a scripted assistant turn says; `reply()` turns it into realistic chunks. */
export interface FakeReply {
  content?: string;
  reasoning?: string;
  toolCalls?: { id: string; name: string; arguments: string }[];
  usage?: { prompt: number; completion: number };
  finishReason?: string;
}

const base = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'fake-model' };
const chunk = (delta: Record<string, unknown>, finishReason: string | null = null): FakeChunk => ({
  ...base,
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
});

/** The chunks of one assistant turn, as OpenAI streams them: role first, deltas, finish_reason, then usage. */
export function reply(r: FakeReply): FakeChunk[] {
  const chunks: FakeChunk[] = [chunk({ role: 'assistant', content: '' })];
  for (const p of pieces(r.reasoning ?? '', 7)) chunks.push(chunk({ reasoning_content: p }));
  for (const p of pieces(r.content ?? '', 5)) chunks.push(chunk({ content: p }));
  (r.toolCalls ?? []).forEach((call, index) => {
    chunks.push(chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }));
    // Arguments arrive in fragments that are not valid JSON on their own.
    for (const p of pieces(call.arguments, 4)) chunks.push(chunk({ tool_calls: [{ index, function: { arguments: p } }] }));
  });
  chunks.push(chunk({}, r.finishReason ?? (r.toolCalls?.length ? 'tool_calls' : 'stop')));
  if (r.usage) {
    chunks.push({ ...base, choices: [], usage: { prompt_tokens: r.usage.prompt, completion_tokens: r.usage.completion, total_tokens: r.usage.prompt + r.usage.completion } });
  }
  return chunks;
}

/** A streamed answer built with `reply()`. */
export function streamed(r: FakeReply, extra: Omit<Extract<FakeResponse, { kind: 'stream' }>, 'kind' | 'chunks'> = {}): FakeResponse {
  return { kind: 'stream', chunks: reply(r), ...extra };
}

/** An error response with an OpenAI-style JSON body. */
export function httpError(status: number, message: string, headers?: Record<string, string>): FakeResponse {
  return { kind: 'error', status, body: { error: { message, type: 'invalid_request_error', code: null } }, ...(headers ? { headers } : {}) };
}

/** The fake server. Start with `FakeOpenAIServer.start()`, script with `enqueue`, stop with `close`. */
export class FakeOpenAIServer {
  readonly requests: RecordedRequest[] = [];
  private readonly queue: FakeResponse[] = [];
  private readonly held = new Set<ServerResponse>();

  private constructor(
    private readonly server: LoopbackServer,
    readonly baseURL: string,
  ) {}

  static async start(): Promise<FakeOpenAIServer> {
    let self: FakeOpenAIServer | undefined;
    const server = await listenLoopback((req, res) => self!.handle(req, res));
    self = new FakeOpenAIServer(server, `${server.origin}/v1`);
    return self;
  }

  /** Adds responses for the next requests, in order. */
  enqueue(...responses: FakeResponse[]): void {
    this.queue.push(...responses);
  }

  /** Responses not yet used: a test that scripted more than the driver asked for can check this. */
  get remaining(): number {
    return this.queue.length;
  }

  async close(): Promise<void> {
    for (const res of this.held) res.destroy();
    await this.server.close();
  }

  private async handle(req: LoopbackRequest, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST' || req.path !== '/v1/chat/completions') {
      return json(res, 404, { error: { message: `fake server: no route ${req.method} ${req.path}` } });
    }
    if (typeof req.body !== 'object' || req.body === null) return json(res, 400, { error: { message: 'fake server: body is not JSON' } });
    const body = req.body as RecordedRequest['body'];
    this.requests.push({ method: req.method, path: req.path, headers: req.headers, body });
    const next = this.queue.shift();
    if (!next) return json(res, 500, { error: { message: 'fake server: no scripted response left' } });
    if (next.kind === 'error') {
      res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
      res.end(typeof next.body === 'string' ? next.body : JSON.stringify(next.body));
      return;
    }
    startEventStream(res);
    if (next.gate) await next.gate;
    for (const [i, c] of next.chunks.entries()) {
      if (next.dropAfter !== undefined && i >= next.dropAfter) {
        res.socket?.destroy();
        return;
      }
      await write(res, next.multiline ? `: keep-alive\n\n${multiline(c)}` : `data: ${JSON.stringify(c)}\n\n`);
    }
    if (next.dropAfter !== undefined && next.dropAfter >= next.chunks.length) {
      res.socket?.destroy();
      return;
    }
    if (next.hold) {
      this.held.add(res);
      res.on('close', () => this.held.delete(res));
      return;
    }
    if (next.done !== false) await write(res, 'data: [DONE]\n\n');
    res.end();
  }
}

/** A chunk as a multi-line SSE event: pretty-printed JSON, one `data:` field per line (the parser joins them with \n). */
function multiline(c: FakeChunk): string {
  return `${JSON.stringify(c, null, 1)
    .split('\n')
    .map((line) => `data: ${line}`)
    .join('\r\n')}\r\n\r\n`;
}
