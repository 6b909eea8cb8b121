/**
 * The OpenAPI documents kubectl reads. `kubectl apply` and `explain` (v1.32) fetch `GET
 * /openapi/v3`, then the group-version document it points to: explain finds a kind's schema by
 * its `x-kubernetes-group-version-kind`, and apply looks for a `fieldValidation` parameter on the
 * kind's PATCH operation to hand validation to the server. `/openapi/v2` is kept for
 * `explain --output plaintext-openapiv2`.
 */
import { createHash } from 'node:crypto';
import { toJsonSchema, type JsonSchema } from './json-schema.js';
import { API_VERSION, GROUP, ManagedFieldsEntry, ObjectMeta, OwnerReference, VERSION } from './meta.js';
import { structuralSchema } from './crd.js';
import { content, resourcePaths, type Gvk } from './openapi-paths.js';
import { isKubernetesGroup, type KindDefinition, type Scheme } from './scheme.js';
import { Event } from './kinds/event.js';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
/** The group-version path of our API in the OpenAPI v3 index. */
export const GROUP_VERSION_PATH = `apis/${GROUP}/${VERSION}`;

/** The index path of a group-version's document, e.g. `apis/coordination.k8s.io/v1`. */
export function groupVersionPath(group: string, version: string): string {
  return `apis/${group}/${version}`;
}

/** The paths `GET /openapi/v3` lists, each served at `/openapi/v3/<path>`: one per group-version of the scheme. */
export function openApiV3Paths(scheme: Scheme): string[] {
  return ['api', 'api/v1', 'apis', ...scheme.groupVersions().map((gv) => groupVersionPath(gv.group, gv.version)), 'version'];
}

/**
 * The schema name of a kind: the group reversed, as Kubernetes names CRD schemas
 * (`dev.sidekicks.v1alpha1.Run`); a kind of Kubernetes' own groups keeps its built-in name
 * (`io.k8s.api.coordination.v1.Lease`).
 */
export function schemaName(def: Pick<KindDefinition, 'group' | 'version' | 'kind'>): string {
  if (isKubernetesGroup(def.group)) return `io.k8s.api.${def.group.split('.')[0] || 'core'}.${def.version}.${def.kind}`;
  return `${def.group.split('.').reverse().join('.')}.${def.version}.${def.kind}`;
}

/** Returns the `GET /openapi/v3` index of `paths`; each hash (see {@link openApiDocumentHash}) lets clients cache the document. */
export function openApiV3Index(paths: readonly string[], hashes: Record<string, string> = {}): { paths: Record<string, { serverRelativeURL: string }> } {
  const out: Record<string, { serverRelativeURL: string }> = {};
  for (const path of paths) {
    const hash = hashes[path];
    out[path] = { serverRelativeURL: `/openapi/v3/${path}${hash ? `?hash=${hash}` : ''}` };
  }
  return { paths: out };
}

/** Hashes a document the way the Kubernetes API server does for its index: SHA-512 of the JSON, upper-case hex. */
export function openApiDocumentHash(doc: unknown): string {
  return createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
}

/** Builds every document of the v3 index, keyed by index path. */
export function openApiV3Documents(scheme: Scheme): Record<string, object> {
  const docs: Record<string, object> = {
    api: discoveryDocument('/api/', 'getCoreAPIVersions', `${META}.APIVersions`),
    'api/v1': openApiV3CoreV1(),
    apis: discoveryDocument('/apis/', 'getAPIVersions', `${META}.APIGroupList`),
  };
  for (const gv of scheme.groupVersions()) docs[groupVersionPath(gv.group, gv.version)] = openApiV3GroupVersion(scheme, gv.group, gv.version);
  docs.version = discoveryDocument('/version/', 'getCodeVersion', 'io.k8s.apimachinery.pkg.version.Info');
  return docs;
}

// ── reference styles: OpenAPI v3 wraps a $ref in allOf so it can carry a description ──

interface RefStyle {
  ref(name: string, description?: string): JsonSchema;
}
const v3: RefStyle = {
  ref: (name, description) => ({ ...(description ? { description } : {}), allOf: [{ $ref: `#/components/schemas/${name}` }] }),
};
const v2: RefStyle = {
  ref: (name, description) => ({ ...(description ? { description } : {}), $ref: `#/definitions/${name}` }),
};

const gvkOf = (def: KindDefinition): Gvk => ({ group: def.group, version: def.version, kind: def.kind });

