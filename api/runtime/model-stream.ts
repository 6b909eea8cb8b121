/**
 * HTTP plumbing the model proxy (control plane) and the model relay (node) share: reading a
 * request body with a cap, choosing which headers cross, writing an upstream response through
 * chunk by chunk (SSE must reach the driver as it streams, not when it ends), and errors in the
 * OpenAI shape (`{"error":{"message":…}}`) so the driver shows the message as the provider's.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Request headers a model call carries on (never the caller's authorization). */
const REQUEST_HEADERS = ['content-type', 'accept', 'openai-beta'];
/**
 * Response headers passed back. Not content-length / content-encoding: fetch has decoded the
 * body, and a stream has no length.
 */
const RESPONSE_HEADERS = ['content-type', 'cache-control', 'retry-after', 'x-request-id', 'openai-processing-ms'];

/** The headers of `req` that go on to the next hop. */
export function forwardedRequestHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of REQUEST_HEADERS) {
    const v = req.headers[name];
    if (typeof v === 'string') out[name] = v;
  }
  return out;
}

/** Reads the whole body, or `'too-large'` once it passes `max` bytes (the rest is discarded). */
export function readRequestBody(req: IncomingMessage, max: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size > max) over = true;
      if (!over) parts.push(d);
    });
    req.on('end', () => resolve(over ? 'too-large' : Buffer.concat(parts)));
    req.on('error', reject);
  });
}

/** An error response in the OpenAI error shape. */
export function sendError(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message, type: 'sidekick_model_proxy' } }));
}

/**
 * Writes `upstream` to `res`: status and the allowed headers at once, then each body chunk as it
 * arrives (waiting for the socket to drain, so a slow reader slows the upstream, not memory).
 */
export async function pipeResponse(upstream: Response, res: ServerResponse, signal: AbortSignal): Promise<void> {
  const headers: Record<string, string> = {};
  for (const name of RESPONSE_HEADERS) {
    const v = upstream.headers.get(name);
    if (v !== null) headers[name] = v;
  }
  // Tells a reverse proxy in front (nginx) not to buffer the stream either.
  headers['x-accel-buffering'] = 'no';
  res.writeHead(upstream.status, headers);
  res.flushHeaders();
  if (!upstream.body) return void res.end();
  const reader = upstream.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await new Promise<void>((resolve) => res.once('drain', resolve).once('close', resolve));
      if (signal.aborted) break;
    }
    res.end();
  } catch {
    // The upstream broke mid-stream: cut the connection so the reader sees a broken stream
    // (the driver retries the turn) rather than a clean end of a partial answer.
    if (!signal.aborted) res.destroy();
  } finally {
    reader.releaseLock();
  }
}

/** Why a fetch failed, as the socket said it (undici hides it in `cause`: ECONNREFUSED, "bad port"). */
export function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}
