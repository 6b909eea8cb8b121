/**
 * What a request is, in the labels kube-apiserver's request metrics carry: the verb as Kubernetes
 * names it (get, list, watch, create, update, patch, apply, delete, deletecollection), the API
 * group and the resource. Every label value comes from a closed set — a path naming no resource
 * we serve is labelled `unknown` — so no client can grow the metrics without bound.
 */
import { GROUP } from '../../resources/meta.js';
import { verbOf } from './authorization.js';
import { boolParam } from './query.js';
import type { RequestLabels } from './metrics.js';
import type { Route } from './routes.js';

/** Whether the server serves `plural` in `group` ('' for the core group). */
export type ServedResource = (group: string, plural: string) => boolean;

/** The labels of a request to `route` (undefined: a path that routes nowhere). */
export function requestLabels(method: string | undefined, route: Route | undefined, query: URLSearchParams, contentType: string | undefined, served: ServedResource): RequestLabels {
  if (!route || route.type === 'document' || route.type === 'openapi') {
    // Discovery, OpenAPI, version, metrics and unknown paths: non-resource requests, as kube-apiserver counts them.
    return { verb: verbOf(method, true, false), group: '', resource: '' };
  }
  const group = route.type === 'auth' ? route.group : route.core ? '' : GROUP;
  let watch = false;
  try {
    watch = boolParam(query, 'watch') ?? false;
  } catch {
    // A malformed `watch` is answered 400 by the handler; it is counted as the read it claimed to be.
  }
  let verb: string = verbOf(method, route.name !== undefined, watch);
  if (method === 'PATCH' && (contentType ?? '').split(';')[0]!.trim() === 'application/apply-patch+yaml') verb = 'apply';
  return { verb, group, resource: served(group, route.plural) ? route.plural : 'unknown' };
}
