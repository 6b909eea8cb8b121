/**
 * The REST paths of a resource in an OpenAPI v3 document. kubectl reads them: `apply` checks that
 * the kind's PATCH operation (found by `x-kubernetes-group-version-kind`) takes `fieldValidation`
 * and `dryRun` before it leaves validation to the server.
 */
import type { JsonSchema } from './json-schema.js';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/** Group, version and kind, as the `x-kubernetes-group-version-kind` extension carries them. */
export interface Gvk {
  group: string;
  version: string;
  kind: string;
}

/** What the REST paths of one resource are built from. */
export interface ResourceTarget {
  gvk: Gvk;
  plural: string;
  namespaced: boolean;
  hasStatus: boolean;
  /** Path prefix without the trailing slash, e.g. `/apis/sidekicks.dev/v1alpha1` or `/api/v1`. */
  prefix: string;
  schemaName: string;
  listName: string;
  tag: string;
  /** The PATCH operations also take strategic merge patches (Kubernetes' own kinds). */
  strategic?: boolean;
}

const query = (name: string, description: string, type: 'string' | 'boolean' | 'integer' = 'string') => ({
  name,
  in: 'query',
  description,
  schema: { type },
});
const pathParam = (name: string, description: string) => ({ name, in: 'path', description, required: true, schema: { type: 'string' } });

const DRY_RUN = query('dryRun', 'When present (All), the request is fully validated and admitted but not stored.');
const FIELD_MANAGER = query('fieldManager', 'Name of the actor making the change; recorded in managedFields.');
const FIELD_VALIDATION = query('fieldValidation', 'How unknown or duplicate fields are handled: Ignore, Warn or Strict.');
const FORCE = query('force', 'Server-side apply: take ownership of fields other managers own.', 'boolean');
const LIST_PARAMS = [
  query('allowWatchBookmarks', 'Ask for BOOKMARK events while watching.', 'boolean'),
  query('continue', 'Token of the next page.'),
  query('fieldSelector', 'Restricts the list by fields, e.g. metadata.name=x.'),
  query('labelSelector', 'Restricts the list by labels, e.g. team=auth.'),
  query('limit', 'Maximum number of items.', 'integer'),
  query('resourceVersion', 'Start of a watch, or the minimum version of a list.'),
  query('timeoutSeconds', 'Timeout of a list or watch.', 'integer'),
  query('watch', 'Stream changes as watch events.', 'boolean'),
];

/** A response or request body schema for each media type. */
export function content(schema: JsonSchema, types: string[] = ['application/json', 'application/yaml']) {
  return Object.fromEntries(types.map((t) => [t, { schema }]));
}

function operation(
  target: ResourceTarget,
  action: string,
  operationId: string,
  description: string,
  opts: { params?: object[]; body?: JsonSchema; bodyTypes?: string[]; response: JsonSchema },
): Record<string, unknown> {
  return {
    tags: [target.tag],
    description,
    operationId,
    ...(opts.params ? { parameters: opts.params } : {}),
    ...(opts.body ? { requestBody: { content: content(opts.body, opts.bodyTypes), required: true } } : {}),
    responses: {
      '200': { description: 'OK', content: content(opts.response) },
      '401': { description: 'Unauthorized' },
    },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': target.gvk,
  };
}

const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml'];

/** Builds the OpenAPI v3 path items of a resource: list/create, get/replace/patch/delete, status, all-namespaces list. */
export function resourcePaths(t: ResourceTarget): Record<string, object> {
  const patchTypes = t.strategic ? ['application/strategic-merge-patch+json', ...PATCH_TYPES] : PATCH_TYPES;
  const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
  const kind = t.gvk.kind;
  const ns = t.namespaced ? 'Namespaced' : '';
  const base = t.namespaced ? `${t.prefix}/namespaces/{namespace}/${t.plural}` : `${t.prefix}/${t.plural}`;
  const common = t.namespaced ? [pathParam('namespace', 'Object name and auth scope, such as for teams and projects.')] : [];
  const named = [pathParam('name', `Name of the ${kind}.`), ...common];
  const writeParams = [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];
  const paths: Record<string, object> = {
    [base]: {
      get: operation(t, 'list', `list${ns}${kind}`, `List or watch objects of kind ${kind}.`, { params: LIST_PARAMS, response: ref(t.listName) }),
      post: operation(t, 'post', `create${ns}${kind}`, `Create a ${kind}.`, { params: writeParams, body: ref(t.schemaName), response: ref(t.schemaName) }),
      delete: operation(t, 'deletecollection', `deleteCollection${ns}${kind}`, `Delete a collection of ${kind}.`, {
        params: [DRY_RUN, ...LIST_PARAMS],
        response: ref(`${META}.Status`),
      }),
      parameters: common,
    },
    [`${base}/{name}`]: {
      get: operation(t, 'get', `read${ns}${kind}`, `Read the specified ${kind}.`, { response: ref(t.schemaName) }),
      put: operation(t, 'put', `replace${ns}${kind}`, `Replace the specified ${kind}.`, { params: writeParams, body: ref(t.schemaName), response: ref(t.schemaName) }),
      patch: operation(t, 'patch', `patch${ns}${kind}`, `Partially update the specified ${kind}.`, {
        params: [...writeParams, FORCE],
        body: ref(`${META}.Patch`),
        bodyTypes: patchTypes,
        response: ref(t.schemaName),
      }),
      delete: operation(t, 'delete', `delete${ns}${kind}`, `Delete the specified ${kind}.`, {
        params: [DRY_RUN, query('propagationPolicy', 'Orphan, Background or Foreground.')],
        body: ref(`${META}.DeleteOptions`),
        response: ref(`${META}.Status`),
      }),
      parameters: named,
    },
  };
  if (t.namespaced) {
    paths[`${t.prefix}/${t.plural}`] = {
      get: operation(t, 'list', `list${kind}ForAllNamespaces`, `List or watch objects of kind ${kind} in every namespace.`, {
        params: LIST_PARAMS,
        response: ref(t.listName),
      }),
    };
  }
  if (t.hasStatus) {
    paths[`${base}/{name}/status`] = {
      get: operation(t, 'get', `read${ns}${kind}Status`, `Read status of the specified ${kind}.`, { response: ref(t.schemaName) }),
      put: operation(t, 'put', `replace${ns}${kind}Status`, `Replace status of the specified ${kind}.`, {
        params: writeParams,
        body: ref(t.schemaName),
        response: ref(t.schemaName),
      }),
      patch: operation(t, 'patch', `patch${ns}${kind}Status`, `Partially update status of the specified ${kind}.`, {
        params: [...writeParams, FORCE],
        body: ref(`${META}.Patch`),
        bodyTypes: patchTypes,
        response: ref(t.schemaName),
      }),
      parameters: named,
    };
  }
  return paths;
}
