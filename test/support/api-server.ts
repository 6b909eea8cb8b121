/**
 * Test support for API server tests: a daemon on a temp home with loopback TCP (https, its
 * self-signed certificate trusted), and a minimal client that talks to it over TCP (with or
 * without the token) or over the Unix socket (plain http).
 */
import { readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { DaemonHandle, DaemonOptions } from '../../cli/daemon/compose.js';
import { tempDaemon } from './daemon.js';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: any;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as is (no JSON encoding) when a string or Buffer. */
  raw?: string | Buffer;
  contentType?: string;
  accept?: string;
  headers?: Record<string, string>;
  /** Default: TCP with the daemon token. */
  via?: 'tcp' | 'tcp-no-token' | 'socket' | 'socket-no-token';
}

export interface TestServer {
  daemon: DaemonHandle;
  request(method: string, path: string, opts?: RequestOptions): Promise<Reply>;
  /** Opens a watch stream and collects its events as they arrive. */
  watch(path: string, opts?: RequestOptions): Promise<WatchStream>;
  close(): Promise<void>;
}

export interface WatchStream {
  status: number;
  events: { type: string; object: any }[];
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

/** Starts a daemon on a temp home, listening on the socket and 127.0.0.1:0. */
export async function startTestServer(opts: Omit<DaemonOptions, 'home' | 'listen'> = {}): Promise<TestServer> {
  // API tests exercise the machinery with objects no controller should act on.
  const { daemon, stop } = await tempDaemon({ prefix: 'sidekick-api-', controllers: false, ...opts, listen: '127.0.0.1:0' });
  const ca = await readFile(daemon.tcp!.caFile);

  const send = (method: string, path: string, opts: RequestOptions = {}) => {
    const via = opts.via ?? 'tcp';
    const payload = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (payload !== undefined) {
      headers['content-type'] = opts.contentType ?? 'application/json';
      // Node sends DELETE bodies without framing unless the length is given.
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    if (opts.accept) headers.accept = opts.accept;
    // Both listeners need the owner's token; a test that means to send none passes `authorization: ''`.
    if (headers.authorization === undefined && via !== 'tcp-no-token' && via !== 'socket-no-token') headers.authorization = `Bearer ${daemon.token}`;
    const req =
      via === 'socket' || via === 'socket-no-token'
        ? httpRequest({ socketPath: daemon.socketPath, method, path, headers })
        : httpsRequest({ host: '127.0.0.1', port: daemon.tcp!.port, ca, method, path, headers });
    req.end(payload);
    return req;
  };

  return {
    daemon,
    request: (method, path, opts) =>
      new Promise((resolve, reject) => {
        const req = send(method, path, opts);
        req.on('error', reject);
        req.on('response', (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => {
            let json: unknown;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
          });
        });
      }),
    watch: (path, opts) =>
      new Promise((resolve, reject) => {
        const req = send('GET', path, opts);
        req.on('error', (err) => {
          if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err);
        });
        req.on('response', (res) => {
          const events: WatchStream['events'] = [];
          let buffer = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            buffer += d;
            let nl: number;
            while ((nl = buffer.indexOf('\n')) >= 0) {
              events.push(JSON.parse(buffer.slice(0, nl)));
              buffer = buffer.slice(nl + 1);
            }
          });
          const ended = new Promise<void>((done) => {
            res.on('end', () => done());
            res.on('close', () => done());
          });
          resolve({ status: res.statusCode ?? 0, events, ended, close: () => req.destroy() });
        });
      }),
    close: () => stop(),
  };
}

/** A minimal valid Agent manifest. */
export function agentManifest(name: string, spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Agent', metadata: { name, ...metadata }, spec: { driver: 'Claude', ...spec } };
}

/** The collection path of a namespaced kind in `default`. */
export function collection(plural: string, namespace = 'default'): string {
  return `/apis/sidekicks.dev/v1alpha1/namespaces/${namespace}/${plural}`;
}
