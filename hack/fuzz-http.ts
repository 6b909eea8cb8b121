/**
 * One HTTP exchange with the daemon for the fuzzer: a raw request (the path is sent exactly as
 * generated, `//` and `%2e%2e` included) over the daemon's Unix socket, answered with the status,
 * headers and body text. Never rejects on an HTTP error: the fuzzer judges every answer itself.
 * A watch answers with a stream that does not end; its first bytes are read and the stream cut.
 */
import { request } from 'node:http';

export interface Exchange {
  method: string;
  /** The request target, query included, sent byte for byte. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** True when the answer was a stream cut by the fuzzer after its first bytes (a watch). */
  streamed: boolean;
}

/** How long a streamed answer (a watch) is read before the fuzzer cuts it. */
const STREAM_PEEK_MS = 150;

/** Sends one request over `socketPath`; a request not answered within `timeoutMs` rejects (a hang is a finding). */
export function exchange(socketPath: string, ex: Exchange, timeoutMs = 10_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...ex.headers };
    if (ex.body !== undefined) headers['content-length'] = Buffer.byteLength(ex.body);
    const req = request({ socketPath, method: ex.method, path: ex.path, headers }, (res) => {
      const chunks: Buffer[] = [];
      const chunked = res.headers['content-length'] === undefined;
      let peek: NodeJS.Timeout | undefined;
      const done = (streamed: boolean): void => {
        clearTimeout(timer);
        clearTimeout(peek);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), streamed });
      };
      // A chunked 200 may be a watch, which never ends: read what comes first, then hang up.
      if (chunked && res.statusCode === 200) {
        peek = setTimeout(() => {
          done(true);
          req.destroy();
        }, STREAM_PEEK_MS);
      }
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(false));
      res.on('error', () => undefined);
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms to ${ex.method} ${ex.path}`));
    }, timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(ex.body);
  });
}
