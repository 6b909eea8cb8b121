/**
 * The HTTP layer of the client: one request (buffered) or one stream over a Unix socket or an
 * http(s) URL, with a keep-alive agent and the bearer token. Failures to connect become a
 * {@link DaemonUnreachableError}; HTTP errors are left to the caller, which knows the Status shape.
 */
import http from 'node:http';
import https from 'node:https';
import { describeConnection, refuseTokenInTheClear, type Connection, type ResolvedConnection } from './connection.js';

/** Thrown when nothing answers at the resolved endpoint (no daemon, refused, unknown host). */
export class DaemonUnreachableError extends Error {
  readonly endpoint: string;
  /** `context`: the kubeconfig context the endpoint came from; the hint then names it instead of the local daemon. */
  constructor(endpoint: string, cause?: unknown, context?: string) {
    const hint = context ? `kubeconfig context "${context}"; switch with: sidekick config use-context NAME` : 'start it with: sidekick daemon start';
    super(`cannot reach the sidekick ${context ? 'server' : 'daemon'} at ${endpoint} (${hint})`, { cause });
    this.name = 'DaemonUnreachableError';
    this.endpoint = endpoint;
  }
}

/** Thrown when an https server's certificate cannot be verified. */
export class TlsVerificationError extends Error {
  constructor(endpoint: string, reason: string) {
    super(`cannot verify the certificate of ${endpoint}: ${reason} (pass --certificate-authority FILE, or --insecure-skip-tls-verify)`);
    this.name = 'TlsVerificationError';
  }
}

/** One HTTP request. `query` values that are undefined are left out. */
export interface HttpRequest {
  method: string;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** A buffered response. */
export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const TLS_ERRORS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'EACCES', 'ENOTSOCK', 'EAI_AGAIN']);

/** Sends requests to one endpoint, reusing connections. Call {@link close} when done. */
export class Transport {
  private readonly agent: http.Agent;
  private readonly url?: URL;

  /** Throws InsecureTokenError for a token bound for a non-loopback plain http server: nothing is sent. */
  constructor(readonly connection: Connection) {
    refuseTokenInTheClear(connection);
    if (connection.baseUrl) {
      this.url = new URL(connection.baseUrl);
      this.agent =
        this.url.protocol === 'https:'
          ? new https.Agent({ keepAlive: true, rejectUnauthorized: !connection.insecureSkipTlsVerify, ca: connection.ca })
          : new http.Agent({ keepAlive: true });
    } else {
      this.agent = new http.Agent({ keepAlive: true });
    }
  }

  /** Sends a request and buffers the whole response body. */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const res = await this.open(req);
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') };
  }

  /**
   * Sends a request and resolves with the response as soon as its headers arrive (for watches).
   * The token comes from `tokenProvider` when there is one, asked anew for every request.
   */
  async open(req: HttpRequest): Promise<http.IncomingMessage> {
    const path = req.path + queryString(req.query);
    const headers: Record<string, string> = { ...req.headers };
    const token = this.connection.tokenProvider ? await this.connection.tokenProvider() : this.connection.token;
    if (token) headers.authorization = `Bearer ${token}`;
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    const options: http.RequestOptions = { method: req.method, path, headers, agent: this.agent, signal: req.signal };
    if (this.url) {
      options.hostname = this.url.hostname.replace(/^\[|\]$/g, '');
      options.port = this.url.port || (this.url.protocol === 'https:' ? 443 : 80);
      options.path = this.url.pathname.replace(/\/$/, '') + path;
    } else {
      options.socketPath = this.connection.socketPath;
    }
    const lib = this.url?.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const r = lib.request(options, resolve);
      r.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code && CONNECT_ERRORS.has(err.code) && !r.reusedSocket) reject(new DaemonUnreachableError(describeConnection(this.connection), err, (this.connection as ResolvedConnection).context?.name));
        else if (err.code && TLS_ERRORS.has(err.code)) reject(new TlsVerificationError(describeConnection(this.connection), err.message.replace(/^Error: /, '')));
        else reject(err);
      });
      r.end(req.body);
    });
  }

  /** Releases pooled sockets so the process can exit. */
  close(): void {
    this.agent.destroy();
  }
}

function queryString(query: HttpRequest['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}