/** A kind's object schema with metadata as a reference to ObjectMeta and the GVK extension. */
function kindSchema(def: KindDefinition, style: RefStyle, gvk: Gvk = gvkOf(def)): JsonSchema {
  const schema = structuralSchema(def);
  // No field description: explain prints it and ObjectMeta's own, and they would say the same.
  schema.properties = { ...schema.properties, metadata: style.ref(`${META}.ObjectMeta`) };
  schema['x-kubernetes-group-version-kind'] = [gvk];
  return schema;
}

function listSchema(def: KindDefinition, itemName: string, style: RefStyle, gvk: Gvk = gvkOf(def)): JsonSchema {
  return {
    description: `${def.kind}List is a list of ${def.kind}.`,
    type: 'object',
    properties: {
      apiVersion: { description: 'APIVersion of the list.', type: 'string' },
      items: { description: `List of ${def.plural}.`, type: 'array', items: style.ref(itemName) },
      kind: { description: 'Kind of the list.', type: 'string' },
      metadata: style.ref(`${META}.ListMeta`, 'Standard list metadata.'),
    },
    required: ['items'],
    'x-kubernetes-group-version-kind': [{ ...gvk, kind: `${gvk.kind}List` }],
  };
}

/** The apimachinery schemas our documents reference, minimal but complete enough for every $ref to resolve. */
function metaSchemas(style: RefStyle): Record<string, JsonSchema> {
  const objectMeta = toJsonSchema(ObjectMeta);
  objectMeta.properties = {
    ...objectMeta.properties,
    ownerReferences: { description: 'Objects this one depends on.', type: 'array', items: style.ref(`${META}.OwnerReference`) },
    managedFields: { description: 'Which manager owns which fields (server-side apply).', type: 'array', items: style.ref(`${META}.ManagedFieldsEntry`) },
  };
  const stringField = (description: string) => ({ description, type: 'string' as const });
  return {
    [`${META}.ObjectMeta`]: objectMeta,
    [`${META}.OwnerReference`]: toJsonSchema(OwnerReference),
    [`${META}.ManagedFieldsEntry`]: toJsonSchema(ManagedFieldsEntry),
    [`${META}.ListMeta`]: {
      description: 'Metadata of a list.',
      type: 'object',
      properties: {
        continue: stringField('Token to fetch the next page.'),
        remainingItemCount: { description: 'Items not yet returned.', type: 'integer', format: 'int64' },
        resourceVersion: stringField('Version of the list, for watch.'),
      },
    },
    [`${META}.Time`]: { description: 'RFC 3339 timestamp.', type: 'string', format: 'date-time' },
    [`${META}.Patch`]: { description: 'A patch document: JSON patch, merge patch or apply configuration.', type: 'object' },
    [`${META}.StatusCause`]: {
      description: 'One cause of an error.',
      type: 'object',
      properties: { field: stringField('The field at fault, e.g. spec.agent.'), message: stringField('What is wrong.'), reason: stringField('Machine-readable cause.') },
    },
    [`${META}.StatusDetails`]: {
      description: 'Details of an error.',
      type: 'object',
      properties: {
        causes: { description: 'Field causes.', type: 'array', items: style.ref(`${META}.StatusCause`) },
        group: stringField('Group of the object.'),
        kind: stringField('Kind of the object.'),
        name: stringField('Name of the object.'),
        retryAfterSeconds: { description: 'Seconds to wait before retrying.', type: 'integer', format: 'int32' },
        uid: stringField('UID of the object.'),
      },
    },
    [`${META}.Status`]: {
      description: 'The result of an operation that does not return an object, such as an error.',
      type: 'object',
      properties: {
        apiVersion: stringField('Always v1.'),
        code: { description: 'HTTP status code.', type: 'integer', format: 'int32' },
        details: style.ref(`${META}.StatusDetails`, 'Details of the error.'),
        kind: stringField('Always Status.'),
        message: stringField('Human-readable description.'),
        metadata: style.ref(`${META}.ListMeta`, 'Standard list metadata.'),
        reason: stringField('NotFound, AlreadyExists, Conflict, Invalid, Forbidden, Unauthorized, Gone...'),
        status: stringField('Success or Failure.'),
      },
      'x-kubernetes-group-version-kind': [{ group: '', kind: 'Status', version: 'v1' }],
    },
    [`${META}.DeleteOptions`]: {
      description: 'Options of a delete.',
      type: 'object',
      properties: {
        apiVersion: stringField('API version.'),
        dryRun: { description: 'All: process without storing.', type: 'array', items: { type: 'string' } },
        gracePeriodSeconds: { description: 'Seconds before deletion.', type: 'integer', format: 'int64' },
        kind: stringField('Kind.'),
        propagationPolicy: stringField('Orphan, Background or Foreground.'),
      },
    },
  };
}

