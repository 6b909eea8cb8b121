/**
 * Waits until an object satisfies a condition — or is gone — by watching it, never by polling:
 * read it once, then follow its watch from that resourceVersion. Used by `wait` and `delete --wait`.
 */
import type { ApiClient } from '../api/client/client.js';
import type { ResourceRef } from '../api/client/types.js';
import type { KubeObject } from '../resources/meta.js';
import { isStatusError } from './errors.js';
import { timerDelay } from '../api/timers.js';

/** Thrown when the deadline passes first. */
export class WaitTimeoutError extends Error {
  constructor() {
    super('timed out waiting for the condition');
    this.name = 'WaitTimeoutError';
  }
}

/** What to wait for on one object. `done` sees undefined once the object does not exist. */
export interface WaitTarget {
  client: ApiClient;
  ref: ResourceRef;
  namespace?: string;
  name: string;
  done: (obj: KubeObject | undefined) => boolean;
}

/** Resolves with the object (or undefined when gone) once `done` holds; rejects on timeout or abort. */
export async function waitForObject(target: WaitTarget, opts: { signal: AbortSignal; timeoutMs?: number }): Promise<KubeObject | undefined> {
  const ctl = new AbortController();
  const abort = (): void => ctl.abort();
  opts.signal.addEventListener('abort', abort, { once: true });
  let timedOut = false;
  const timer =
    opts.timeoutMs !== undefined && opts.timeoutMs >= 0
      ? setTimeout(() => {
          timedOut = true;
          ctl.abort();
        }, timerDelay(opts.timeoutMs))
      : undefined;
  try {
    const result = await follow(target, ctl.signal);
    if (result.settled) return result.object;
    throw timedOut ? new WaitTimeoutError() : new Error('interrupted');
  } finally {
    if (timer) clearTimeout(timer);
    opts.signal.removeEventListener('abort', abort);
  }
}

async function follow(target: WaitTarget, signal: AbortSignal): Promise<{ settled: boolean; object?: KubeObject }> {
  const { client, ref, namespace, name, done } = target;
  while (!signal.aborted) {
    let current: KubeObject | undefined;
    try {
      current = await client.get(ref, namespace, name);
    } catch (err) {
      if (!(isStatusError(err) && err.reason === 'NotFound')) throw err;
    }
    if (done(current)) return { settled: true, object: current };
    let events;
    try {
      events = await client.watch(ref, { namespace, fieldSelector: `metadata.name=${name}`, resourceVersion: current?.metadata.resourceVersion, signal });
    } catch (err) {
      if (signal.aborted) break;
      if (isStatusError(err) && (err.code === 410 || err.reason === 'Expired' || err.reason === 'Gone')) continue;
      throw err;
    }
    for await (const event of events) {
      if (event.type === 'ERROR') break;
      if (event.type === 'BOOKMARK') continue;
      if (event.object?.metadata?.name !== name) continue;
      const obj = event.type === 'DELETED' ? undefined : event.object;
      if (done(obj)) return { settled: true, object: obj };
    }
  }
  return { settled: false };
}

/** Parses kubectl durations: `30s`, `5m`, `1h30m`, `500ms`, a bare number of seconds; negative = a week. */
export function parseDuration(value: string): number {
  if (/^-?\d+$/.test(value)) return Number(value) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  const negative = value.startsWith('-');
  const body = negative ? value.slice(1) : value;
  while ((m = re.exec(body)) !== null) {
    matched = re.lastIndex;
    total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  }
  if (matched !== body.length || body.length === 0) throw new Error(`time: invalid duration "${value}"`);
  return negative ? -total : total;
}
