/**
 * Plain HTTP to the daemon's Unix socket, and a follower of a session's timeline. The Runs
 * benchmark drives the daemon here rather than over its TCP listener: the socket needs no TLS or
 * token, so what is timed is the daemon's own work, not a handshake.
 */
import http from 'node:http';
import { socketOwnerHeaders } from '../../api/client/connection.js';
import { exchange } from './http.js';

/** The namespaced path prefix of sidekicks.dev objects in `default`. */
export const API = '/apis/sidekicks.dev/v1alpha1/namespaces/default';

/** A keep-alive client of the daemon's Unix socket. */
export class SocketClient {
  private readonly agent: http.Agent;

  constructor(
    readonly socketPath: string,
    maxSockets = 16,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
  }

  /** Sends one request; resolves with status and body, rejects on transport errors only. */
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
    return exchange(http.request, { agent: this.agent, socketPath: this.socketPath, path, method }, body);
  }

  /** Sends a request and parses the reply; any status outside `ok` is an error naming the body. */
  async json<T>(method: string, path: string, body?: unknown, ok: number[] = [200, 201]): Promise<T> {
    const res = await this.request(method, path, body);
    if (!ok.includes(res.status)) throw new Error(`${method} ${path}: HTTP ${res.status} ${res.body.slice(0, 500)}`);
    return JSON.parse(res.body) as T;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The journal envelope fields the benchmark reads (api/journal/event.ts has the full shape). */
export interface TimelineEvent {
  sequence: number;
  /** RFC 3339 with milliseconds, stamped by the daemon when it appended the event. */
  time: string;
  type: string;
  run?: string;
  payload?: Record<string, unknown>;
}

/**
 * Follows `GET .../sessions/{name}/timeline?follow=1` (backlog, then live) and hands each event
 * to `onEvent` with the client-side arrival time (process.hrtime.bigint()).
 */
export class TimelineFollower {
  private constructor(private readonly req: http.ClientRequest) {}

  /** Resolves once the daemon has answered (its headers are flushed before any event). */
  static async open(socketPath: string, session: string, onEvent: (e: TimelineEvent, arrivedAt: bigint) => void): Promise<TimelineFollower> {
    const req = await streamLines(socketPath, `${API}/sessions/${session}/timeline?follow=1`, `timeline of ${session}`, (line, arrivedAt) =>
      onEvent(JSON.parse(line) as TimelineEvent, arrivedAt),
    );
    return new TimelineFollower(req);
  }

  close(): void {
    this.req.destroy();
  }
}

/**
 * Opens a streaming GET (a watch, a timeline follow) and hands each non-empty NDJSON line to
 * `onLine` with the client-side arrival time of the chunk that completed it. Resolves with the
 * request (destroy it to stop) once the daemon has answered 200.
 */
export function streamLines(socketPath: string, path: string, what: string, onLine: (line: string, arrivedAt: bigint) => void): Promise<http.ClientRequest> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path, headers: { accept: 'application/json', ...socketOwnerHeaders(socketPath) } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`${what}: HTTP ${res.statusCode}`));
        res.resume();
        return;
      }
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const arrivedAt = process.hrtime.bigint();
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim()) onLine(line, arrivedAt);
        }
      });
      res.on('error', () => undefined);
      resolve(req);
    });
    req.on('error', reject);
    req.end();
  });
}
