/**
 * Watch streams over HTTP: newline-delimited JSON `{"type":…,"object":…}` in a chunked response,
 * as client-go decodes them. A too-old resourceVersion answers 200 with one ERROR event carrying a
 * 410 Expired Status (what kube-apiserver's watch cache does); the client relists. A client that
 * disconnects, a `timeoutSeconds` that passes, or the server stopping ends the stream and frees
 * the store watcher.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../../resources/meta.js';
import type { WatchEvent } from '../store/store.js';
import { isReason, StatusReason } from '../errors.js';
import { toApiError } from './respond.js';
import { timerDelay } from '../timers.js';

/** Turns each event's object into what goes on the wire (core Event view, Table row, …). */
export type WatchEncoder = (event: WatchEvent, first: boolean) => unknown;

/** Tracks open watch streams so the server can end them all on stop. */
export class WatchRegistry {
  private readonly open = new Set<AbortController>();

  /** A controller for a new stream; aborting it ends the stream. */
  track(): AbortController {
    const ctl = new AbortController();
    this.open.add(ctl);
    ctl.signal.addEventListener('abort', () => this.open.delete(ctl), { once: true });
    return ctl;
  }

  get size(): number {
    return this.open.size;
  }

  /** Ends every open stream. */
  abortAll(): void {
    for (const ctl of [...this.open]) ctl.abort();
  }
}

export interface ServeWatchOptions {
  registry: WatchRegistry;
  /**
   * Opens the watch. A rejection other than Expired (a bad selector or resourceVersion) is
   * answered with its own status code, before any streaming.
   */
  open: (signal: AbortSignal) => Promise<AsyncIterable<WatchEvent>>;
  encode: WatchEncoder;
  timeoutSeconds?: number;
  warnings?: readonly string[];
}

function line(type: string, object: unknown): string {
  return `${JSON.stringify({ type, object })}\n`;
}

/** Streams a watch until the client leaves, the timeout passes or the registry aborts it. */
export async function serveWatch(req: IncomingMessage, res: ServerResponse, opts: ServeWatchOptions): Promise<void> {
  const ctl = opts.registry.track();
  const { signal } = ctl;
  const stop = (): void => ctl.abort();
  req.on('close', stop);
  res.on('close', stop);
  let events: AsyncIterable<WatchEvent> | undefined;
  let expired: unknown;
  try {
    events = await opts.open(signal);
  } catch (err) {
    if (!isReason(err, StatusReason.Expired)) {
      req.off('close', stop);
      ctl.abort();
      throw err;
    }
    expired = err;
  }
  // A watch asked to last longer than a timer can wait ends at that limit, like any server-ended watch.
  const timer = opts.timeoutSeconds && opts.timeoutSeconds > 0 ? setTimeout(stop, timerDelay(opts.timeoutSeconds * 1000)) : undefined;
  timer?.unref();

  const headers: Record<string, string | string[]> = {
    'content-type': 'application/json',
    'cache-control': 'no-cache, private',
    'transfer-encoding': 'chunked',
  };
  if (opts.warnings && opts.warnings.length > 0) headers.warning = opts.warnings.map((w) => `299 - ${JSON.stringify(w)}`);
  res.writeHead(200, headers);
  // Headers go out now: clients block until they see the response start.
  res.flushHeaders();
  res.socket?.setNoDelay(true);

  let first = true;
  try {
    if (expired) throw expired;
    for await (const event of events!) {
      if (signal.aborted) break;
      if (event.type === 'ERROR') {
        // The store ended this watch (e.g. the watcher fell too far behind): pass its Status on.
        res.write(line('ERROR', event.object));
        break;
      }
      const ok = res.write(line(event.type, opts.encode(event, first)));
      first = false;
      if (!ok && !signal.aborted) await drained(res, signal);
    }
  } catch (err) {
    if (!signal.aborted && !res.destroyed) res.write(line('ERROR', toApiError(err).toStatus()));
  } finally {
    if (timer) clearTimeout(timer);
    req.off('close', stop);
    ctl.abort();
    if (!res.destroyed) res.end();
  }
}

function drained(res: ServerResponse, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    res.once('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Encodes events unchanged (plain JSON watch). */
export const plainEncoder: WatchEncoder = (event) => event.object as KubeObject;
