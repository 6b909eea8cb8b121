/**
 * The node's HTTP calls to its control plane: one buffered request over http or https, with an
 * optional private CA (`--certificate-authority`). Kept apart from the API client because the
 * node API is not a Kubernetes resource API and some of its calls carry other credentials.
 */
import http from 'node:http';
import https from 'node:https';

export interface NodeHttpRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export interface NodeHttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Sends one request to `url` and buffers the answer; rejects only when nothing answered. */
export function nodeHttp(url: URL, req: NodeHttpRequest, ca?: Buffer): Promise<NodeHttpResponse> {
  const send = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const r = send(
      url,
      { method: req.method ?? 'GET', headers: { ...(req.body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(req.body)) } : {}), ...req.headers }, ...(ca ? { ca } : {}), ...(req.signal ? { signal: req.signal } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    r.end(req.body);
  });
}

/** The message of a Status body (or the raw text) for an error line. */
export function statusMessage(res: NodeHttpResponse): string {
  try {
    const doc = JSON.parse(res.body) as { message?: unknown };
    if (typeof doc.message === 'string') return doc.message;
  } catch {
    // not JSON: fall through to the text
  }
  return `HTTP ${res.status}${res.body ? `: ${res.body.slice(0, 200)}` : ''}`;
}
