/**
 * What the fake model APIs share: an HTTP server on 127.0.0.1 (a free port) whose requests are
 * read whole before the handler sees them, and the small writers they answer with (JSON, SSE).
 * openai-server.ts (chat completions), anthropic-server.ts (Messages) and
 * openai-responses-server.ts (Responses) are built on it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the fake saw it: the body is parsed JSON when it was JSON, else the raw text. */
export interface LoopbackRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  rawBody: string;
}

/** A listening loopback server; `close()` drops open connections (held streams too). */
export interface LoopbackServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  close(): Promise<void>;
}

/** A request a fake did not serve: a route or method the CLI uses that the fake does not know. */
export interface UnknownRequest {
  method: string;
  path: string;
}

/**
 * A fake model API whose answers come from a responder (anthropic-server.ts, openai-responses-server.ts):
 * it records the bodies it served and the requests it did not, numbers its responses, and listens
 * on loopback once `listen()` is called (by the subclass's static `start`).
 */
export abstract class ResponderServer<Body, Responder> {
  /** Every request body served, in order. */
  readonly requests: Body[] = [];
  readonly unknown: UnknownRequest[] = [];
  /** The number of the last response (in ids). */
  protected seq = 0;
  private server?: LoopbackServer;

  protected constructor(protected responder: Responder) {}

  /** `http://127.0.0.1:<port>` */
  protected get origin(): string {
    return this.server!.origin;
  }

  /** Starts listening; resolves this server. */
  protected async listen(): Promise<this> {
    this.server = await listenLoopback((req, res) => this.handle(req, res));
    return this;
  }

  /** Changes what the model answers from the next request on. */
  respondWith(responder: Responder): void {
    this.responder = responder;
  }

  close(): Promise<void> {
    return this.server!.close();
  }

  protected abstract handle(req: LoopbackRequest, res: ServerResponse): Promise<void>;
}

/** Starts a server on 127.0.0.1 that hands each fully read request to `handle`. */
export async function listenLoopback(handle: (req: LoopbackRequest, res: ServerResponse) => Promise<void> | void): Promise<LoopbackServer> {
  const server: Server = createServer((req, res) => {
    void readBody(req).then((rawBody) => {
      let body: unknown = rawBody;
      try {
        body = rawBody ? JSON.parse(rawBody) : undefined;
      } catch {
        // Not JSON: the handler gets the text and decides.
      }
      return handle({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body, rawBody }, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

/** Writes text, waiting for the socket to drain when it is full. */
export function write(res: ServerResponse, text: string): Promise<void> {
  return new Promise((resolve) => {
    if (res.write(text)) resolve();
    else res.once('drain', () => resolve());
  });
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Starts a `text/event-stream` response (headers flushed at once, as the providers do). */
export function startEventStream(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.flushHeaders();
}

/** One named SSE event whose data is JSON carrying the same `type`, as Anthropic and OpenAI Responses stream them. */
export function typedEvent(data: { type: string } & Record<string, unknown>): string {
  return `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Splits text into pieces of about `size` characters, the way a model streams tokens. */
export function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}
