/**
 * The store as controllers write to it: every object write goes through the admission API writes
 * go through (admission.ts: defaults, unknown fields, metadata and schema validation, immutable
 * and final fields, the creator kept), so a controller can neither store what a user could not
 * nor fill in defaults by hand — the Run a channel starts for a turn is defaulted like a Run a
 * person applies. Reads, watches, deletes and transactions pass through unchanged.
 *
 * Differences from an API request, on purpose: unknown fields are an error (Strict — a controller
 * writing a field the schema does not have is a bug, never something to prune silently); status
 * given on create is kept (the Store contract; a controller creates what it made, settled or not);
 * and the admission rules that ask the authorizer or other objects (remembered decisions, run
 * limits, workflow templates) are for people's requests, not for controllers carrying them out.
 */
import type { KubeObject } from '../../resources/meta.js';
import type { KindDefinition, Scheme } from '../../resources/scheme.js';
import { conflict } from '../errors.js';
import type {
  DeleteOptions,
  DeleteResult,
  ExtraWrites,
  ListOptions,
  ListResult,
  Store,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from '../store/store.js';
import { findUnknownFields } from '../../resources/validation.js';
import { admit, admitCreate, admitUpdate, FieldValidation, strictDecodingError, type AdmissionRequest } from './admission.js';

export class AdmittedStore implements Store {
  /** Present when the inner store has it (the Store contract makes it optional). */
  readonly transaction?: <T>(fn: (tx: ExtraWrites) => Promise<T>) => Promise<T>;

  constructor(
    private readonly inner: Store,
    private readonly scheme: Scheme,
    private readonly now: () => Date = () => new Date(),
  ) {
    if (inner.transaction) this.transaction = (fn) => inner.transaction!(fn);
  }

  async create<T extends KubeObject>(plural: string, obj: T, opts?: WriteOptions): Promise<T> {
    const def = this.scheme.byPlural(plural);
    if (!def) return this.inner.create(plural, obj, opts);
    const admitted = admitCreate(structuredClone(obj), this.request(def, obj)) as T;
    return this.inner.create(plural, admitted, opts);
  }

  async update<T extends KubeObject>(plural: string, obj: T, opts?: WriteOptions): Promise<T> {
    const def = this.scheme.byPlural(plural);
    if (!def) return this.inner.update(plural, obj, opts);
    const old = await this.current(def, obj);
    const admitted = admitUpdate(old, structuredClone(obj), this.request(def, obj)) as T;
    return this.inner.update(plural, admitted, opts);
  }

  async updateStatus<T extends KubeObject>(plural: string, obj: T, opts?: WriteOptions): Promise<T> {
    const def = this.scheme.byPlural(plural);
    if (!def) return this.inner.updateStatus(plural, obj, opts);
    // Only status is written (the store keeps the rest as stored, and answers a stale write with
    // Conflict), so there is nothing immutable to compare and no stored object to read. Unknown
    // fields are the writer's only under status; elsewhere they are the object's as it was read.
    const candidate = structuredClone(obj) as KubeObject;
    const unknown = findUnknownFields(def, candidate).filter((f) => f === 'status' || f.startsWith('status.') || f.startsWith('status['));
    if (unknown.length > 0) throw strictDecodingError(unknown);
    const admitted = admit(candidate, { ...this.request(def, obj), fieldValidation: FieldValidation.Ignore });
    return this.inner.updateStatus(plural, { ...obj, status: (admitted as { status?: unknown }).status } as T, opts);
  }

  get<T extends KubeObject>(plural: string, namespace: string, name: string): Promise<T> {
    return this.inner.get(plural, namespace, name);
  }

  find<T extends KubeObject>(plural: string, namespace: string, name: string): Promise<T | undefined> {
    return this.inner.find(plural, namespace, name);
  }

  list<T extends KubeObject>(plural: string, opts?: ListOptions): Promise<ListResult<T>> {
    return this.inner.list(plural, opts);
  }

  listJson(plural: string, opts?: ListOptions): Promise<ListResult<string>> {
    return this.inner.listJson(plural, opts);
  }

  delete<T extends KubeObject>(plural: string, namespace: string, name: string, opts?: DeleteOptions): Promise<DeleteResult<T>> {
    return this.inner.delete(plural, namespace, name, opts);
  }

  watch<T extends KubeObject>(plural: string, opts: WatchOptions, signal: AbortSignal): AsyncIterable<WatchEvent<T>> {
    return this.inner.watch(plural, opts, signal);
  }

  currentResourceVersion(): Promise<string> {
    return this.inner.currentResourceVersion();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /**
   * The stored object an update is admitted against. A write based on an older version is the
   * Conflict the store would answer, not the immutable-field error comparing with it would give.
   */
  private async current(def: KindDefinition, obj: KubeObject): Promise<KubeObject> {
    const { namespace = '', name = '', resourceVersion } = obj.metadata;
    const old = await this.inner.get(def.plural, def.namespaced ? namespace : '', name);
    if (resourceVersion && resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(def.plural, def.group, name, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    return old;
  }

  private request(def: KindDefinition, obj: KubeObject): AdmissionRequest {
    return {
      def,
      namespace: def.namespaced ? (obj.metadata.namespace ?? '') : '',
      fieldValidation: FieldValidation.Strict,
      warnings: [],
      now: this.now(),
    };
  }
}
