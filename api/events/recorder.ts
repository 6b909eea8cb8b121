/**
 * EventRecorder: writes Kubernetes-style Event objects about other objects (what `kubectl
 * describe` lists under `Events:`), aggregating repeats, and expires old ones.
 *
 * Recording never blocks or fails the caller: events are queued and written in the background, in
 * order, like client-go's broadcaster. A repeat of the same type + reason + message for the same
 * object bumps `count` and `lastTimestamp` of the existing Event instead of adding one (the
 * correlation cache is in memory, as in client-go, so a restart starts new series).
 *
 * Retention: Events are not owned by their object (no ownerReference — they must outlive a
 * delete to explain it); like kube-apiserver's default `--event-ttl=1h`, an Event whose
 * lastTimestamp is older than the TTL is deleted by a periodic sweep.
 */
import { randomBytes } from 'node:crypto';
import { EventType, type Event, type ObjectReference } from '../../resources/kinds/event.js';
import { API_VERSION, type KubeObject } from '../../resources/meta.js';
import { isReason, StatusReason } from '../errors.js';
import type { Store } from '../store/store.js';
import { metaTime } from '../../resources/time.js';

/** The reference an Event carries to the object it is about. */
export type InvolvedObject = ObjectReference;

/** An Event as stored (our kind `Event`, shaped like core/v1 Event). */
export type EventObject = Event;

export interface EventRecorderOptions {
  store: Store;
  /** `source.component`, e.g. `sidekick-apiserver` or `run-controller`. */
  component: string;
  /** Events older than this are deleted by the sweep (default 1 h). */
  ttlMs?: number;
  /** How often the sweep runs (default 1 min); 0 disables it. */
  sweepIntervalMs?: number;
  /** Correlation cache size (distinct object+reason+message series kept for aggregation). */
  cacheSize?: number;
  now?: () => Date;
  log?: (line: string) => void;
}

const EVENTS = 'events';
const DEFAULT_TTL_MS = 3600_000;
const DEFAULT_SWEEP_MS = 60_000;
const DEFAULT_CACHE = 4096;

interface Series {
  namespace: string;
  name: string;
}


/** Records Events about objects; see the module comment for aggregation and retention. */
export class EventRecorder {
  private readonly store: Store;
  private readonly component: string;
  private readonly ttlMs: number;
  private readonly cacheSize: number;
  private readonly now: () => Date;
  private readonly log: (line: string) => void;
  /** Insertion-ordered, so the oldest series is evicted first. */
  private readonly series = new Map<string, Series>();
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;
  private readonly sweeper?: NodeJS.Timeout;
  private closed = false;

  constructor(opts: EventRecorderOptions) {
    this.store = opts.store;
    this.component = opts.component;
    this.ttlMs = opts.ttlMs ?? DEFAULT_TTL_MS;
    this.cacheSize = opts.cacheSize ?? DEFAULT_CACHE;
    this.now = opts.now ?? (() => new Date());
    this.log = opts.log ?? (() => {});
    const every = opts.sweepIntervalMs ?? DEFAULT_SWEEP_MS;
    if (every > 0) {
      this.sweeper = setInterval(() => this.enqueue(() => this.sweep()), every);
      this.sweeper.unref();
    }
  }

  /** Records a Normal event about `obj`. */
  normal(obj: KubeObject, reason: string, message: string): void {
    this.record(obj, EventType.Normal, reason, message);
  }

  /** Records a Warning event about `obj`. */
  warning(obj: KubeObject, reason: string, message: string): void {
    this.record(obj, EventType.Warning, reason, message);
  }

  /** Queues an event; it is written in the background, in call order. */
  record(obj: KubeObject, type: EventType, reason: string, message: string): void {
    if (this.closed) return;
    const ref: InvolvedObject = {
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      name: obj.metadata.name ?? '',
      ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
      ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
      ...(obj.metadata.resourceVersion ? { resourceVersion: obj.metadata.resourceVersion } : {}),
    };
    const at = this.now();
    this.enqueue(() => this.write(ref, type, reason, message, at));
  }

  /** Resolves when every queued event has been written (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.pending > 0) await this.queue;
  }

  /** Stops the sweep and writes what is queued; later records are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.sweeper) clearInterval(this.sweeper);
    await this.flush();
  }

  /** Deletes Events whose lastTimestamp is older than the TTL. */
  async sweep(): Promise<number> {
    const cutoff = this.now().getTime() - this.ttlMs;
    const { items } = await this.store.list<EventObject>(EVENTS, {});
    let removed = 0;
    for (const ev of items) {
      const last = Date.parse(ev.lastTimestamp ?? ev.metadata.creationTimestamp ?? '');
      if (!(last < cutoff)) continue;
      try {
        await this.store.delete(EVENTS, ev.metadata.namespace ?? '', ev.metadata.name ?? '');
        removed++;
      } catch (err) {
        if (!isReason(err, StatusReason.NotFound)) throw err;
      }
    }
    return removed;
  }

  private enqueue(task: () => Promise<unknown>): void {
    this.pending++;
    this.queue = this.queue
      .then(task)
      .then(
        () => undefined,
        (err: unknown) => this.log(`event recorder: ${err instanceof Error ? err.message : String(err)}`),
      )
      .finally(() => {
        this.pending--;
      });
  }

  private async write(ref: InvolvedObject, type: EventType, reason: string, message: string, at: Date): Promise<void> {
    const key = JSON.stringify([ref.namespace, ref.kind, ref.name, ref.uid, type, reason, message]);
    const known = this.series.get(key);
    if (known && (await this.bump(known, at))) return;
    const namespace = ref.namespace ?? 'default';
    const name = `${ref.name}.${(BigInt(at.getTime()) * 1_000_000n + BigInt(randomBytes(2).readUInt16BE())).toString(16)}`;
    const ev: EventObject = {
      apiVersion: API_VERSION,
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: ref,
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: metaTime(at),
      lastTimestamp: metaTime(at),
      source: { component: this.component },
      reportingComponent: this.component,
    };
    await this.store.create(EVENTS, ev);
    this.series.delete(key);
    this.series.set(key, { namespace, name });
    if (this.series.size > this.cacheSize) this.series.delete(this.series.keys().next().value as string);
  }

  /** Increments an existing series; false when its Event is gone (expired or deleted). */
  private async bump(series: Series, at: Date): Promise<boolean> {
    for (;;) {
      let ev: EventObject;
      try {
        ev = await this.store.get<EventObject>(EVENTS, series.namespace, series.name);
      } catch (err) {
        if (isReason(err, StatusReason.NotFound)) return false;
        throw err;
      }
      ev.count = (ev.count ?? 1) + 1;
      ev.lastTimestamp = metaTime(at);
      try {
        await this.store.update(EVENTS, ev);
        return true;
      } catch (err) {
        if (!isReason(err, StatusReason.Conflict)) throw err;
      }
    }
  }
}
