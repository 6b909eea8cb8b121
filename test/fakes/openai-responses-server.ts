/**
 * A fake OpenAI Responses API for the real Codex CLI (a `model_providers` entry with
 * `wire_api = "responses"` whose base_url points here): a loopback server that answers
 * `POST /v1/responses` with the streaming wire format — `response.created`, then per output item
 * `response.output_item.added`, `response.content_part.added` + `response.output_text.delta`… +
 * `response.output_text.done` + `response.content_part.done` for a message, or
 * `response.function_call_arguments.delta`… + `response.function_call_arguments.done` for a
 * function call, `response.output_item.done`, and last `response.completed` with usage — and
 * records every request. What the model says is a function of the request (a responder); a
 * responder that throws answers 400 with its message, which Codex reports as the turn's error.
 */
import type { ServerResponse } from 'node:http';
import { json, pieces, ResponderServer, startEventStream, typedEvent, write, type LoopbackRequest } from './loopback-http.js';

/** An input item of a Responses request (the kinds the responders read). */
export type ResponsesItem =
  | { type: 'message'; role: string; content: string | { type: string; text?: string }[] }
  | { type: 'function_call'; call_id: string; name: string; arguments: string }
  | { type: 'function_call_output'; call_id: string; output: string | unknown }
  | { type: string; [key: string]: unknown };

/** The body of a `POST /v1/responses` request. */
export interface ResponsesRequestBody {
  model: string;
  instructions?: string;
  input: ResponsesItem[];
  tools?: { type: string; name?: string }[];
  stream?: boolean;
}

/** What the model answers: a message, then at most one function call. */
export interface ResponsesTurn {
  text?: string;
  functionCall?: { name: string; arguments: Record<string, unknown> };
}

export type ResponsesResponder = (body: ResponsesRequestBody) => ResponsesTurn;

/** The text of a message item. */
export function messageText(item: ResponsesItem): string {
  if (item.type !== 'message') return '';
  const content = (item as Extract<ResponsesItem, { type: 'message' }>).content;
  return typeof content === 'string' ? content : content.map((c) => c.text ?? '').join('');
}

const SCRIPT_MARK = 'fake-codex-script:';

/** A step the scripted model plays: a message, or a command through Codex's `exec_command` tool. */
type ScriptStep = { say: string } | { run: string };

/**
 * The model of the Codex e2e suite, driven by the same script as the fake Codex CLI
 * (`fake-codex-script: [steps]` in the prompt; `say` and `run` steps). Each `run` ends a response
 * with an `exec_command` call, the `say`s before it going along as a message; the response after
 * the last call has the remaining `say`s. User messages that reached the thread since the model
 * last called a tool (steer text, a refusal's reason) are echoed in its message as " (steer: …)",
 * so a test can see what reached the model.
 */
export const playCodexScript: ResponsesResponder = (body) => {
  const at = body.input.findIndex((i) => i.type === 'message' && i.role === 'user' && messageText(i).includes(SCRIPT_MARK));
  if (at < 0) throw new Error(`no "${SCRIPT_MARK}" in any user message`);
  const steps = JSON.parse(messageText(body.input[at]!).split(SCRIPT_MARK)[1]!.trim()) as ScriptStep[];
  const segments: { says: string[]; run?: string }[] = [{ says: [] }];
  for (const step of steps) {
    if ('say' in step) segments[segments.length - 1]!.says.push(step.say);
    else if ('run' in step) {
      segments[segments.length - 1]!.run = step.run;
      segments.push({ says: [] });
    } else throw new Error(`the fake model plays only say and run steps, not ${JSON.stringify(step)}`);
  }
  const after = body.input.slice(at + 1);
  const calls = after.filter((i) => i.type === 'function_call').length;
  const segment = segments[calls] ?? { says: [] };
  const lastCall = after.map((i) => i.type).lastIndexOf('function_call');
  const heard = after.slice(lastCall + 1).filter((i) => i.type === 'message' && i.role === 'user').map(messageText).filter(Boolean);
  const says = [...segment.says];
  if (heard.length && says.length) says[says.length - 1] += ` (steer: ${heard.join('; ')})`;
  return {
    ...(says.length ? { text: says.join('\n') } : {}),
    ...(segment.run !== undefined ? { functionCall: { name: 'exec_command', arguments: { cmd: segment.run } } } : {}),
  };
};

