/**
 * One streamed chat-completions request against an OpenAI-compatible endpoint, and the
 * classification of everything that can go wrong with it: which failures are worth retrying
 * (429, 5xx, connection errors, a stream cut before the answer was complete) and which end the run
 * at once (401/403/404 and other client errors, carrying the provider's own error message).
 */
import { AbortedError } from '../delay.js';
import { parseSse } from './sse.js';
import { ChunkError, TurnAssembler, errorText, type AssembledTurn } from './turn.js';

/** Where requests go; `apiKey` becomes a Bearer token. */
export interface ChatEndpoint {
  baseURL: string;
  apiKey?: string;
}

/** Sees a response as it streams: raw `data:` payloads and reasoning deltas (answer text is buffered, not shown). */
export interface StreamObserver {
  onRaw(data: string): void;
  onReasoning(text: string): void;
  /** The first answer content or tool call arrived: reasoning, if any, is over. */
  onAnswer(): void;
}

/** A failed request attempt, classified for retry and for the run.failed it may become. */
export class ProviderCallError extends Error {
  constructor(
    message: string,
    readonly category: 'Provider' | 'Transport',
    readonly reason: string,
    readonly retryable: boolean,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ProviderCallError';
  }
}

/** The chat-completions URL under a base URL such as `http://127.0.0.1:11434/v1`. */
export function completionsURL(baseURL: string): string {
  return `${baseURL.replace(/\/+$/, '')}/chat/completions`;
}

/** Sends one streaming request and assembles the answer; throws ProviderCallError or AbortedError. */
export async function streamChatCompletion(
  endpoint: ChatEndpoint,
  body: object,
  observer: StreamObserver,
  signal: AbortSignal,
  fetchImpl: typeof fetch = fetch,
): Promise<AssembledTurn> {
  const url = completionsURL(endpoint.baseURL);
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
  if (endpoint.apiKey) headers.authorization = `Bearer ${endpoint.apiKey}`;

  let response: Response;
  try {
    response = await fetchImpl(url, { method: 'POST', headers, body: JSON.stringify(body), signal });
  } catch (err) {
    if (signal.aborted) throw new AbortedError();
    throw new ProviderCallError(`could not reach ${url}: ${describe(err)}`, 'Transport', 'ConnectionFailed', true);
  }
  if (!response.ok) throw await httpError(url, response, signal);
  if (!response.body) throw new ProviderCallError(`${url} answered without a body`, 'Transport', 'ConnectionDropped', true);

  const assembler = new TurnAssembler();
  let done = false;
  try {
    for await (const event of parseSse(response.body as unknown as AsyncIterable<Uint8Array>)) {
      observer.onRaw(event.data);
      if (event.data.trim() === '[DONE]') {
        done = true;
        break;
      }
      const seen = assembler.add(parseChunk(event.data));
      if (seen.reasoning) observer.onReasoning(seen.reasoning);
      if (seen.content || seen.toolCalls) observer.onAnswer();
    }
  } catch (err) {
    if (signal.aborted) throw new AbortedError();
    if (err instanceof ProviderCallError) throw err;
    if (err instanceof ChunkError) {
      throw new ProviderCallError(`${url}: ${err.message}`, 'Provider', err.fromProvider ? 'StreamError' : 'MalformedStream', !err.fromProvider);
    }
    // The answer was complete (finish_reason seen) before the connection broke: keep it.
    if (!assembler.finished) throw new ProviderCallError(`the connection to ${url} broke mid-stream: ${describe(err)}`, 'Transport', 'ConnectionDropped', true);
  }
  if (!done && !assembler.finished) {
    throw new ProviderCallError(`the stream from ${url} ended before the response was complete`, 'Transport', 'ConnectionDropped', true);
  }
  return assembler.result();
}

function parseChunk(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    throw new ChunkError(`a stream chunk is not JSON: ${data.slice(0, 200)}`, false);
  }
}

const statusReasons: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 429: 'RateLimited' };

async function httpError(url: string, response: Response, signal: AbortSignal): Promise<ProviderCallError | AbortedError> {
  let text = '';
  try {
    text = await response.text();
  } catch {
    if (signal.aborted) return new AbortedError();
  }
  const status = response.status;
  const message = `HTTP ${status} from ${url}: ${providerMessage(text) || response.statusText || 'no details'}`;
  const retryable = status === 429 || status >= 500;
  const reason = statusReasons[status] ?? (status >= 500 ? 'ServerError' : 'BadRequest');
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  return new ProviderCallError(message, 'Provider', reason, retryable, status, retryAfterMs);
}

/** The provider's message from an error body (`{"error":{"message":…}}`, `{"error":"…"}`), else the text itself. */
export function providerMessage(body: string): string {
  const trimmed = body.trim();
  try {
    const json = JSON.parse(trimmed) as unknown;
    if (typeof json === 'object' && json !== null && 'error' in json) return errorText((json as { error: unknown }).error);
    if (typeof json === 'object' && json !== null && 'message' in json) return errorText(json);
  } catch {
    // Not JSON: a proxy's HTML or plain text page; show its start.
  }
  return trimmed.slice(0, 500);
}

/** Milliseconds from a Retry-After header (delta-seconds or an HTTP date), or undefined. */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const value = header.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // undici hides the socket error (ECONNRESET, "other side closed") in `cause`.
  const cause = (err as { cause?: unknown }).cause;
  const detail = cause instanceof Error ? `${cause.message}${'code' in cause ? ` (${String((cause as { code: unknown }).code)})` : ''}` : '';
  return detail ? `${err.message}: ${detail}` : err.message;
}
