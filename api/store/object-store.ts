/**
 * ObjectStore: the one implementation of the Store semantics (identity, resourceVersion,
 * generation, status subresource, finalizers, ownerReferences GC, dryRun, list, watch) over any
 * StoreBackend. The rules themselves are in write-plans.ts; list in list-objects.ts; watch
 * fan-out in watch-hub.ts; garbage collection in garbage-collector.ts.
 */
import { ApiError, StatusReason, isReason } from '../errors.js';
import type { KubeObject } from '../../resources/meta.js';
import { DEFAULT_HISTORY_LIMIT, type BackendReader, type ObjectKey, type StoreBackend } from './backend.js';
import { GarbageCollector } from './garbage-collector.js';
import { listObjects, listObjectsJson, parseSelectors } from './list-objects.js';
import type {
  DeleteOptions,
  DeleteResult,
  ExtraReads,
  ExtraWrites,
  ListOptions,
  ListResult,
  PropagationPolicy,
  ResourceInfo,
  ResourceResolver,
  Store,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from './store.js';
import { WatchHub } from './watch-hub.js';
import { applyPlan, namespaceFor, notFoundFor, planCreate, planDelete, planUpdate, planUpdateStatus, type Plan } from './write-plans.js';

/** Tunables of an ObjectStore. */
export interface ObjectStoreOptions {
  /** Changes retained for watch replay (default 4,096); must match the backend's compaction. */
  historyLimit?: number;
  /** The clock for creation and deletion timestamps (tests pin it). */
  now?: () => Date;
  /** Receives failures of background garbage collection (default: console.error). */
  onBackgroundError?: (err: unknown) => void;
}

/** Tries of a create with generateName before a name collision is reported. */
const GENERATE_NAME_TRIES = 5;

/** The generic Store over a StoreBackend. Build one with {@link ObjectStore.open}. */
export class ObjectStore implements Store {
  private readonly gc: GarbageCollector;
  private closed = false;

  private constructor(
    readonly backend: StoreBackend,
    private readonly resolver: ResourceResolver,
    private readonly hub: WatchHub,
    private readonly now: () => Date,
    onError: (err: unknown) => void,
  ) {
    this.gc = new GarbageCollector(
      {
        backend,
        deleteKey: async (key, policy) => {
          await this.deleteKey(key, policy);
        },
        write: (plan) => this.mutate(false, plan),
      },
      onError,
    );
  }

  /** Wraps an opened backend: loads the watch history, subscribes to commits, sweeps leftover garbage. */
  static async open(backend: StoreBackend, resolver: ResourceResolver, opts: ObjectStoreOptions = {}): Promise<ObjectStore> {
    const limit = opts.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    const history = await backend.watchHistory(limit);
    const hub = new WatchHub(limit, history.changes, history.resourceVersion, history.horizons);
    backend.onChanges((changes, horizons) => hub.publish(changes, horizons), history.resourceVersion);
    const onError = opts.onBackgroundError ?? ((err: unknown) => console.error('sidekicks store: background garbage collection failed:', err));
    const store = new ObjectStore(backend, resolver, hub, opts.now ?? (() => new Date()), onError);
    store.gc.sweep();
    return store;
  }

  private info(plural: string): ResourceInfo {
    const info = this.resolver(plural);
    if (!info) throw new ApiError(StatusReason.NotFound, `the server doesn't have a resource type "${plural}"`);
    return info;
  }

  private checkOpen(): void {
    if (this.closed) throw new ApiError(StatusReason.ServiceUnavailable, 'the store is closed');
  }

  /**
   * Computes a plan; unless dryRun, applies it in one transaction (with extra writes) and schedules
   * GC. Without extra writes `plan` may run more than once (a replayed transaction), so plans only
   * read and return.
   */
  private async mutate(dryRun: boolean, plan: (r: BackendReader) => Promise<Plan>, extra?: WriteOptions['extraWrites']): Promise<Plan> {
    this.checkOpen();
    if (dryRun) return this.backend.read(plan);
    // Without extra writes the transaction is the plan alone (reads, then writes through tx), so
    // it can run again: the backend may defer its writes (postgres-batch.ts).
    const result = await this.backend.transaction(
      async (tx) => {
        const p = await plan(tx);
        await applyPlan(tx, p.writes);
        if (extra) await extra(tx, p.result);
        return p;
      },
      { replayable: !extra },
    );
    if (result.writes.length) {
      this.gc.afterCommit(result);
      await this.hub.reached(Math.max(...result.writes.map((w) => Number(w.obj.metadata.resourceVersion))));
    }
    return result;
  }

  async create<T extends KubeObject>(plural: string, obj: T, opts: WriteOptions = {}): Promise<T> {
    const info = this.info(plural);
    for (let attempt = 1; ; attempt++) {
      try {
        const p = await this.mutate(!!opts.dryRun, (r) => planCreate(r, info, obj, this.now(), !!opts.dryRun, !!opts.keepIdentity), opts.extraWrites);
        return p.result as T;
      } catch (err) {
        const retry = !obj.metadata?.name && obj.metadata?.generateName && attempt < GENERATE_NAME_TRIES;
        if (!retry || !isReason(err, StatusReason.AlreadyExists)) throw err;
      }
    }
  }

  async get<T extends KubeObject>(plural: string, namespace: string, name: string): Promise<T> {
    const found = await this.find<T>(plural, namespace, name);
    if (!found) throw notFoundFor(this.info(plural), name);
    return found;
  }

  async find<T extends KubeObject>(plural: string, namespace: string, name: string): Promise<T | undefined> {
    this.checkOpen();
    const info = this.info(plural);
    const stored = await this.backend.read((r) => r.getObject({ plural, namespace: namespaceFor(info, namespace), name }));
    return stored ? (JSON.parse(stored.json) as T) : undefined;
  }

  async list<T extends KubeObject>(plural: string, opts: ListOptions = {}): Promise<ListResult<T>> {
    this.checkOpen();
    return listObjects<T>(this.backend, this.info(plural), opts);
  }

  async listJson(plural: string, opts: ListOptions = {}): Promise<ListResult<string>> {
    this.checkOpen();
    return listObjectsJson(this.backend, this.info(plural), opts);
  }

  async update<T extends KubeObject>(plural: string, obj: T, opts: WriteOptions = {}): Promise<T> {
    const info = this.info(plural);
    const p = await this.mutate(!!opts.dryRun, (r) => planUpdate(r, info, obj, !!opts.keepIdentity), opts.extraWrites);
    return p.result as T;
  }

  async updateStatus<T extends KubeObject>(plural: string, obj: T, opts: WriteOptions = {}): Promise<T> {
    const info = this.info(plural);
    const p = await this.mutate(!!opts.dryRun, (r) => planUpdateStatus(r, info, obj), opts.extraWrites);
    return p.result as T;
  }

  async delete<T extends KubeObject>(plural: string, namespace: string, name: string, opts: DeleteOptions = {}): Promise<DeleteResult<T>> {
    const info = this.info(plural);
    const key = { plural, namespace: namespaceFor(info, namespace), name };
    const p = await this.mutate(!!opts.dryRun, (r) => planDelete(r, info, key, opts, this.now()));
    return { object: p.result as T, removed: p.removed };
  }

  /** Deletes by stored key for the garbage collector (a plural the resolver no longer knows still goes). */
  private async deleteKey(key: ObjectKey, policy: PropagationPolicy): Promise<void> {
    const info = this.resolver(key.plural) ?? { plural: key.plural, kind: key.plural, apiVersion: 'v1', namespaced: key.namespace !== '', hasStatus: true };
    await this.mutate(false, (r) => planDelete(r, info, key, { propagationPolicy: policy }, this.now()));
  }

  /**
   * Streams changes of one kind. Throws ApiError Expired (410) synchronously when
   * `opts.resourceVersion` is older than the retained history, and BadRequest for a bad selector
   * or resourceVersion.
   */
  watch<T extends KubeObject>(plural: string, opts: WatchOptions, signal: AbortSignal): AsyncIterable<WatchEvent<T>> {
    this.checkOpen();
    const info = this.info(plural);
    const { labels, fields } = parseSelectors(opts);
    const rv = opts.resourceVersion;
    let fromRv: number | undefined;
    if (rv && rv !== '0') {
      if (!/^\d+$/.test(rv)) throw new ApiError(StatusReason.BadRequest, `invalid resource version: ${JSON.stringify(rv)}`);
      fromRv = Number(rv);
    }
    return this.hub.watch(
      {
        plural,
        apiVersion: info.apiVersion,
        kind: info.kind,
        namespace: info.namespaced && opts.namespace ? opts.namespace : undefined,
        labels,
        fields,
        fromRv,
        bookmarkIntervalMs: opts.allowBookmarks ? (opts.bookmarkIntervalMs ?? 60_000) : undefined,
      },
      signal,
    ) as AsyncIterable<WatchEvent<T>>;
  }

  async currentResourceVersion(): Promise<string> {
    this.checkOpen();
    return String(await this.backend.read((r) => r.currentResourceVersion()));
  }

  /** Runs `fn` in one read snapshot beside the write queue, e.g. to read journal rows. */
  async readTransaction<T>(fn: (r: ExtraReads) => Promise<T>): Promise<T> {
    this.checkOpen();
    return this.backend.read((r) => fn(r));
  }

  /** Runs `fn` in one store write transaction (no object write), e.g. to append journal rows. */
  async transaction<T>(fn: (tx: ExtraWrites) => Promise<T>): Promise<T> {
    this.checkOpen();
    return this.backend.transaction((tx) => fn(tx));
  }

  /** Resolves when background garbage collection has nothing left to do (tests, shutdown). */
  async settle(): Promise<void> {
    await this.gc.drain();
  }

  /** Ends every watch, finishes pending garbage collection, closes the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.gc.drain();
    this.closed = true;
    this.hub.close();
    await this.backend.close();
  }
}
