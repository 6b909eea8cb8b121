/**
 * Authorization of API requests: every resource request (objects, subresources, watches, the
 * timeline and artifact content) becomes kube-apiserver's authorizer attributes (user, verb,
 * group, resource, subresource, namespace, name), enriched with who owns the object, and is
 * decided by the Cedar policies. A denial is the 403 Status kube-apiserver sends:
 *   approvals.sidekicks.dev "x" is forbidden: User "bob" cannot patch resource "approvals" in API
 *   group "sidekicks.dev" in the namespace "default"
 */
import type { IncomingMessage } from 'node:http';
import type { KubeObject } from '../../resources/meta.js';
import type { CedarAuthorizer, Decision } from '../auth/authorizer.js';
import { AUTH_GROUP, AUTHORIZATION_GROUP, CREATED_BY, type ResourceType, Verb } from '../auth/model.js';
import { Role, type Identity } from '../auth/roles.js';
import type { TokenStore } from '../auth/token-store.js';
import { ApiError, StatusReason } from '../errors.js';
import type { Store } from '../store/store.js';
import { decodeBody } from './body.js';
import { PatchType, patchTypeOf } from './patch.js';

/** What a request asks to do, as kube-apiserver's RequestInfo names it. */
export interface RequestAttributes {
  verb: Verb;
  resource: ResourceType;
  /** '' for cluster scope (cluster-scoped kinds, or all namespaces). */
  namespace: string;
  /** '' for collections. */
  name: string;
  subresource: string;
}

/** The verb of a resource request: GET is get, list or watch; DELETE on a collection deletecollection. */
export function verbOf(method: string | undefined, hasName: boolean, watch: boolean): Verb {
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (watch) return Verb.Watch;
      return hasName ? Verb.Get : Verb.List;
    case 'POST':
      return Verb.Create;
    case 'PUT':
      return Verb.Update;
    case 'PATCH':
      return Verb.Patch;
    case 'DELETE':
      return hasName ? Verb.Delete : Verb.DeleteCollection;
    default:
      // Any other method is refused by the handlers with 405; authorize it as the strongest write.
      return Verb.Update;
  }
}

/** kube-apiserver's Forbidden: `<resource>.<group> "<name>" is forbidden: User "u" cannot …`. */
export function forbidden(user: string, attrs: RequestAttributes, reason?: string): ApiError {
  const { resource, namespace, name, subresource, verb } = attrs;
  const qualified = resource.group ? `${resource.plural}.${resource.group}` : resource.plural;
  const what = subresource ? `${resource.plural}/${subresource}` : resource.plural;
  const scope = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
  const because = `User "${user}" cannot ${verb} resource "${what}" in API group "${resource.group}" ${scope}${reason ? `: ${reason}` : ''}`;
  const subject = name ? `${qualified} "${name}"` : qualified;
  return new ApiError(StatusReason.Forbidden, `${subject} is forbidden: ${because}`, { name: name || undefined, group: resource.group, kind: resource.plural });
}

/** Why a decision denied, for messages: an explicit forbid names its policies. */
export function denialReason(d: Decision): string | undefined {
  if (d.error) return `the authorizer failed: ${d.error}`;
  if (d.denied) return `denied by policy ${d.policies.map((p) => `"${p}"`).join(', ')}`;
  return undefined;
}

/** The object a write request carries, read before it is authorized. */
export interface RequestBody {
  raw: Buffer;
  contentType: string | undefined;
}

/** Who owns an object, and whether it exists. */
interface Ownership {
  exists: boolean;
  owner?: string;
  runOwner?: string;
}

function createdBy(obj: KubeObject | undefined): string | undefined {
  return obj?.metadata.annotations?.[CREATED_BY];
}

function specRun(obj: unknown): string | undefined {
  const run = (obj as { spec?: { run?: unknown } } | null)?.spec?.run;
  return typeof run === 'string' && run !== '' ? run : undefined;
}

export interface RequestAuthorizerOptions {
  authorizer: CedarAuthorizer;
  store: Store;
  tokens: TokenStore;
  /** The daemon owner's identity name. */
  owner: string;
}

/** Decides API requests against the Cedar policies, looking up ownership in the store. */
export class RequestAuthorizer {
  constructor(private readonly d: RequestAuthorizerOptions) {}

  get authorizer(): CedarAuthorizer {
    return this.d.authorizer;
  }

