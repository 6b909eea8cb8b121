/**
 * `POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews`: "may I do this?", answered by the
 * same policies that decide real requests — what `kubectl auth can-i` and `sidekick auth can-i`
 * send. With `Impersonate-User: bob` (`--as bob`) the question is asked for bob, which needs the
 * `impersonate` action on User::"bob" (the Owner's, as shipped). Impersonation is honoured here
 * only: a request that acts is always made by the identity that authenticated.
 */
import type { IncomingMessage } from 'node:http';
import type { Decision } from '../auth/authorizer.js';
import { AUTHORIZATION_GROUP, RESOURCE_VERBS, Verb, type ResourceType } from '../auth/model.js';
import type { Identity } from '../auth/roles.js';
import { ApiError, StatusReason } from '../errors.js';
import { decodeBody } from './body.js';
import { decodeSelfSubjectAccessReview, PROTOBUF_CONTENT_TYPE } from './protobuf.js';
import { denialReason, type RequestAuthorizer } from './authorization.js';
import type { Principal } from './auth.js';

const REVIEW_API_VERSION = `${AUTHORIZATION_GROUP}/v1`;

/** Paths any authenticated identity may read: discovery, OpenAPI, version, health, metrics. */
const PUBLIC_READS = [/^\/version\/?$/, /^\/api(\/v1)?\/?$/, /^\/apis(\/[^/]+(\/[^/]+)?)?\/?$/, /^\/openapi(\/.*)?$/, /^\/(healthz|readyz|livez)(\/.*)?$/, /^\/metrics\/?$/];

interface ResourceAttributesIn {
  namespace?: unknown;
  verb?: unknown;
  group?: unknown;
  resource?: unknown;
  subresource?: unknown;
  name?: unknown;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** The effective identity of a request: the authenticated one, or whom it impersonates (checked). */
export function impersonated(authz: RequestAuthorizer, principal: Principal, req: IncomingMessage): Identity {
  const self: Identity = { name: principal.name, role: principal.role };
  const as = req.headers['impersonate-user'];
  if (as === undefined) return self;
  if (req.headers['impersonate-group'] !== undefined || req.headers['impersonate-uid'] !== undefined) {
    throw new ApiError(StatusReason.Forbidden, 'impersonating groups or uids is not supported: impersonate a user with Impersonate-User');
  }
  const name = Array.isArray(as) ? as[0]! : as;
  const target = authz.identity(name);
  const d = authz.authorizer.mayImpersonate(self, target);
  if (!d.allowed) {
    const reason = denialReason(d);
    throw new ApiError(
      StatusReason.Forbidden,
      `users "${name}" is forbidden: User "${principal.name}" cannot impersonate resource "users" in API group "" at the cluster scope${reason ? `: ${reason}` : ''}`,
      { name, kind: 'users' },
    );
  }
  return target;
}

/** Answers access reviews for an identity. */
export class AccessReviews {
  constructor(private readonly authz: RequestAuthorizer) {}

  /** Reviews the body of a SelfSubjectAccessReview; resolves with it, `status` filled in. */
  async review(user: Identity, raw: Buffer | undefined, contentType: string | undefined): Promise<Record<string, unknown>> {
    const bytes = raw ?? Buffer.alloc(0);
    // kubectl's typed client posts built-in kinds in protobuf (and reads the JSON answer).
    const decoded = contentType?.split(';')[0]!.trim() === PROTOBUF_CONTENT_TYPE ? decodeSelfSubjectAccessReview(bytes) : decodeBody(bytes, contentType);
    const body = decoded as { apiVersion?: unknown; kind?: unknown; spec?: { resourceAttributes?: ResourceAttributesIn; nonResourceAttributes?: { path?: unknown; verb?: unknown } } } | null;
    if (body?.kind !== 'SelfSubjectAccessReview' || body.apiVersion !== REVIEW_API_VERSION) {
      throw new ApiError(StatusReason.BadRequest, `the body of the request must be a SelfSubjectAccessReview of ${REVIEW_API_VERSION}`);
    }
    const spec = body.spec ?? {};
    let status: Record<string, unknown>;
    if (spec.resourceAttributes) status = await this.resource(user, spec.resourceAttributes);
    else if (spec.nonResourceAttributes) status = this.nonResource(spec.nonResourceAttributes);
    else throw new ApiError(StatusReason.Invalid, 'SelfSubjectAccessReview is invalid: spec: resourceAttributes or nonResourceAttributes is required');
    return { kind: 'SelfSubjectAccessReview', apiVersion: REVIEW_API_VERSION, metadata: { creationTimestamp: null }, spec, status };
  }

  private async resource(user: Identity, a: ResourceAttributesIn): Promise<Record<string, unknown>> {
    const verb = str(a.verb);
    const group = str(a.group);
    const plural = str(a.resource);
    const verbs = verb === '*' ? RESOURCE_VERBS : [verb];
    const unknownVerb = verbs.find((v) => !(Object.values(Verb) as string[]).includes(v) || v === Verb.Impersonate);
    if (unknownVerb !== undefined) return { allowed: false, reason: `no policy can allow the unknown verb "${unknownVerb}"` };
    const types = this.typesOf(group, plural);
    if (types.length === 0) return { allowed: false, reason: `the server has no resource "${plural}" in API group "${group}"` };
    // A wildcard is allowed only when every verb on every resource it covers is.
    for (const resource of types) {
      for (const v of verbs as Verb[]) {
        const d: Decision = await this.authz.decide(user, {
          verb: v,
          resource,
          namespace: resource.namespaced ? str(a.namespace) : '',
          name: str(a.name),
          subresource: str(a.subresource),
        });
        if (!d.allowed) {
          const reason = denialReason(d);
          return { allowed: false, ...(d.denied ? { denied: true } : {}), ...(reason ? { reason } : {}) };
        }
      }
    }
    return { allowed: true };
  }

  private typesOf(group: string, plural: string): ResourceType[] {
    const { types } = this.authz.authorizer.model;
    if (plural === '*') return types.filter((t) => group === '*' || t.group === group);
    if (group === '*') return types.filter((t) => t.plural === plural);
    const t = this.authz.authorizer.model.resourceType(group, plural);
    return t ? [t] : [];
  }

  private nonResource(a: { path?: unknown; verb?: unknown }): Record<string, unknown> {
    const verb = str(a.verb).toLowerCase();
    const path = str(a.path);
    const allowed = (verb === 'get' || verb === 'head') && PUBLIC_READS.some((re) => re.test(path));
    return allowed ? { allowed: true } : { allowed: false };
  }
}