/** The fake Responses API. `start(responder)`, point the provider's base_url at `baseURL`, `close()` at the end. */
export class FakeResponsesServer extends ResponderServer<ResponsesRequestBody, ResponsesResponder> {
  /** The provider's base_url (the CLI adds /responses). */
  get baseURL(): string {
    return `${this.origin}/v1`;
  }

  static start(responder: ResponsesResponder = playCodexScript): Promise<FakeResponsesServer> {
    return new FakeResponsesServer(responder).listen();
  }

  protected async handle(req: LoopbackRequest, res: ServerResponse): Promise<void> {
    const path = req.path.split('?')[0];
    if (req.method !== 'POST' || path !== '/v1/responses' || typeof req.body !== 'object' || req.body === null) {
      this.unknown.push({ method: req.method, path: req.path });
      return json(res, 404, { error: { message: `fake Responses API: no route ${req.method} ${req.path}`, type: 'invalid_request_error', code: null } });
    }
    const body = req.body as ResponsesRequestBody;
    this.requests.push(body);
    let turn: ResponsesTurn;
    try {
      turn = this.responder(body);
    } catch (err) {
      return json(res, 400, { error: { message: `fake model: ${err instanceof Error ? err.message : String(err)}`, type: 'invalid_request_error', code: null } });
    }
    startEventStream(res);
    for (const event of responseEvents(turn, body.model, ++this.seq)) await write(res, typedEvent(event));
    res.end();
  }
}

/** The stream events of one response, in the order the Responses API sends them (with sequence numbers). */
export function responseEvents(turn: ResponsesTurn, model: string, seq: number): ({ type: string } & Record<string, unknown>)[] {
  const id = `resp_fake${String(seq).padStart(4, '0')}`;
  const response = { id, object: 'response', created_at: 1_700_000_000 + seq, status: 'in_progress', model, output: [] as unknown[], usage: null };
  type Event = { type: string } & Record<string, unknown>;
  const events: Event[] = [{ type: 'response.created', response }, { type: 'response.in_progress', response }];
  const output: Record<string, unknown>[] = [];
  if (turn.text !== undefined) {
    const output_index = output.length;
    const item = { id: `msg_fake${seq}`, type: 'message', status: 'in_progress', role: 'assistant', content: [] };
    const part = { type: 'output_text', text: '', annotations: [] };
    events.push({ type: 'response.output_item.added', output_index, item });
    events.push({ type: 'response.content_part.added', item_id: item.id, output_index, content_index: 0, part });
    for (const delta of pieces(turn.text, 9)) events.push({ type: 'response.output_text.delta', item_id: item.id, output_index, content_index: 0, delta, logprobs: [] });
    events.push({ type: 'response.output_text.done', item_id: item.id, output_index, content_index: 0, text: turn.text, logprobs: [] });
    events.push({ type: 'response.content_part.done', item_id: item.id, output_index, content_index: 0, part: { ...part, text: turn.text } });
    const done = { ...item, status: 'completed', content: [{ ...part, text: turn.text }] };
    events.push({ type: 'response.output_item.done', output_index, item: done });
    output.push(done);
  }
  if (turn.functionCall) {
    const output_index = output.length;
    const args = JSON.stringify(turn.functionCall.arguments);
    const item = { id: `fc_fake${seq}`, type: 'function_call', status: 'in_progress', call_id: `call_fake${seq}`, name: turn.functionCall.name, arguments: '' };
    events.push({ type: 'response.output_item.added', output_index, item });
    for (const delta of pieces(args, 6)) events.push({ type: 'response.function_call_arguments.delta', item_id: item.id, output_index, delta });
    events.push({ type: 'response.function_call_arguments.done', item_id: item.id, output_index, arguments: args });
    const done = { ...item, status: 'completed', arguments: args };
    events.push({ type: 'response.output_item.done', output_index, item: done });
    output.push(done);
  }
  const usage = { input_tokens: 1200, input_tokens_details: { cached_tokens: 1000 }, output_tokens: 80, output_tokens_details: { reasoning_tokens: 16 }, total_tokens: 1280 };
  events.push({ type: 'response.completed', response: { ...response, status: 'completed', output, usage } });
  return events.map((e, i) => ({ ...e, sequence_number: i }));
}
