/**
 * Reads streaming responses: newline-delimited JSON, one value per line (watch events, followed
 * timelines), until the server ends the stream or the caller aborts.
 */
import type { IncomingMessage } from 'node:http';
import type { WatchEvent } from './types.js';

/**
 * Yields each value of an NDJSON stream. Ends quietly when `signal` aborts or the connection is
 * reset under it; always releases the response.
 */
export async function* readNdjson<T>(res: IncomingMessage, signal?: AbortSignal): AsyncGenerator<T> {
  res.setEncoding('utf8');
  let buffered = '';
  try {
    for await (const chunk of res) {
      buffered += chunk as string;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line) yield JSON.parse(line) as T;
      }
    }
    if (buffered.trim()) yield JSON.parse(buffered) as T;
  } catch (err) {
    if (signal?.aborted || (err as { name?: string }).name === 'AbortError' || (err as { code?: string }).code === 'ECONNRESET') return;
    throw err;
  } finally {
    res.destroy();
  }
}

/** Yields each event of a watch response. */
export function readWatchEvents<T>(res: IncomingMessage, signal?: AbortSignal): AsyncGenerator<WatchEvent<T>> {
  return readNdjson<WatchEvent<T>>(res, signal);
}
