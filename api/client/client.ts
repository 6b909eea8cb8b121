/**
 * ApiClient: a small typed client for the Kubernetes-style REST API the daemon and the control
 * plane serve. Every failure comes back as an `ApiError` carrying the server's Status reason.
 */
import type { IncomingMessage } from 'node:http';
import { ApiError, type Status } from '../errors.js';
import type { KubeList, KubeObject } from '../../resources/meta.js';
import { Transport, type HttpRequest } from './transport.js';
import { readWatchEvents } from './watch.js';
import type { Connection } from './connection.js';
import type { ListOptions as StoreListOptions } from '../store/store.js';
import { PatchType, type APIResourceList, type ResourceRef, type Table, type VersionInfo, type WatchEvent } from './types.js';

const JSON_TYPE = 'application/json';
/** What kubectl sends to get server-side printed tables. */
export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

/** Options shared by list, table and watch requests: the Store's list options, and where a watch starts. */
export interface ListOptions extends StoreListOptions {
  resourceVersion?: string;
}

/** Options of write requests. */
export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  /** `Strict` rejects unknown fields, `Warn` (default) and `Ignore` drop them. */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
}

/** Options of DELETE. */
export interface DeleteOptions {
  dryRun?: boolean;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
}

/** Options of a watch. */
export interface WatchOptions extends ListOptions {
  signal?: AbortSignal;
  allowWatchBookmarks?: boolean;
  /** Server-side timeout for the stream, in seconds. */
  timeoutSeconds?: number;
  /** Ask for events whose objects are Tables (one row each), as `kubectl get -w` does. */
  asTable?: boolean;
}

/** Options of a Table request. */
export interface TableOptions extends ListOptions {
  /** `Object` embeds full objects in rows (needed by --sort-by), `Metadata` (default) embeds metadata. */
  includeObject?: 'None' | 'Metadata' | 'Object';
}

/** Options of a client. */
export interface ClientOptions {
  /** Receives the text of each `Warning` header a response carries (kubectl prints `Warning: text`). */
  onWarning?: (text: string) => void;
}

/** The typed API client. Build one per endpoint and {@link close} it when done. */
export class ApiClient {
  private readonly transport: Transport;
  private readonly onWarning?: (text: string) => void;

  constructor(connection: Connection, opts: ClientOptions = {}) {
    this.transport = new Transport(connection);
    this.onWarning = opts.onWarning;
  }

  get connection(): Connection {
    return this.transport.connection;
  }