  /** The identity called `name`: the owner, an identity with a token, or a stranger without a role. */
  identity(name: string): Identity {
    if (name === this.d.owner) return { name, role: Role.Owner };
    return { name, role: this.d.tokens.byName(name)?.role };
  }

  /**
   * Decides a request. `body` is the object of a create (POST, or an apply that creates): its
   * `spec.run` names the run whose owner the object will belong to.
   */
  async decide(user: Identity, attrs: RequestAttributes, body?: unknown): Promise<Decision> {
    const creating = attrs.verb === Verb.Create;
    const own = creating ? await this.creation(user, attrs, body) : await this.ownership(attrs);
    return this.d.authorizer.authorize({ user, ...attrs, owner: own.owner, runOwner: own.runOwner });
  }

  /**
   * Throws 403 unless the request may go ahead. A server-side apply that would create the object
   * needs `create` as well as `patch`, as in kube-apiserver.
   */
  async check(user: Identity, attrs: RequestAttributes, req: IncomingMessage, body?: RequestBody): Promise<void> {
    // The single-user daemon's every request: no ownership lookups, no policy evaluation. This
    // also keeps the hot path out of the Cedar wasm module, which has crashed Node 20's
    // deoptimizer under sustained load (docs/decisions/0006).
    if (this.d.authorizer.ownerUnrestricted(user)) return;
    const deny = (d: Decision, a: RequestAttributes): ApiError => forbidden(user.name, a, denialReason(d));
    if (attrs.verb === Verb.Create) {
      const d = await this.decide(user, attrs, this.decoded(attrs, body));
      if (!d.allowed) throw deny(d, attrs);
      return;
    }
    const own = await this.ownership(attrs);
    const applyCreates = attrs.verb === Verb.Patch && !own.exists && !attrs.subresource && patchTypeOf(req.headers['content-type'], { strategic: true }) === PatchType.Apply;
    if (applyCreates) {
      const created = await this.creation(user, attrs, this.decoded(attrs, body));
      const patch = this.d.authorizer.authorize({ user, ...attrs, owner: created.owner, runOwner: created.runOwner });
      if (!patch.allowed) throw deny(patch, attrs);
      const createAttrs = { ...attrs, verb: Verb.Create, name: '' };
      const create = this.d.authorizer.authorize({ user, ...createAttrs, owner: created.owner, runOwner: created.runOwner });
      if (!create.allowed) throw deny(create, createAttrs);
      return;
    }
    const d = this.d.authorizer.authorize({ user, ...attrs, owner: own.owner, runOwner: own.runOwner });
    if (!d.allowed) throw deny(d, attrs);
  }

  /** The body decoded, only when its `spec.run` matters (run-scoped kinds). */
  private decoded(attrs: RequestAttributes, body: RequestBody | undefined): unknown {
    if (!attrs.resource.runScoped || !body || body.raw.length === 0) return undefined;
    return decodeBody(body.raw, body.contentType);
  }

  /** A create's ownership: the requester will own it; a run-scoped object follows its run. */
  private async creation(user: Identity, attrs: RequestAttributes, body: unknown): Promise<Ownership> {
    const run = attrs.resource.runScoped ? specRun(body) : undefined;
    return { exists: false, owner: user.name, runOwner: run ? await this.runOwner(attrs.namespace, run) : undefined };
  }

  /** An existing object's ownership, read from the store (nothing for collections and auth kinds). */
  private async ownership(attrs: RequestAttributes): Promise<Ownership> {
    if (!attrs.name || !this.stored(attrs.resource)) return { exists: false };
    const obj = await this.d.store.find(attrs.resource.plural, attrs.namespace, attrs.name);
    if (!obj) return { exists: false };
    const run = attrs.resource.runScoped ? specRun(obj) : undefined;
    return { exists: true, owner: createdBy(obj), runOwner: run ? await this.runOwner(attrs.namespace, run) : undefined };
  }

  private async runOwner(namespace: string, run: string): Promise<string | undefined> {
    return createdBy(await this.d.store.find('runs', namespace, run));
  }

  /** The scheme's kinds (and the core/v1 Events view) live in the store; tokens and reviews do not. */
  private stored(resource: ResourceType): boolean {
    return resource.group !== AUTH_GROUP && resource.group !== AUTHORIZATION_GROUP;
  }
}
