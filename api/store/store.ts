/**
 * The Store contract: persistent, versioned objects with Kubernetes semantics. One generic
 * implementation of the semantics (ObjectStore) sits over two thin backends (SQLite, Postgres);
 * one contract suite runs against both.
 *
 * Resources are addressed by their REST plural (`runs`) plus namespace ('' for cluster-scoped)
 * and name. The store knows nothing about schemas: admission (defaults, validation) happens above
 * it, in api/server/admission.ts, before any write reaches it.
 */
import type { KubeObject } from '../../resources/meta.js';

/** How a resource is stored: enough for the store to apply generation and status rules. */
export interface ResourceInfo {
  plural: string;
  kind: string;
  apiVersion: string;
  namespaced: boolean;
  /** With a status subresource, `update` ignores status and `updateStatus` changes only status. */
  hasStatus: boolean;
}

/** Resolves a plural to its ResourceInfo (normally backed by the Scheme). */
export type ResourceResolver = (plural: string) => ResourceInfo | undefined;

export interface ListOptions {
  /** Namespace to list; undefined = all namespaces. Ignored for cluster-scoped kinds. */
  namespace?: string;
  /** Kubernetes label selector string (`a=b,c in (d),!e`). */
  labelSelector?: string;
  /** Field selector (`metadata.name=x`, `metadata.namespace!=y`, `spec.session=z`, `status.phase=Running`). */
  fieldSelector?: string;
  /** Page size; 0/undefined = everything. */
  limit?: number;
  /** Opaque token from a previous page. */
  continue?: string;
}

export interface ListResult<T = KubeObject> {
  items: T[];
  /** The store's resourceVersion at the time of the list (start a watch from here). */
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  object: T;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * Start after this resourceVersion. '' or undefined = start now (no replay). A version older
   * than the retained history rejects with ApiError reason `Expired` (HTTP 410 Gone).
   */
  resourceVersion?: string;
  /** Send a BOOKMARK (object carrying only metadata.resourceVersion) periodically. */
  allowBookmarks?: boolean;
  /** Bookmark period in milliseconds (default 60 s; tests shorten it). */
  bookmarkIntervalMs?: number;
}

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface DeleteOptions {
  propagationPolicy?: PropagationPolicy;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface WriteOptions {
  /** Validate and compute the result, store nothing, emit nothing. */
  dryRun?: boolean;
  /**
   * Runs inside the write's transaction after the object row is written (not on dryRun), so a
   * feature can append rows to its own tables atomically with the object (e.g. the session
   * journal). Throwing rolls the whole write back.
   */
  extraWrites?: (tx: ExtraWrites, written: KubeObject) => Promise<void>;
  /**
   * Keeps the identity the caller gives instead of assigning one: on create, `metadata.uid`,
   * `creationTimestamp` and `generation` (each when given); on update, `generation` (when given).
   * For copies of another store's objects (a runtime node's mirror of the control plane), whose
   * owner references and observedGeneration must mean the same on both sides. Internal callers
   * only: the HTTP API never sets it, so a client can never choose a uid.
   */
  keepIdentity?: boolean;
}

/** A database dialect; extra SQL written by other features picks its text by this. */
export type Dialect = 'sqlite' | 'postgres';

/**
 * Raw SQL reads of other tables in one read snapshot. Placeholders follow the dialect: `?` for
 * SQLite, `$1..$n` for Postgres (outside string literals).
 */
export interface ExtraReads {
  readonly dialect: Dialect;
  /** Runs one statement; returns its rows (empty for statements that return none). */
  execute(sqlText: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
}

/** Raw SQL on other tables inside a store write transaction (placeholders as in ExtraReads). */
export interface ExtraWrites extends ExtraReads {
  /** Runs `fn` after the transaction commits (never when it rolls back). */
  afterCommit(fn: () => void): void;
}

/** The outcome of a delete: the object as it was removed, or as it now stands with deletionTimestamp. */
export interface DeleteResult<T extends KubeObject = KubeObject> {
  object: T;
  /** false when the object stays (finalizers pending, foreground deletion in progress). */
  removed: boolean;
}

export interface Store {
  /**
   * Creates an object. Assigns uid, resourceVersion, generation 1, creationTimestamp and, with
   * `generateName`, a name. Status given on create is kept. Rejects AlreadyExists.
   */
  create<T extends KubeObject>(plural: string, obj: T, opts?: WriteOptions): Promise<T>;
  /** Reads one object. Rejects NotFound. */
  get<T extends KubeObject>(plural: string, namespace: string, name: string): Promise<T>;
  /** Reads one object, or undefined when it does not exist (a lookup, where absence is no error). */
  find<T extends KubeObject>(plural: string, namespace: string, name: string): Promise<T | undefined>;
  list<T extends KubeObject>(plural: string, opts?: ListOptions): Promise<ListResult<T>>;
  /** Lists like `list`, each item as its stored JSON text: what a JSON response needs, unparsed. */
  listJson(plural: string, opts?: ListOptions): Promise<ListResult<string>>;
  /**
   * Replaces an object's spec/metadata (status is kept as stored when the kind has a status
   * subresource). A non-empty metadata.resourceVersion that is not current rejects Conflict.
   * generation rises only when the desired state (everything but metadata and status) changed.
   * An object with deletionTimestamp whose finalizers become empty is removed by this update.
   */
  update<T extends KubeObject>(plural: string, obj: T, opts?: WriteOptions): Promise<T>;
  /** Replaces only `status` (the /status subresource). Same concurrency rule as update. */
  updateStatus<T extends KubeObject>(plural: string, obj: T, opts?: WriteOptions): Promise<T>;
  /**
   * Deletes per Kubernetes rules: with finalizers (or foreground propagation) the object gets
   * deletionTimestamp and stays; otherwise it is removed. Dependents (ownerReferences.uid) are
   * garbage-collected per the propagation policy (Background default; Orphan strips the owner
   * reference; Foreground removes dependents before the owner).
   */
  delete<T extends KubeObject>(plural: string, namespace: string, name: string, opts?: DeleteOptions): Promise<DeleteResult<T>>;
  /**
   * Streams changes; ends when `signal` aborts. A too-old resourceVersion fails with Expired
   * (410): ObjectStore throws it synchronously from this call, so an HTTP handler can answer 410
   * before streaming. A watcher that falls behind the retained history gets an ERROR event
   * carrying an Expired Status, and the stream ends.
   */
  watch<T extends KubeObject>(plural: string, opts: WatchOptions, signal: AbortSignal): AsyncIterable<WatchEvent<T>>;
  /** The latest committed resourceVersion. */
  currentResourceVersion(): Promise<string>;
  /**
   * Runs `fn` in one store write transaction with no object write, for features that keep
   * their own tables in the store's database (the session journal). Optional so that fakes
   * and remote clients need not provide it; ObjectStore always does.
   */
  transaction?<T>(fn: (tx: ExtraWrites) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` in one read snapshot of the store's database, beside the write queue: it never
   * waits for queued or running write transactions, and sees every write acknowledged before it
   * was called (read-your-writes). A statement that writes is rejected. Optional like transaction.
   */
  readTransaction?<T>(fn: (r: ExtraReads) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