  /** The REST path of a collection, an object or a subresource. */
  static path(ref: ResourceRef, namespace?: string, name?: string, subresource?: string): string {
    let p = ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
    if (ref.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
    p += `/${ref.plural}`;
    if (name !== undefined) p += `/${encodeURIComponent(name)}`;
    if (subresource) p += `/${subresource}`;
    return p;
  }

  /** Reads one object. */
  get<T extends KubeObject = KubeObject>(ref: ResourceRef, namespace: string | undefined, name: string): Promise<T> {
    return this.json<T>({ method: 'GET', path: ApiClient.path(ref, namespace, name) });
  }

  /** Lists objects in a namespace, or across all namespaces when `namespace` is undefined. */
  list<T extends KubeObject = KubeObject>(ref: ResourceRef, opts: ListOptions = {}): Promise<KubeList<T>> {
    return this.json<KubeList<T>>({ method: 'GET', path: ApiClient.path(ref, opts.namespace), query: listQuery(opts) });
  }

  /** Lists as a server-printed Table (one object when `name` is given). */
  table(ref: ResourceRef, opts: TableOptions & { name?: string } = {}): Promise<Table> {
    return this.json<Table>({
      method: 'GET',
      path: ApiClient.path(ref, opts.namespace, opts.name),
      query: { ...(opts.name === undefined ? listQuery(opts) : {}), includeObject: opts.includeObject },
      headers: { accept: TABLE_ACCEPT },
    });
  }

  /** Creates an object (POST to its collection). */
  create<T extends KubeObject = KubeObject>(ref: ResourceRef, namespace: string | undefined, obj: KubeObject, opts: WriteOptions = {}): Promise<T> {
    return this.json<T>({ method: 'POST', path: ApiClient.path(ref, namespace), query: writeQuery(opts), headers: { 'content-type': JSON_TYPE }, body: JSON.stringify(obj) });
  }

  /** Replaces an object (PUT); a stale `metadata.resourceVersion` is a 409 Conflict. */
  update<T extends KubeObject = KubeObject>(ref: ResourceRef, namespace: string | undefined, obj: KubeObject, opts: WriteOptions = {}): Promise<T> {
    const name = obj.metadata.name ?? '';
    return this.json<T>({ method: 'PUT', path: ApiClient.path(ref, namespace, name), query: writeQuery(opts), headers: { 'content-type': JSON_TYPE }, body: JSON.stringify(obj) });
  }

  /** Replaces the status subresource. */
  updateStatus<T extends KubeObject = KubeObject>(ref: ResourceRef, namespace: string | undefined, obj: KubeObject, opts: WriteOptions = {}): Promise<T> {
    const name = obj.metadata.name ?? '';
    return this.json<T>({ method: 'PUT', path: ApiClient.path(ref, namespace, name, 'status'), query: writeQuery(opts), headers: { 'content-type': JSON_TYPE }, body: JSON.stringify(obj) });
  }

  /** Patches an object with a merge, JSON or (mapped to merge by the server) strategic patch. */
  patch<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    namespace: string | undefined,
    name: string,
    type: Exclude<PatchType, 'apply'>,
    patch: unknown,
    opts: WriteOptions & { subresource?: string } = {},
  ): Promise<T> {
    return this.json<T>({
      method: 'PATCH',
      path: ApiClient.path(ref, namespace, name, opts.subresource),
      query: writeQuery(opts),
      headers: { 'content-type': PatchType[type] },
      body: typeof patch === 'string' ? patch : JSON.stringify(patch),
    });
  }

  /** Server-side apply: PATCH with apply-patch+yaml (JSON is valid YAML) as `fieldManager`. */
  apply<T extends KubeObject = KubeObject>(
    ref: ResourceRef,
    namespace: string | undefined,
    obj: KubeObject,
    opts: WriteOptions & { fieldManager: string; force?: boolean },
  ): Promise<T> {
    return this.json<T>({
      method: 'PATCH',
      path: ApiClient.path(ref, namespace, obj.metadata.name ?? ''),
      query: { ...writeQuery(opts), force: opts.force ? 'true' : undefined },
      headers: { 'content-type': PatchType.apply },
      body: JSON.stringify(obj),
    });
  }

