/**
 * The REST verbs on resource paths: GET (get, list, watch — JSON or Table), POST, PUT, PATCH and
 * DELETE (one or a collection) on sidekicks.dev kinds, and the read-only core/v1 view of Events
 * that `kubectl describe` and `kubectl events` read.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../../resources/meta.js';
import { isKubernetesGroup, type KindDefinition } from '../../resources/scheme.js';
import { ApiError, StatusReason } from '../errors.js';
import type { WatchEvent, WatchOptions } from '../store/store.js';
import { decodeBody, decodeJson, readBody } from './body.js';
import { CORE_EVENTS } from './discovery.js';
import { patchTypeOf, PatchType } from './patch.js';
import { deleteOptionsOf } from './delete-options.js';
import { listOptionsOf, writeRequestOf, type RequestQuery } from './query.js';
import { successStatus, writeJson, writeJsonText } from './respond.js';
import type { ResourceRoute } from './routes.js';
import type { ApiService } from './service.js';
import { TableLayout, tableVersionFor } from './table.js';
import { serveWatch, type WatchEncoder, type WatchRegistry } from './watch.js';

export interface ResourceHandlerOptions {
  service: ApiService;
  watches: WatchRegistry;
  maxBodyBytes: number;
  /** Bookmark period for watches that allow bookmarks. */
  bookmarkIntervalMs?: number;
}

function notFound(): ApiError {
  return new ApiError(StatusReason.NotFound, 'the server could not find the requested resource');
}

function methodNotAllowed(method: string | undefined): ApiError {
  return new ApiError(StatusReason.MethodNotAllowed, `the server does not allow this method on the requested resource (${method ?? ''})`);
}

/** Our Event kind as a core/v1 Event: same fields, core apiVersion. */
export function toCoreEvent(obj: KubeObject): KubeObject {
  return { ...obj, apiVersion: 'v1', kind: 'Event' };
}

/** Serves resource paths; one instance per server, with table layouts compiled per kind. */
export class ResourceHandler {
  private readonly layouts = new Map<string, TableLayout>();

  constructor(private readonly opts: ResourceHandlerOptions) {}

  private layout(def: KindDefinition): TableLayout {
    let l = this.layouts.get(def.plural);
    if (!l) {
      l = new TableLayout(def);
      this.layouts.set(def.plural, l);
    }
    return l;
  }

  /**
   * Serves one request. `user` is the authenticated identity (recorded by admission: creators,
   * deciders); `body` is the request body when the server already read it to authorize it.
   */
  async handle(route: ResourceRoute, req: IncomingMessage, res: ServerResponse, q: RequestQuery, user?: string, body?: Buffer): Promise<void> {
    if (route.core) return this.coreEvents(route, req, res, q);
    const { service } = this.opts;
    const def = service.kindOf(route.plural);
    if (!def.namespaced && route.namespace !== undefined) throw notFound();
    if (route.subresource !== undefined && (route.subresource !== 'status' || !def.hasStatus)) throw notFound();
    const namespaced = def.namespaced;
    const item = route.name !== undefined;
    // Only reads and collection deletes may span namespaces.
    if (namespaced && route.namespace === undefined && (item || req.method === 'POST')) throw notFound();
    const ns = route.namespace ?? '';
    const warnings: string[] = [];
    const read = async (): Promise<unknown> => decodeBody(body ?? (await readBody(req, this.opts.maxBodyBytes)), req.headers['content-type']);
    const writeRequest = (): ReturnType<typeof writeRequestOf> => ({ ...writeRequestOf(q, req, warnings), user });

    switch (req.method) {
      case 'GET':
        if (item) return this.reply(req, res, def, q, await service.get(def.plural, ns, route.name!));
        if (q.watch) return this.watch(req, res, def, q, route.namespace, (e) => e);
        if (!tableVersionFor(req.headers.accept)) return writeJsonText(res, 200, await service.listJson(def.plural, listOptionsOf(q, def, route.namespace)));
        return this.replyList(req, res, def, q, await service.list(def.plural, listOptionsOf(q, def, route.namespace)));
      case 'POST': {
        if (item) throw methodNotAllowed(req.method);
        const created = await service.create(def.plural, ns, await read(), writeRequest());
        return writeJson(res, 201, created, warnings);
      }
      case 'PUT': {
        if (!item) throw methodNotAllowed(req.method);
        const obj = await read();
        const wr = writeRequest();
        const out = route.subresource
          ? await service.updateStatus(def.plural, ns, route.name!, obj, wr)
          : await service.update(def.plural, ns, route.name!, obj, wr);
        return writeJson(res, 200, out, warnings);
      }
      case 'PATCH': {
        if (!item) throw methodNotAllowed(req.method);
        const type = patchTypeOf(req.headers['content-type'], { strategic: isKubernetesGroup(def.group) });
        const patch = await read();
        const wr = writeRequest();
        if (type === PatchType.Apply) wr.fieldManager = wr.explicitManager;
        const sub = route.subresource === 'status' ? ('status' as const) : undefined;
        const out = await service.patch(def.plural, ns, route.name!, type, patch, { ...wr, subresource: sub });
        return writeJson(res, 200, out, warnings);
      }
      case 'DELETE': {
        if (route.subresource) throw methodNotAllowed(req.method);
        const raw = body ?? (await readBody(req, this.opts.maxBodyBytes));
        const opts = deleteOptionsOf(q, raw.length > 0 ? decodeJson(raw) : undefined);
        if (!item) return writeJson(res, 200, await service.deleteCollection(def.plural, listOptionsOf(q, def, route.namespace), opts));
        const out = await service.delete(def.plural, ns, route.name!, opts);
        if (!out.removed) return writeJson(res, 202, out.object);
        const meta = out.object.metadata;
        return writeJson(res, 200, successStatus({ name: meta.name, group: def.group, kind: def.plural, uid: meta.uid }));
      }
      default:
        throw methodNotAllowed(req.method);
    }
  }

