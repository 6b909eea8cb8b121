/**
 * What Cedar sees of the API: one entity type per kind (plus the auth kinds that are not stored
 * objects), the verbs as actions, and the schema the policies are validated against. Derived from
 * the scheme, so a new kind is covered by the policies the moment it is registered.
 *
 *   principal  User::"bob"                 { role: "Viewer" }
 *   action     Action::"patch"             in Action::"write"   (get, list, watch in Action::"read")
 *   resource   Approval::"default/fix-1"   { namespace, name, owner?: User, runOwner?: User }
 *   context    { subresource: "" | "status" | "timeline" | ... }
 *
 * `owner` is the identity that created the object (the `sidekicks.dev/created-by` annotation the
 * API server stamps); `runOwner`, on kinds that point at a run (`spec.run`), is that run's owner.
 */
import type { TSchema } from '@sinclair/typebox';
import type { Scheme } from '../../resources/scheme.js';
import { GROUP } from '../../resources/meta.js';

/** The API group of identity tokens (`sidekick token …`). */
export const AUTH_GROUP = 'auth.sidekicks.dev';
export const AUTH_VERSION = 'v1alpha1';
/** Kubernetes' group of access reviews, which `kubectl auth can-i` posts to. */
export const AUTHORIZATION_GROUP = 'authorization.k8s.io';

/** The annotation recording who created an object; set by the API server, never by clients. */
export const CREATED_BY = 'sidekicks.dev/created-by';

/** The API verbs, as kube-apiserver names them; each is a Cedar action of the same name. */
export const Verb = {
  Get: 'get',
  List: 'list',
  Watch: 'watch',
  Create: 'create',
  Update: 'update',
  Patch: 'patch',
  Delete: 'delete',
  DeleteCollection: 'deletecollection',
  /** Acting as another identity (only for access reviews: `can-i --as`). */
  Impersonate: 'impersonate',
} as const;
export type Verb = (typeof Verb)[keyof typeof Verb];

export const READ_VERBS: readonly Verb[] = [Verb.Get, Verb.List, Verb.Watch];
export const WRITE_VERBS: readonly Verb[] = [Verb.Create, Verb.Update, Verb.Patch, Verb.Delete, Verb.DeleteCollection];
/** Verbs on resources (everything but impersonate). */
export const RESOURCE_VERBS: readonly Verb[] = [...READ_VERBS, ...WRITE_VERBS];

/** The Cedar entity type of identities. */
export const USER_TYPE = 'User';

/** A resource type the authorizer knows: where it is served and what Cedar calls it. */
export interface ResourceType {
  group: string;
  plural: string;
  /** The Cedar entity type (the Kind). */
  type: string;
  namespaced: boolean;
  /** True when objects point at a run (`spec.run`), so `runOwner` applies. */
  runScoped: boolean;
}

/** Auth resources that are not stored kinds. */
const AUTH_TYPES: ResourceType[] = [
  { group: AUTH_GROUP, plural: 'tokens', type: 'Token', namespaced: false, runScoped: false },
  { group: AUTHORIZATION_GROUP, plural: 'selfsubjectaccessreviews', type: 'SelfSubjectAccessReview', namespaced: false, runScoped: false },
  { group: AUTHORIZATION_GROUP, plural: 'selfsubjectrulesreviews', type: 'SelfSubjectRulesReview', namespaced: false, runScoped: false },
];

function hasSpecRun(schema: TSchema): boolean {
  const spec = (schema as { properties?: Record<string, { properties?: Record<string, unknown> }> }).properties?.spec;
  return Boolean(spec?.properties && 'run' in spec.properties);
}

/** The authorization model of a scheme. */
export class AuthzModel {
  readonly types: readonly ResourceType[];
  private readonly byKey = new Map<string, ResourceType>();

  constructor(scheme: Scheme) {
    const kinds: ResourceType[] = scheme.all().map((d) => ({ group: d.group, plural: d.plural, type: d.kind, namespaced: d.namespaced, runScoped: hasSpecRun(d.schema) }));
    this.types = [...kinds, ...AUTH_TYPES];
    for (const t of this.types) this.byKey.set(`${t.group}/${t.plural}`, t);
    // core/v1 events are a read-only view of our Events: the same entity type, served in group ''.
    const events = this.byKey.get(`${GROUP}/events`);
    if (events) this.byKey.set('/events', { ...events, group: '' });
  }

  /** The resource type served as `plural` in `group` ('' for core), or undefined. */
  resourceType(group: string, plural: string): ResourceType | undefined {
    return this.byKey.get(`${group}/${plural}`);
  }

  /** The Cedar schema (text) policies are validated against. */
  schemaText(): string {
    // Entity shapes must be written out: Cedar does not accept a common type there.
    const shape = (t: ResourceType): string => `{ namespace: String, name: String, owner?: ${USER_TYPE}${t.runScoped ? `, runOwner?: ${USER_TYPE}` : ''} }`;
    const entities = this.types.map((t) => `entity ${t.type} = ${shape(t)};`);
    const all = this.types.map((t) => t.type).join(', ');
    const quoted = (vs: readonly string[]): string => vs.map((v) => `"${v}"`).join(', ');
    return [
      `entity ${USER_TYPE} = { role: String };`,
      ...entities,
      'type RequestContext = { subresource: String };',
      'action "read", "write";',
      `action ${quoted(READ_VERBS)} in ["read"] appliesTo { principal: [${USER_TYPE}], resource: [${all}], context: RequestContext };`,
      `action ${quoted(WRITE_VERBS)} in ["write"] appliesTo { principal: [${USER_TYPE}], resource: [${all}], context: RequestContext };`,
      `action "${Verb.Impersonate}" appliesTo { principal: [${USER_TYPE}], resource: [${USER_TYPE}], context: {} };`,
      '',
    ].join('\n');
  }
}