  /** Deletes an object; resolves with what the server returned (the object while finalizers remain, or a Status). */
  delete(ref: ResourceRef, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<KubeObject | Status> {
    const body = { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: opts.propagationPolicy, gracePeriodSeconds: opts.gracePeriodSeconds, ...(opts.dryRun ? { dryRun: ['All'] } : {}) };
    return this.json<KubeObject | Status>({
      method: 'DELETE',
      path: ApiClient.path(ref, namespace, name),
      query: { dryRun: opts.dryRun ? 'All' : undefined, propagationPolicy: opts.propagationPolicy },
      headers: { 'content-type': JSON_TYPE },
      body: JSON.stringify(body),
    });
  }

  /** Streams watch events from `resourceVersion` (or the current state) until aborted or closed by the server. */
  async watch<T extends KubeObject = KubeObject>(ref: ResourceRef, opts: WatchOptions = {}): Promise<AsyncGenerator<WatchEvent<T>>> {
    const res = await this.transport.open({
      method: 'GET',
      path: ApiClient.path(ref, opts.namespace),
      query: {
        ...listQuery(opts),
        watch: 1,
        allowWatchBookmarks: opts.allowWatchBookmarks ? 'true' : undefined,
        timeoutSeconds: opts.timeoutSeconds,
      },
      headers: { accept: opts.asTable ? TABLE_ACCEPT : JSON_TYPE },
      signal: opts.signal,
    });
    if ((res.statusCode ?? 0) >= 300) throw await errorFrom(res);
    return readWatchEvents<T>(res, opts.signal);
  }

  /** The resources of one group-version (`/apis/g/v` or `/api/v1`). */
  discovery(groupVersion: string): Promise<APIResourceList> {
    const path = groupVersion.includes('/') ? `/apis/${groupVersion}` : `/api/${groupVersion}`;
    return this.json<APIResourceList>({ method: 'GET', path });
  }

  /** The server's `/version`. */
  version(): Promise<VersionInfo> {
    return this.json<VersionInfo>({ method: 'GET', path: '/version' });
  }

  /** GETs any path and parses JSON (discovery, OpenAPI, health). */
  raw<T = unknown>(path: string, query?: HttpRequest['query']): Promise<T> {
    return this.json<T>({ method: 'GET', path, query });
  }

  /**
   * Sends a JSON request to any path (identity tokens, access reviews) and parses the JSON answer;
   * a failure is an ApiError with the server's Status.
   */
  call<T = unknown>(method: string, path: string, opts: { body?: unknown; headers?: Record<string, string>; query?: HttpRequest['query'] } = {}): Promise<T> {
    const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    return this.json<T>({ method, path, query: opts.query, headers: { ...(body !== undefined ? { 'content-type': JSON_TYPE } : {}), ...opts.headers }, body });
  }

  /** GETs any path and returns the body as text (e.g. `/healthz`). */
  async text(path: string, signal?: AbortSignal): Promise<string> {
    const res = await this.transport.request({ method: 'GET', path, signal });
    if (res.status >= 300) throw errorFromBody(res.status, res.body);
    return res.body;
  }

  /** Releases pooled connections. */
  close(): void {
    this.transport.close();
  }

  private async json<T>(req: HttpRequest): Promise<T> {
    const res = await this.transport.request({ ...req, headers: { accept: JSON_TYPE, ...req.headers } });
    if (this.onWarning) for (const text of warningTexts(res.headers.warning)) this.onWarning(text);
    if (res.status >= 300) throw errorFromBody(res.status, res.body);
    return (res.body ? JSON.parse(res.body) : {}) as T;
  }
}

function listQuery(opts: ListOptions): HttpRequest['query'] {
  return {
    labelSelector: opts.labelSelector,
    fieldSelector: opts.fieldSelector,
    limit: opts.limit,
    continue: opts.continue,
    resourceVersion: opts.resourceVersion,
  };
}

function writeQuery(opts: WriteOptions): HttpRequest['query'] {
  return { dryRun: opts.dryRun ? 'All' : undefined, fieldManager: opts.fieldManager, fieldValidation: opts.fieldValidation };
}

/**
 * The texts of `Warning` headers (RFC 7234: `299 - "text"`). Node joins repeated headers with
 * ", ", so the quoted texts are read one by one rather than split on commas.
 */
export function warningTexts(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  const texts: string[] = [];
  for (const value of Array.isArray(header) ? header : [header]) {
    for (const m of value.matchAll(/\d{3} \S+ "((?:[^"\\]|\\.)*)"/g)) texts.push(m[1]!.replace(/\\(.)/g, '$1'));
  }
  return texts;
}

/** Turns an error body into an ApiError: a Status when the server sent one, else the text. */
export function errorFromBody(code: number, body: string): ApiError {
  try {
    const parsed = JSON.parse(body) as Partial<Status>;
    if (parsed && typeof parsed === 'object' && (parsed.kind === 'Status' || parsed.reason || parsed.message)) return ApiError.fromStatus(parsed, code);
  } catch {
    // Not JSON: fall through and keep the text as the message, as kubectl does.
  }
  const fallback = ApiError.fromStatus({}, code);
  const text = body.trim();
  return text ? new ApiError(fallback.reason, text, undefined, code) : fallback;
}

async function errorFrom(res: IncomingMessage): Promise<ApiError> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return errorFromBody(res.statusCode ?? 500, Buffer.concat(chunks).toString('utf8'));
}