function document(title: string, paths: Record<string, object>, schemas: Record<string, JsonSchema>): object {
  return { openapi: '3.0.0', info: { title, version: 'unversioned' }, paths, components: { schemas } };
}

/** Builds the OpenAPI 3.0 document of one group-version (sidekicks.dev/v1alpha1 by default): every kind, its list and its REST paths. */
export function openApiV3GroupVersion(scheme: Scheme, group = GROUP, version = VERSION): object {
  const schemas: Record<string, JsonSchema> = {};
  let paths: Record<string, object> = {};
  for (const def of scheme.inGroupVersion(group, version)) {
    const name = schemaName(def);
    schemas[name] = kindSchema(def, v3);
    schemas[`${name}List`] = listSchema(def, name, v3);
    paths = {
      ...paths,
      ...resourcePaths({
        gvk: gvkOf(def),
        plural: def.plural,
        namespaced: def.namespaced,
        hasStatus: def.hasStatus,
        prefix: `/apis/${def.group}/${def.version}`,
        schemaName: name,
        listName: `${name}List`,
        tag: `${def.group.replace(/\./g, '')}_${def.version}`,
        strategic: isKubernetesGroup(def.group),
      }),
    };
  }
  Object.assign(schemas, metaSchemas(v3));
  return document(group === GROUP && version === VERSION ? `Sidekicks ${API_VERSION}` : `${group}/${version}`, paths, schemas);
}

const CORE_EVENT = 'io.k8s.api.core.v1.Event';
const CORE_EVENT_GVK: Gvk = { group: '', version: 'v1', kind: 'Event' };

/** Builds the `api/v1` document: our Events served as core v1 Events, so `kubectl describe` and `kubectl events` list them. */
export function openApiV3CoreV1(): object {
  const schemas: Record<string, JsonSchema> = {
    [CORE_EVENT]: coreEventSchema(v3),
    [`${CORE_EVENT}List`]: listSchema(Event, CORE_EVENT, v3, CORE_EVENT_GVK),
    ...metaSchemas(v3),
  };
  const paths = resourcePaths({
    gvk: CORE_EVENT_GVK,
    plural: 'events',
    namespaced: true,
    hasStatus: false,
    prefix: '/api/v1',
    schemaName: CORE_EVENT,
    listName: `${CORE_EVENT}List`,
    tag: 'core_v1',
  });
  return document('Kubernetes core/v1 (events)', paths, schemas);
}

function coreEventSchema(style: RefStyle): JsonSchema {
  const schema = kindSchema(Event, style, CORE_EVENT_GVK);
  schema.description = 'Event is a report of an event somewhere in the cluster.';
  schema.properties = {
    ...schema.properties,
    apiVersion: { description: 'APIVersion: v1.', type: 'string' },
    kind: { description: 'Kind: Event.', type: 'string' },
  };
  return schema;
}

/** Builds the swagger 2.0 document (`/openapi/v2`): the same schemas as definitions, for explain's v2 fallback. */
export function openApiV2(scheme: Scheme): object {
  const definitions: Record<string, JsonSchema> = {};
  for (const def of scheme.all()) {
    const name = schemaName(def);
    definitions[name] = kindSchema(def, v2);
    definitions[`${name}List`] = listSchema(def, name, v2);
  }
  definitions[CORE_EVENT] = coreEventSchema(v2);
  definitions[`${CORE_EVENT}List`] = listSchema(Event, CORE_EVENT, v2, CORE_EVENT_GVK);
  Object.assign(definitions, metaSchemas(v2));
  return { swagger: '2.0', info: { title: 'Sidekicks', version: 'unversioned' }, paths: {}, definitions };
}

/** A minimal document for a discovery endpoint (`/api/`, `/apis/`, `/version/`) so the index has no dangling entries. */
function discoveryDocument(path: string, operationId: string, responseSchema: string): object {
  return document(
    'Kubernetes',
    {
      [path]: {
        get: {
          description: 'Discovery information.',
          operationId,
          responses: { '200': { description: 'OK', content: content({ $ref: `#/components/schemas/${responseSchema}` }, ['application/json']) } },
        },
      },
    },
    { [responseSchema]: { description: 'Discovery information.', type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
  );
}
