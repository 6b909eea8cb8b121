/**
 * In-process watch fan-out. Committed changes (from the backend, in resourceVersion order) go
 * into one bounded history ring; every watcher is a cursor into that ring, so a watch replays
 * history and continues live from the same sequence: no gap, no duplicate.
 *
 * The ring is the per-watcher buffer too: writers append and never wait for readers, and memory
 * is bounded by the ring size. What the ring no longer holds is tracked per plural as a horizon:
 * the newest resourceVersion of a change of that plural that is gone (evicted here, compacted in
 * the database, or never loaded). A watch of plural P from version R is answered 410 only when
 * R < horizon(P) — a change of P after R is gone — never because other kinds' changes were
 * dropped (docs/decisions/0024). A watcher that falls behind the ring likewise continues when the
 * entries it skipped were all of other kinds, and gets an ERROR event (Status reason Expired,
 * 410) only when one of its own kind was lost, so its client relists.
 */
import { ApiError, StatusReason } from '../errors.js';
import type { KubeObject } from '../../resources/meta.js';
import { matchesFields, matchesLabels, type FieldSelector, type LabelSelector } from '../../resources/selectors.js';
import { ALL_PLURALS, type ChangeRecord, type CompactionHorizons } from './backend.js';
import type { WatchEvent } from './store.js';

interface Entry {
  change: ChangeRecord;
  /** Parsed once, shared read-only for selector matching; consumers get their own copy. */
  parsed?: KubeObject;
  parsedPrev?: KubeObject | null;
}

/** What one watcher wants. `fromRv` excludes everything at or before it. */
export interface WatchSpec {
  plural: string;
  apiVersion: string;
  kind: string;
  namespace?: string;
  labels: LabelSelector;
  fields: FieldSelector;
  /** undefined = start now. */
  fromRv?: number;
  bookmarkIntervalMs?: number;
}

/** The error Kubernetes answers to a watch from a resourceVersion that is no longer retained. */
export function tooOldResourceVersion(requested: number, oldest: number): ApiError {
  return new ApiError(StatusReason.Expired, `too old resource version: ${requested} (${oldest})`);
}

/** Holds the history ring and wakes watchers on new changes. */
export class WatchHub {
  private ring: Entry[] = [];
  /** Absolute sequence number of ring[0]; watchers hold absolute positions. */
  private base = 0;
  private last: number;
  private closed = false;
  private readonly waiters = new Set<() => void>();
  /** Per plural, the newest version of a change of it that is no longer in the ring. */
  private readonly horizons = new Map<string, number>();
  /** The horizon of every plural: history lost without knowing its kinds. */
  private floor = 0;

  /**
   * Starts with `initial` (oldest first) as history, `currentRv` as the newest version seen and
   * `horizons` (from the database) for what `initial` does not hold.
   */
  constructor(private readonly capacity: number, initial: ChangeRecord[], currentRv: number, horizons: CompactionHorizons = new Map()) {
    this.last = currentRv;
    this.raise(horizons);
    for (const c of initial) if (c.resourceVersion <= currentRv) this.ring.push({ change: c });
    this.evict();
  }

  /** The newest version of a change of `plural` that can no longer be replayed (0: none lost). */
  horizonOf(plural: string): number {
    return Math.max(this.floor, this.horizons.get(plural) ?? 0);
  }

  private raise(horizons: CompactionHorizons, above = 0): void {
    for (const [plural, rv] of horizons) {
      if (rv <= above) continue;
      if (plural === ALL_PLURALS) this.floor = Math.max(this.floor, rv);
      else this.horizons.set(plural, Math.max(this.horizons.get(plural) ?? 0, rv));
    }
  }

  /** The newest resourceVersion delivered to the hub. */
  get lastResourceVersion(): number {
    return this.last;
  }

  /**
   * Appends committed changes (ascending rv). Versions already seen are ignored. A gap means
   * changes were compacted before this process read them: `horizons` (read with them) says which
   * plurals lost one after the last version seen, and only their watchers expire; without it the
   * kinds are unknown and every watcher of the missing range expires.
   */
  publish(changes: ChangeRecord[], horizons?: CompactionHorizons): void {
    let appended = false;
    for (const c of changes) {
      if (c.resourceVersion <= this.last) continue;
      if (c.resourceVersion !== this.last + 1) {
        if (horizons) this.raise(horizons, this.last);
        else this.floor = Math.max(this.floor, c.resourceVersion - 1);
      }
      this.ring.push({ change: c });
      this.last = c.resourceVersion;
      appended = true;
    }
    if (!appended) return;
    this.evict();
    this.wake();
  }

