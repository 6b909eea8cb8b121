/**
 * One kind of the control plane, held in memory for the Mirror: list, then watch from the list's
 * resourceVersion; a dropped stream watches again from the last version seen, a 410 (Expired)
 * lists again, an unreachable control plane is retried with backoff while the cache (and the
 * node's local store) keep the last state. A watch that stays silent past `idleMs` (a half-open
 * connection: the control plane vanished without a reset) is dropped and opened anew.
 */
import type { ApiClient } from '../client/client.js';
import type { ResourceRef, WatchEvent } from '../client/types.js';
import { ApiError, StatusReason, isReason, type Status } from '../errors.js';
import type { KubeObject } from '../../resources/meta.js';

/** Timing of a reflector. */
export interface ReflectorTiming {
  /** First retry delay after a failure; doubles up to maxBackoffMs (default 200 ms). */
  backoffMs?: number;
  /** Longest retry delay (default 30 s). */
  maxBackoffMs?: number;
  /** A watch with no event (bookmarks included) for this long is reopened (default 150 s). */
  idleMs?: number;
}

/** What a reflector tells its owner. */
export interface ReflectorHooks {
  /** An object changed upstream (or may have): its key is `namespace/name` or `name`. */
  changed(key: string): void;
  /** A list replaced the cache: every key listed, plus those that vanished, need a look. */
  relisted(keys: string[]): void;
}

/** The cache key of an object: `namespace/name`, or `name` when cluster-scoped. */
export function keyOf(obj: KubeObject): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : `${obj.metadata.name}`;
}

class Expired extends Error {}

/** Resolves after `ms`, or early when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** A list+watch cache of one kind on the control plane. */
export class Reflector {
  readonly cache = new Map<string, KubeObject>();
  private listedOnce = false;
  private live = false;
  /** Set when the control plane does not serve the kind (an older control plane): nothing to mirror. */
  private absent = false;

  constructor(
    private readonly client: ApiClient,
    readonly ref: ResourceRef,
    private readonly fieldSelector: string | undefined,
    private readonly hooks: ReflectorHooks,
    private readonly log: (line: string) => void,
    private readonly timing: ReflectorTiming = {},
  ) {}

  /** True once a list has filled the cache (or the kind is not served upstream). */
  synced(): boolean {
    return this.listedOnce;
  }

  /** True while a watch stream is open (or the kind is not served upstream). */
  connected(): boolean {
    return this.live || this.absent;
  }

  /** Lists and watches until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const base = this.timing.backoffMs ?? 200;
    const max = this.timing.maxBackoffMs ?? 30_000;
    let delay = base;
    let rv: string | undefined;
    while (!signal.aborted) {
      try {
        if (rv === undefined) rv = await this.list();
        rv = await this.watch(rv, signal, () => (delay = base));
      } catch (err) {
        this.live = false;
        if (signal.aborted) return;
        if (err instanceof Expired || isReason(err, StatusReason.Expired)) {
          this.log(`mirror: ${this.ref.plural}: history expired upstream; listing again`);
          rv = undefined;
          continue;
        }
        if (isReason(err, StatusReason.NotFound) && !this.listedOnce) {
          this.absent = this.listedOnce = true;
          this.log(`mirror: ${this.ref.plural}: not served by the control plane; nothing to mirror`);
          delay = max;
        } else {
          this.log(`mirror: ${this.ref.plural}: ${(err as Error).message}; retrying in ${delay} ms`);
        }
        await pause(delay, signal);
        delay = Math.min(delay * 2, max);
      }
    }
  }

  /** Replaces the cache with a fresh list and returns its resourceVersion. */
  private async list(): Promise<string> {
    const list = await this.client.list(this.ref, { fieldSelector: this.fieldSelector });
    const before = new Set(this.cache.keys());
    this.cache.clear();
    for (const item of list.items) {
      // Lists leave out each item's apiVersion/kind, as Kubernetes does.
      const obj = { ...item, apiVersion: item.apiVersion || (this.ref.group ? `${this.ref.group}/${this.ref.version}` : this.ref.version), kind: item.kind || this.ref.kind };
      this.cache.set(keyOf(obj), obj);
    }
    this.absent = false;
    this.listedOnce = true;
    this.hooks.relisted([...new Set([...before, ...this.cache.keys()])]);
    return list.metadata?.resourceVersion ?? '';
  }

  /** Watches from `rv` until the stream ends; returns the last version seen. */
  private async watch(rv: string, outer: AbortSignal, onOpen: () => void): Promise<string> {
    // The list before this may have outlived the signal: an aborted signal fires no more events.
    if (outer.aborted) return rv;
    const ac = new AbortController();
    const stop = () => ac.abort();
    outer.addEventListener('abort', stop, { once: true });
    const idleMs = this.timing.idleMs ?? 150_000;
    let idle = setTimeout(stop, idleMs);
    try {
      const events = await this.client.watch(this.ref, { resourceVersion: rv, fieldSelector: this.fieldSelector, allowWatchBookmarks: true, signal: ac.signal });
      this.live = true;
      onOpen();
      for await (const e of events) {
        clearTimeout(idle);
        idle = setTimeout(stop, idleMs);
        rv = this.apply(e as WatchEvent<KubeObject>) ?? rv;
      }
      return rv;
    } finally {
      clearTimeout(idle);
      outer.removeEventListener('abort', stop);
      this.live = false;
    }
  }

  /** Applies one event to the cache; returns its resourceVersion. Throws Expired on a 410 ERROR event. */
  private apply(e: WatchEvent<KubeObject>): string | undefined {
    if (e.type === 'ERROR') {
      const status = e.object as unknown as Status;
      if (status.code === 410 || status.reason === StatusReason.Expired) throw new Expired();
      throw ApiError.fromStatus(status, status.code ?? 500);
    }
    const rv = e.object.metadata?.resourceVersion;
    if (e.type === 'BOOKMARK') return rv;
    const key = keyOf(e.object);
    if (e.type === 'DELETED') this.cache.delete(key);
    else this.cache.set(key, e.object);
    this.hooks.changed(key);
    return rv;
  }
}
