/**
 * A minimal keep-alive HTTP client for benchmarks: the same loopback requests kubectl or the
 * sidekick CLI make, without any client-side work that would blur the server's figures.
 */
import http from 'node:http';
import https from 'node:https';
import { socketOwnerHeaders } from '../../api/client/connection.js';

export interface BenchTarget {
  url: string;
  token: string;
  /** The daemon's CA (its TCP listener is HTTPS). */
  ca: string;
}

/** A JSON request over http or https: status and body, rejecting on transport errors only. */
export function exchange(
  send: typeof http.request | typeof https.request,
  options: http.RequestOptions & https.RequestOptions,
  body?: unknown,
): Promise<{ status: number; body: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = send(
      {
        ...options,
        headers: {
          accept: 'application/json',
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...(options.socketPath ? socketOwnerHeaders(options.socketPath) : {}),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** Sends one request to the daemon's HTTPS listener with its token. */
export function request(agent: https.Agent, target: BenchTarget, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const u = new URL(path, target.url);
  return exchange(
    https.request,
    { agent, ca: target.ca, host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: { authorization: `Bearer ${target.token}`, ...headers } },
    body,
  );
}

/** Percentile of an ascending-sorted sample (nearest rank). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Milliseconds since `start` (from process.hrtime.bigint()). */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}