  /**
   * Resolves once the hub has seen `rv` (or is closed, or `timeoutMs` passed). A writer waits for
   * its own commit here before answering, so a watch opened after a write returned never starts
   * before it: with Postgres the change arrives by NOTIFY, a moment after the commit.
   */
  async reached(rv: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.last < rv && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.max(0, deadline - Date.now()));
        function done(): void {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(done);
      });
    }
  }

  /** Ends every watch (the store is closing). */
  close(): void {
    this.closed = true;
    this.wake();
  }

  private evict(): void {
    const excess = this.ring.length - this.capacity;
    if (excess <= 0) return;
    for (const { change } of this.ring.splice(0, excess)) {
      this.horizons.set(change.plural, Math.max(this.horizons.get(change.plural) ?? 0, change.resourceVersion));
    }
    this.base += excess;
  }

  private wake(): void {
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w();
  }

  /**
   * Opens a watch. Throws ApiError Expired (410) synchronously when a change of `spec.plural`
   * after `spec.fromRv` is no longer retained, so an HTTP handler can answer 410 before streaming.
   */
  watch(spec: WatchSpec, signal: AbortSignal): AsyncIterable<WatchEvent> {
    let position = this.base + this.ring.length;
    if (spec.fromRv !== undefined && spec.fromRv < this.last) {
      const horizon = this.horizonOf(spec.plural);
      if (spec.fromRv < horizon) throw tooOldResourceVersion(spec.fromRv, horizon);
      // Entries older than the ring, if any, were all of other plurals.
      position = this.base + this.firstIndexAfter(spec.fromRv);
    }
    // The generator body runs at the first next(): fix its starting version now.
    return this.iterate(spec, position, spec.fromRv ?? this.last, signal);
  }

  /** Index of the first ring entry newer than `rv` (binary search; the ring is ascending). */
  private firstIndexAfter(rv: number): number {
    let lo = 0;
    let hi = this.ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ring[mid].change.resourceVersion <= rv) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private async *iterate(spec: WatchSpec, start: number, startRv: number, signal: AbortSignal): AsyncGenerator<WatchEvent> {
    let position = start;
    let seen = startRv;
    const interval = spec.bookmarkIntervalMs;
    let nextBookmark = interval !== undefined ? Date.now() + interval : Infinity;
    while (!signal.aborted && !this.closed) {
      const horizon = this.horizonOf(spec.plural);
      if (horizon > seen) {
        const err = tooOldResourceVersion(seen, horizon);
        yield { type: 'ERROR', object: err.toStatus() as unknown as KubeObject };
        return;
      }
      // Fell behind the ring, but every entry evicted past `seen` was of another plural: skip them.
      if (position < this.base) position = this.base;
      const index = position - this.base;
      if (index < this.ring.length) {
        position++;
        const entry = this.ring[index];
        if (entry.change.resourceVersion <= seen) continue;
        seen = entry.change.resourceVersion;
        const event = this.translate(entry, spec);
        if (event) yield event;
        continue;
      }
      if (Date.now() >= nextBookmark) {
        nextBookmark = Date.now() + (interval as number);
        seen = Math.max(seen, this.last);
        yield { type: 'BOOKMARK', object: { apiVersion: spec.apiVersion, kind: spec.kind, metadata: { resourceVersion: String(seen) } } };
        continue;
      }
      await this.waitForChange(signal, nextBookmark - Date.now());
    }
  }

  private waitForChange(signal: AbortSignal, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer) clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
      if (Number.isFinite(timeoutMs)) timer = setTimeout(done, Math.max(0, timeoutMs));
    });
  }

  /**
   * Turns a change into what this watcher sees. Like the kube-apiserver, a modification that
   * makes an object start matching the selectors is ADDED, and stop matching is DELETED.
   */
  private translate(entry: Entry, spec: WatchSpec): WatchEvent | undefined {
    const c = entry.change;
    if (c.plural !== spec.plural) return undefined;
    if (spec.namespace !== undefined && c.namespace !== spec.namespace) return undefined;
    const filtered = spec.labels.length > 0 || spec.fields.length > 0;
    let type: WatchEvent['type'] = c.type;
    if (filtered) {
      entry.parsed ??= JSON.parse(c.json) as KubeObject;
      const now = matches(entry.parsed, spec);
      if (c.type === 'MODIFIED') {
        if (entry.parsedPrev === undefined) entry.parsedPrev = c.prevJson ? (JSON.parse(c.prevJson) as KubeObject) : null;
        const before = entry.parsedPrev ? matches(entry.parsedPrev, spec) : now;
        if (!before && !now) return undefined;
        if (!before) type = 'ADDED';
        else if (!now) type = 'DELETED';
      } else if (!now) return undefined;
    }
    return { type, object: JSON.parse(c.json) as KubeObject };
  }
}

function matches(obj: KubeObject, spec: WatchSpec): boolean {
  return matchesLabels(spec.labels, obj.metadata?.labels) && matchesFields(spec.fields, obj);
}
