/**
 * `POST /apis/authorization.k8s.io/v1/selfsubjectrulesreviews`: "what may I do in this
 * namespace?", what `kubectl auth can-i --list` asks. Answered from the same Cedar policies as
 * every request: each verb the server serves on each resource (from the discovery documents, so
 * the answer lists exactly what exists) is decided for the identity. Permissions that hold only for
 * objects the identity created (a Collaborator's own runs) cannot be written as a rule of
 * resources and verbs: they are named in `evaluationError` and the list is marked incomplete, as
 * kube-apiserver does when an authorizer cannot enumerate what it would allow.
 */
import type { ResourceType } from '../auth/model.js';
import type { Identity } from '../auth/roles.js';
import { ApiError, StatusReason } from '../errors.js';
import { decodeBody } from './body.js';
import type { RequestAuthorizer } from './authorization.js';
import type { DiscoveryDocuments } from './discovery.js';
import { decodeSelfSubjectRulesReview, PROTOBUF_CONTENT_TYPE } from './protobuf.js';

const REVIEW_API_VERSION = 'authorization.k8s.io/v1';

/**
 * Paths every authenticated identity may read (discovery, OpenAPI, version, health), as
 * kube-apiserver's system:discovery lists them — and /metrics, which any token may read here.
 */
export const PUBLIC_NON_RESOURCE_URLS = ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/metrics', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'];

/** One resource (or `resource/subresource`) the server serves, and its verbs. */
interface Served {
  group: string;
  name: string;
  verbs: string[];
}

export interface ResourceRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
}

/** The resources of every served group-version, read from the discovery documents. */
function servedResources(docs: DiscoveryDocuments): Served[] {
  const lists = [docs.apiV1, ...docs.groupVersions.values(), docs.authGroupVersion, docs.authorizationGroupVersion].map(
    (text) => JSON.parse(text) as { groupVersion: string; resources: { name: string; verbs: string[] }[] },
  );
  return lists.flatMap((list) => {
    const group = list.groupVersion.includes('/') ? list.groupVersion.split('/')[0]! : '';
    return list.resources.map((r) => ({ group, name: r.name, verbs: r.verbs }));
  });
}

/** Answers rules reviews for an identity. */
export class RulesReviews {
  private readonly served: Served[];

  constructor(
    private readonly authz: RequestAuthorizer,
    discovery: DiscoveryDocuments,
  ) {
    this.served = servedResources(discovery);
  }

  /** Reviews the body of a SelfSubjectRulesReview; resolves with it, `status` filled in. */
  review(user: Identity, raw: Buffer | undefined, contentType: string | undefined): Record<string, unknown> {
    const bytes = raw ?? Buffer.alloc(0);
    // kubectl's typed client posts built-in kinds in protobuf (and reads the JSON answer).
    const decoded = contentType?.split(';')[0]!.trim() === PROTOBUF_CONTENT_TYPE ? decodeSelfSubjectRulesReview(bytes) : decodeBody(bytes, contentType);
    const body = decoded as { apiVersion?: unknown; kind?: unknown; spec?: { namespace?: unknown } } | null;
    if (body?.kind !== 'SelfSubjectRulesReview' || body.apiVersion !== REVIEW_API_VERSION) {
      throw new ApiError(StatusReason.BadRequest, `the body of the request must be a SelfSubjectRulesReview of ${REVIEW_API_VERSION}`);
    }
    const namespace = body.spec?.namespace;
    if (namespace !== undefined && typeof namespace !== 'string') {
      throw new ApiError(StatusReason.BadRequest, 'spec.namespace: Invalid value: must be a string');
    }
    const spec = { namespace: namespace ?? '' };
    return { kind: 'SelfSubjectRulesReview', apiVersion: REVIEW_API_VERSION, metadata: { creationTimestamp: null }, spec, status: this.rules(user, spec.namespace) };
  }

  /** The rules of `user` in `namespace`: what is allowed outright, and what only on its own objects. */
  rules(user: Identity, namespace: string): Record<string, unknown> {
    const nonResourceRules = [{ verbs: ['get'], nonResourceURLs: PUBLIC_NON_RESOURCE_URLS }];
    if (this.authz.authorizer.ownerUnrestricted(user)) {
      return { resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules, incomplete: false };
    }
    const resourceRules: ResourceRule[] = [];
    const ownOnly: string[] = [];
    for (const s of this.served) {
      const [plural, subresource = ''] = s.name.split('/') as [string, string?];
      const type = this.authz.authorizer.model.resourceType(s.group, plural);
      if (!type) continue;
      const allowed = (verb: string, owned: boolean): boolean =>
        this.authz.authorizer.authorize({
          user,
          verb: verb as never,
          resource: type,
          namespace: type.namespaced ? namespace : '',
          name: '',
          subresource,
          ...(owned ? { owner: user.name, runOwner: user.name } : {}),
        }).allowed;
      const outright = s.verbs.filter((v) => allowed(v, false));
      const owned = s.verbs.filter((v) => !outright.includes(v) && allowed(v, true));
      if (outright.length > 0) resourceRules.push({ verbs: outright, apiGroups: [s.group], resources: [s.name] });
      if (owned.length > 0) ownOnly.push(`${owned.join(', ')} ${qualified(s.name, type)}`);
    }
    return {
      resourceRules,
      nonResourceRules,
      incomplete: ownOnly.length > 0,
      ...(ownOnly.length > 0 ? { evaluationError: `also allowed only on objects you created or whose run you created: ${ownOnly.join('; ')}` } : {}),
    };
  }
}

function qualified(name: string, type: ResourceType): string {
  const [plural, sub] = name.split('/');
  return `${plural}${type.group ? `.${type.group}` : ''}${sub ? `/${sub}` : ''}`;
}
