/**
 * A minimal keep-alive HTTP client for benchmarks: the same loopback requests kubectl or the
 * sidekick CLI make, without any client-side work that would blur the server's figures.
 */
import https from 'node:https';

export interface BenchTarget {
  url: string;
  token: string;
  /** The daemon's CA (its TCP listener is HTTPS). */
  ca: string;
}

/** Sends one request and resolves with status and body; rejects on transport errors only. */
export function request(agent: https.Agent, target: BenchTarget, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const u = new URL(path, target.url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        agent,
        ca: target.ca,
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method,
        headers: {
          authorization: `Bearer ${target.token}`,
          accept: 'application/json',
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          ...headers,
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
