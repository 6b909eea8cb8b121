/**
 * Reads a watch response: newline-delimited JSON events, one per line, until the server ends the
 * stream or the caller aborts.
 */
import type { IncomingMessage } from 'node:http';
import type { WatchEvent } from './types.js';

/** Yields each event of an NDJSON stream; ends quietly when `signal` aborts. */
export async function* readWatchEvents<T>(res: IncomingMessage, signal?: AbortSignal): AsyncGenerator<WatchEvent<T>> {
  res.setEncoding('utf8');
  let buffered = '';
  try {
    for await (const chunk of res) {
      buffered += chunk as string;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line) yield JSON.parse(line) as WatchEvent<T>;
      }
    }
    if (buffered.trim()) yield JSON.parse(buffered) as WatchEvent<T>;
  } catch (err) {
    if (signal?.aborted || (err as { name?: string }).name === 'AbortError') return;
    throw err;
  } finally {
    res.destroy();
  }
}
