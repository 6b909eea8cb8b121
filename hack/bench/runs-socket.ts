/**
 * Plain HTTP to the daemon's Unix socket, and a follower of a session's timeline. The Runs
 * benchmark drives the daemon here rather than over its TCP listener: the socket needs no TLS or
 * token, so what is timed is the daemon's own work, not a handshake.
 */
import http from 'node:http';
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
  static open(socketPath: string, session: string, onEvent: (e: TimelineEvent, arrivedAt: bigint) => void): Promise<TimelineFollower> {
    return new Promise((resolve, reject) => {
      const req = http.request({ socketPath, path: `${API}/sessions/${session}/timeline?follow=1`, headers: { accept: 'application/json' } }, (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`timeline of ${session}: HTTP ${res.statusCode}`));
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
            if (line.trim()) onEvent(JSON.parse(line) as TimelineEvent, arrivedAt);
          }
        });
        res.on('error', () => undefined);
        resolve(new TimelineFollower(req));
      });
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.req.destroy();
  }
}
