/**
 * Parsing request paths into routes: discovery and OpenAPI documents, the resource paths of any
 * group-version (`/apis/{group}/{version}/…`, namespaced, all-namespaces and cluster-scoped; the
 * server answers 404 for a group-version its scheme does not serve), the core/v1 events paths,
 * identity tokens (auth.sidekicks.dev) and access reviews (authorization.k8s.io).
 */
import { AUTH_GROUP, AUTH_VERSION, AUTHORIZATION_GROUP } from '../auth/model.js';

/** A path to a resource collection, item or subresource. */
export interface ResourceRoute {
  type: 'resource';
  /** True for `/api/v1/...` (core events), false for a named group. */
  core: boolean;
  /** The API group ('' for core). */
  group: string;
  version: string;
  plural: string;
  /** From `/namespaces/{ns}/`; undefined when the path has none (all namespaces, or cluster scope). */
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** A fixed document: discovery, version, metrics, OpenAPI (health endpoints are served before routing: health.ts). */
export interface DocumentRoute {
  type: 'document';
  /** For `apis/group` and `apis/groupversion`: which group (and version) is asked for. */
  group?: string;
  version?: string;
  doc:
    | 'version'
    | 'metrics'
    | 'api'
    | 'api/v1'
    | 'apis'
    | 'apis/group'
    | 'apis/groupversion'
    | 'openapi/v2'
    | 'openapi/v3'
    | 'auth/group'
    | 'auth/groupversion'
    | 'authorization/group'
    | 'authorization/groupversion';
}

/** Identity tokens (`/apis/auth.sidekicks.dev/v1alpha1/tokens[/{name}]`) or access reviews. */
export interface AuthRoute {
  type: 'auth';
  group: string;
  plural: string;
  name?: string;
}

/** An OpenAPI v3 document of the index (`/openapi/v3/<path>`). */
export interface OpenApiRoute {
  type: 'openapi';
  /** The index path, e.g. `apis/sidekicks.dev/v1alpha1` or `api/v1`. */
  path: string;
}

export type Route = ResourceRoute | DocumentRoute | OpenApiRoute | AuthRoute;

const AUTH_PREFIX = `/apis/${AUTH_GROUP}/${AUTH_VERSION}`;
const AUTHORIZATION_PREFIX = `/apis/${AUTHORIZATION_GROUP}/v1`;

const DOCUMENTS: Record<string, DocumentRoute['doc']> = {
  '/version': 'version',
  '/metrics': 'metrics',
  '/api': 'api',
  '/api/v1': 'api/v1',
  '/apis': 'apis',
  '/openapi/v2': 'openapi/v2',
  '/openapi/v3': 'openapi/v3',
  [`/apis/${AUTH_GROUP}`]: 'auth/group',
  [AUTH_PREFIX]: 'auth/groupversion',
  [`/apis/${AUTHORIZATION_GROUP}`]: 'authorization/group',
  [AUTHORIZATION_PREFIX]: 'authorization/groupversion',
};

function authRoute(group: string, parts: string[]): AuthRoute | undefined {
  if (parts.length < 1 || parts.length > 2 || parts.some((p) => p === '')) return undefined;
  return { type: 'auth', group, plural: parts[0]!, name: parts[1] };
}

function resourceRoute(group: string, version: string, parts: string[]): ResourceRoute | undefined {
  let namespace: string | undefined;
  let rest = parts;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length < 1 || rest.length > 3 || rest.some((p) => p === '')) return undefined;
  const [plural, name, subresource] = rest as [string, string?, string?];
  return { type: 'resource', core: group === '', group, version, plural, namespace, name, subresource };
}

/** Parses a URL path (without query) into a route, or undefined for 404. */
export function parseRoute(pathname: string): Route | undefined {
  const path = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  const doc = DOCUMENTS[path];
  if (doc) return { type: 'document', doc };
  if (path.startsWith('/openapi/v3/')) return { type: 'openapi', path: path.slice('/openapi/v3/'.length) };
  if (path.startsWith(AUTH_PREFIX + '/')) return authRoute(AUTH_GROUP, path.slice(AUTH_PREFIX.length + 1).split('/').map(decodeURIComponent));
  if (path.startsWith(AUTHORIZATION_PREFIX + '/')) {
    return authRoute(AUTHORIZATION_GROUP, path.slice(AUTHORIZATION_PREFIX.length + 1).split('/').map(decodeURIComponent));
  }
  if (path.startsWith('/api/v1/')) {
    return resourceRoute('', 'v1', path.slice('/api/v1/'.length).split('/').map(decodeURIComponent));
  }
  if (path.startsWith('/apis/')) {
    const [group, version, ...rest] = path.slice('/apis/'.length).split('/').map(decodeURIComponent);
    if (!group) return undefined;
    if (version === undefined) return { type: 'document', doc: 'apis/group', group };
    if (!version) return undefined;
    if (rest.length === 0) return { type: 'document', doc: 'apis/groupversion', group, version };
    return resourceRoute(group, version, rest);
  }
  return undefined;
}