  /** core/v1 events: a read-only view of our Events. */
  private async coreEvents(route: ResourceRoute, req: IncomingMessage, res: ServerResponse, q: RequestQuery): Promise<void> {
    if (route.plural !== CORE_EVENTS || route.subresource !== undefined) throw notFound();
    if (req.method !== 'GET') throw methodNotAllowed(req.method);
    const { service } = this.opts;
    const def = service.kindOf(CORE_EVENTS);
    if (route.name !== undefined) {
      if (route.namespace === undefined) throw notFound();
      return this.reply(req, res, def, q, toCoreEvent(await service.get(CORE_EVENTS, route.namespace, route.name)));
    }
    if (q.watch) return this.watch(req, res, def, q, route.namespace, (e) => ({ ...e, object: toCoreEvent(e.object) }));
    const list = await service.list(CORE_EVENTS, listOptionsOf(q, def, route.namespace));
    const coreList = { ...list, apiVersion: 'v1', kind: 'EventList', items: list.items.map(toCoreEvent) };
    return this.replyList(req, res, def, q, coreList);
  }

  private reply(req: IncomingMessage, res: ServerResponse, def: KindDefinition, q: RequestQuery, obj: KubeObject): void {
    const tableVersion = tableVersionFor(req.headers.accept);
    if (!tableVersion) return writeJson(res, 200, obj);
    const table = this.layout(def).table([obj], {
      include: q.includeObject,
      apiVersion: tableVersion,
      resourceVersion: obj.metadata.resourceVersion,
    });
    return writeJson(res, 200, table);
  }

  private replyList(
    req: IncomingMessage,
    res: ServerResponse,
    def: KindDefinition,
    q: RequestQuery,
    list: { metadata: { resourceVersion?: string; continue?: string }; items: KubeObject[] },
  ): void {
    const tableVersion = tableVersionFor(req.headers.accept);
    if (!tableVersion) return writeJson(res, 200, list);
    const table = this.layout(def).table(list.items, {
      include: q.includeObject,
      apiVersion: tableVersion,
      resourceVersion: list.metadata.resourceVersion,
      continue: list.metadata.continue,
    });
    return writeJson(res, 200, table);
  }

  private async watch(
    req: IncomingMessage,
    res: ServerResponse,
    def: KindDefinition,
    q: RequestQuery,
    namespace: string | undefined,
    view: (e: WatchEvent) => WatchEvent,
  ): Promise<void> {
    const { service } = this.opts;
    const list = listOptionsOf(q, def, namespace);
    const rv = q.resourceVersion ?? '';
    const watchOpts: WatchOptions = {
      namespace: list.namespace,
      labelSelector: list.labelSelector,
      fieldSelector: list.fieldSelector,
      allowBookmarks: q.allowWatchBookmarks,
      bookmarkIntervalMs: this.opts.bookmarkIntervalMs,
    };
    const tableVersion = tableVersionFor(req.headers.accept);
    const include = q.includeObject;
    const layout = this.layout(def);
    const encode: WatchEncoder = (event, first) => {
      const e = view(event);
      if (!tableVersion) return e.object;
      if (e.type === 'BOOKMARK') {
        return layout.table([], { include, apiVersion: tableVersion, resourceVersion: e.object.metadata.resourceVersion, withColumns: false });
      }
      // Like kube-apiserver, only the first event carries the column definitions.
      return layout.table([e.object], { include, apiVersion: tableVersion, resourceVersion: e.object.metadata.resourceVersion, withColumns: first });
    };
    await serveWatch(req, res, {
      registry: this.opts.watches,
      timeoutSeconds: q.timeoutSeconds,
      encode,
      open: async (signal) =>
        rv === '' || rv === '0'
          ? initialStateThenWatch(service, def.plural, list, watchOpts, signal)
          : service.watch(def.plural, { ...watchOpts, resourceVersion: rv }, signal),
    });
  }
}

/**
 * A watch without a resourceVersion (or "0") starts, as in Kubernetes, with synthetic ADDED
 * events for every existing object, then continues from the list's resourceVersion — no gap.
 */
async function initialStateThenWatch(
  service: ApiService,
  plural: string,
  list: ReturnType<typeof listOptionsOf>,
  watchOpts: WatchOptions,
  signal: AbortSignal,
): Promise<AsyncIterable<WatchEvent>> {
  // Both calls happen before streaming starts, so a bad selector is still a plain 400.
  const initial = await service.list(plural, { ...list, limit: undefined, continue: undefined });
  const changes = service.watch(plural, { ...watchOpts, resourceVersion: initial.metadata.resourceVersion }, signal);
  return (async function* () {
    for (const object of initial.items) yield { type: 'ADDED', object } as WatchEvent;
    yield* changes;
  })();
}
