/**
 * An informer: lists a resource, then watches from the list's resourceVersion, keeping a local
 * cache and telling handlers about every change. A watch that ends with 410 Gone / Expired (or a
 * dropped stream) relists and resumes; a periodic resync re-announces every cached object so
 * level-based reconcilers converge even if an event was missed.
 */
import type { KubeObject } from '../../resources/meta.js';
import type { ListOptions, ListResult, WatchEvent, WatchOptions } from '../../api/store/store.js';
import { isReason } from '../../api/errors.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';

/** What an informer needs from the API: the Store, the ApiService or an HTTP client. */
export interface ListWatcher {
  list<T extends KubeObject>(plural: string, opts?: ListOptions): Promise<ListResult<T>>;
  watch<T extends KubeObject>(plural: string, opts: WatchOptions, signal: AbortSignal): AsyncIterable<WatchEvent<T>>;
}

export interface InformerHandlers<T extends KubeObject> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  resyncMs?: number;
  /** Delay before retrying after a failed list (doubles up to 30 s). */
  retryMs?: number;
  clock?: Clock;
  log?: (line: string) => void;
}

/** The cache key of an object: `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(obj: { metadata: { namespace?: string; name?: string } }): string {
  return obj.metadata.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : `${obj.metadata.name}`;
}

/** Splits an object key back into namespace and name. */
export function splitKey(key: string): { namespace: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** A list+watch cache of one resource. */
export class Informer<T extends KubeObject = KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly handlers: InformerHandlers<T>[] = [];
  private synced = false;
  private syncedWaiters: (() => void)[] = [];
  private readonly clock: Clock;

  constructor(
    private readonly source: ListWatcher,
    readonly plural: string,
    private readonly opts: InformerOptions = {},
  ) {
    this.clock = opts.clock ?? systemClock;
  }

  addHandlers(h: InformerHandlers<T>): void {
    this.handlers.push(h);
    // A handler added after the initial list still hears about every cached object.
    if (this.synced) for (const obj of this.cache.values()) h.onAdd?.(obj);
  }

  /** The cached object for a key, if any. */
  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  list(filter?: (obj: T) => boolean): T[] {
    const all = [...this.cache.values()];
    return filter ? all.filter(filter) : all;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first list has filled the cache. */
  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((r) => this.syncedWaiters.push(r));
  }

  /** Runs until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    const resync = this.opts.resyncMs ? this.startResync(this.opts.resyncMs, signal) : undefined;
    let retry = this.opts.retryMs ?? 200;
    try {
      while (!signal.aborted) {
        let rv: string;
        try {
          rv = await this.relist();
          retry = this.opts.retryMs ?? 200;
        } catch (err) {
          this.opts.log?.(`informer ${this.plural}: list failed: ${(err as Error).message}`);
          await this.delay(retry, signal);
          retry = Math.min(retry * 2, 30_000);
          continue;
        }
        rv = await this.watchFrom(rv, signal);
      }
    } finally {
      resync?.();
    }
  }

  private async relist(): Promise<string> {
    const res = await this.source.list<T>(this.plural, { namespace: this.opts.namespace, labelSelector: this.opts.labelSelector });
    const seen = new Set<string>();
    for (const obj of res.items) {
      const key = objectKey(obj);
      seen.add(key);
      this.apply('upsert', obj);
    }
    for (const [key, obj] of [...this.cache]) if (!seen.has(key)) this.apply('delete', obj);
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncedWaiters.splice(0)) w();
    }
    return res.resourceVersion;
  }

  /** Watches until the stream ends; returns the last resourceVersion seen. */
  private async watchFrom(rv: string, signal: AbortSignal): Promise<string> {
    try {
      const events = this.source.watch<T>(this.plural, { namespace: this.opts.namespace, labelSelector: this.opts.labelSelector, resourceVersion: rv, allowBookmarks: true }, signal);
      for await (const ev of events) {
        if (ev.type === 'BOOKMARK') {
          rv = ev.object.metadata.resourceVersion ?? rv;
          continue;
        }
        if (ev.type === 'ERROR') break; // e.g. Expired: relist
        rv = ev.object.metadata.resourceVersion ?? rv;
        this.apply(ev.type === 'DELETED' ? 'delete' : 'upsert', ev.object);
      }
    } catch (err) {
      if (!signal.aborted && !isReason(err, 'Expired') && !isReason(err, 'Gone')) {
        this.opts.log?.(`informer ${this.plural}: watch failed: ${(err as Error).message}`);
        await this.delay(this.opts.retryMs ?? 200, signal);
      }
    }
    return rv;
  }

  private apply(op: 'upsert' | 'delete', obj: T): void {
    // Like client-go's TransformStripManagedFields: controllers never read managedFields, and on
    // small objects they are the larger part — a cache of 10,000 runs would hold them all.
    if (obj.metadata.managedFields) delete obj.metadata.managedFields;
    const key = objectKey(obj);
    const old = this.cache.get(key);
    if (op === 'delete') {
      if (!old) return;
      this.cache.delete(key);
      for (const h of this.handlers) h.onDelete?.(obj);
      return;
    }
    if (old && old.metadata.resourceVersion === obj.metadata.resourceVersion) return;
    this.cache.set(key, obj);
    for (const h of this.handlers) {
      if (old) h.onUpdate?.(old, obj);
      else h.onAdd?.(obj);
    }
  }

  private startResync(ms: number, signal: AbortSignal): () => void {
    let cancel = (): void => undefined;
    const loop = (): void => {
      cancel = this.clock.setTimeout(() => {
        if (signal.aborted) return;
        for (const obj of this.cache.values()) for (const h of this.handlers) h.onUpdate?.(obj, obj);
        loop();
      }, ms);
    };
    loop();
    return () => cancel();
  }

  private delay(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.clock.setTimeout(resolve, ms);
      signal.addEventListener('abort', () => {
        cancel();
        resolve();
      }, { once: true });
    });
  }
}
