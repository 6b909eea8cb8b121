/**
 * The node's loopback model relay: an OpenAI-compatible base URL on 127.0.0.1 per agent
 * (`/agents/<ns>/<agent>`) that the OpenAI driver calls like any endpoint, and that forwards each
 * request to the control plane's model proxy (`/api/runtime/v1/models/<ns>/<agent>/...`) with the
 * node's current access token. The model API key stays on the control plane; the driver only
 * holds the relay's own per-process secret, so other local users cannot spend the node's access.
 * Responses (SSE included) are written through chunk by chunk, never buffered.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HEADER_PROTOCOL, RUNTIME_API_PREFIX, RUNTIME_PROTOCOL } from '../api/runtime/protocol.js';
import { describeFetchError, pipeResponse, readRequestBody, sendError, forwardedRequestHeaders } from '../api/runtime/model-stream.js';

/** What the run side needs to point the OpenAI driver at the relay. */
export interface ModelRelayEndpoint {
  /** The base URL the driver uses for an agent, e.g. `http://127.0.0.1:41234/agents/team/coder`. */
  baseURLFor(namespace: string, agent: string): string;
  /** The bearer the relay accepts (a random secret of this process, never the model's key). */
  readonly apiKey: string;
}

export interface ModelRelayOptions {
  /** The control plane's base URL, e.g. `https://sidekick.example.com`. */
  url: string;
  /** The node's current access token (cached and refreshed by the node connection). */
  accessToken: () => Promise<string>;
  /** Calls the control plane (a fetch that trusts a private CA, for instance). */
  fetch?: typeof fetch;
  log?: (line: string) => void;
}

export interface ModelRelay extends ModelRelayEndpoint {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  close(): Promise<void>;
}

/** Largest request body relayed (a long transcript is a few MiB). */
const MAX_BODY_BYTES = 32 * 1024 * 1024;
const AGENT_PATH = /^\/agents\/([a-z0-9][-a-z0-9.]*)\/([a-z0-9][-a-z0-9.]*)\/([^?]*)(\?.*)?$/;

/** Starts the relay on 127.0.0.1 (a free port). */
export async function startModelRelay(o: ModelRelayOptions): Promise<ModelRelay> {
  const apiKey = `skr-${randomBytes(24).toString('base64url')}`;
  const base = o.url.replace(/\/+$/, '');
  const server: Server = createServer((req, res) => {
    void relay(req, res).catch((err: unknown) => {
      o.log?.(`model relay: ${(err as Error).message}`);
      if (!res.headersSent) sendError(res, 502, `model relay: ${(err as Error).message}`);
      else res.destroy();
    });
  });

  async function relay(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!bearerMatches(req.headers.authorization, apiKey)) return sendError(res, 401, 'model relay: missing or wrong bearer token');
    const m = AGENT_PATH.exec(req.url ?? '');
    if (!m) return sendError(res, 404, `model relay: no route ${req.method} ${req.url} (want /agents/<namespace>/<agent>/...)`);
    const [, ns, agent, rest, query = ''] = m;
    const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readRequestBody(req, MAX_BODY_BYTES);
    if (body === 'too-large') return sendError(res, 413, `model relay: request body over ${MAX_BODY_BYTES} bytes`);
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const target = `${base}${RUNTIME_API_PREFIX}/models/${ns}/${agent}/${rest}${query}`;
    let upstream: Response;
    try {
      upstream = await (o.fetch ?? fetch)(target, {
        method: req.method ?? 'GET',
        headers: {
          ...forwardedRequestHeaders(req),
          authorization: `Bearer ${await o.accessToken()}`,
          [HEADER_PROTOCOL]: String(RUNTIME_PROTOCOL.current),
        },
        ...(body !== undefined ? { body } : {}),
        signal: abort.signal,
      });
    } catch (err) {
      if (abort.signal.aborted) return;
      return sendError(res, 502, `model relay: could not reach the control plane at ${base}: ${describeFetchError(err)}`);
    }
    await pipeResponse(upstream, res, abort.signal);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  o.log?.(`model relay: listening on ${origin}, forwarding to ${base}${RUNTIME_API_PREFIX}/models`);
  return {
    origin,
    apiKey,
    baseURLFor: (namespace, agent) => `${origin}/agents/${namespace}/${agent}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function bearerMatches(header: string | undefined, secret: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/i.exec(header ?? '')?.[1] ?? '');
  const want = Buffer.from(secret);
  return given.length === want.length && timingSafeEqual(given, want);
}
