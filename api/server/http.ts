/**
 * The HTTP API server: routes Kubernetes REST paths to discovery, OpenAPI and resource handlers,
 * behind an Authenticator per listener; every resource request is authorized by the Cedar policies
 * before it is handled (discovery is open to any authenticated identity, as in Kubernetes). Every
 * request is answered — failures as `Status` objects — and no request can bring the process down.
 */
import type { Journal } from '../journal/journal.js';
import { SessionSubresources, isSessionSubresource, type ArtifactBodies } from './session-subresources.js';
import { ChannelMessages, isChannelMessages } from './channel-messages.js';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Scheme } from '../../resources/scheme.js';
import { ApiError, StatusReason } from '../errors.js';
import { unauthorized, type Authenticator, type Principal } from './auth.js';
import { AccessReviews, impersonated } from './access-review.js';
import { RulesReviews } from './rules-review.js';
import { RequestAuthorizer, verbOf, type RequestAttributes } from './authorization.js';
import { ClientGoneError, MAX_BODY_BYTES, readBody } from './body.js';
import { parseQuery, type RequestQuery } from './query.js';
import { TokensApi } from './tokens-api.js';
import type { CedarAuthorizer } from '../auth/authorizer.js';
import { AUTHORIZATION_GROUP, Verb } from '../auth/model.js';
import type { Identity } from '../auth/roles.js';
import type { TokenStore } from '../auth/token-store.js';
import { buildDiscovery, type DiscoveryDocuments } from './discovery.js';
import { OpenApiDocs } from './openapi-docs.js';
import { ResourceHandler } from './resources.js';
import { writeError, writeJson } from './respond.js';
import { parseRoute, type AuthRoute, type DocumentRoute, type ResourceRoute } from './routes.js';
import type { ApiService } from './service.js';
import { WatchRegistry } from './watch.js';
import { HealthChecks, healthPath } from './health.js';
import { ServerMetrics } from './metrics.js';
import { requestLabels } from './request-labels.js';

export interface ApiServerOptions {
  service: ApiService;
  scheme: Scheme;
  /** Our release, shown in /version. */
  serverVersion?: string;
  maxBodyBytes?: number;
  bookmarkIntervalMs?: number;
  /** Serves sessions/{name}/timeline and /verify when given. */
  journal?: Journal;
  /** Serves artifacts/{name}/content when given. */
  artifacts?: ArtifactBodies;
  /** Receives one line per unexpected (500) failure. */
  log?: (line: string) => void;
  /** Who may do what: the Cedar policies, the identity tokens and the owner's name. */
  authorization: { authorizer: CedarAuthorizer; tokens: TokenStore; owner: string };
  /** The checks /livez, /readyz and /healthz run (default: `ping` and `shutdown` only). */
  health?: HealthChecks;
  /** The registry /metrics serves (default: a new one for this server). */
  metrics?: ServerMetrics;
  /**
   * APIs outside the Kubernetes routes that authenticate on their own (the node API under
   * /api/runtime/v1: parts of it are anonymous), consulted before authentication.
   */
  prefixHandlers?: PrefixHandler[];
}

/** A handler for every path it matches, answering (and authenticating) requests by itself. */
export interface PrefixHandler {
  matches(pathname: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** The API server's request handling, shared by every listener. */
export class ApiServer {
  readonly watches = new WatchRegistry();
  /** The health checks; the composition root adds its own (store, informers, …). */
  readonly health: HealthChecks;
  /** The metrics; the composition root hands its sinks to the store and controllers. */
  readonly metrics: ServerMetrics;
  private readonly discovery: DiscoveryDocuments;
  private readonly openapi: OpenApiDocs;
  private readonly resources: ResourceHandler;
  private readonly sessionSubresources?: SessionSubresources;
  private readonly channelMessages?: ChannelMessages;
  private readonly authz: RequestAuthorizer;
  private readonly tokens: TokensApi;
  private readonly reviews: AccessReviews;
  private readonly rulesReviews: RulesReviews;
  private readonly maxBodyBytes: number;
  private readonly log: (line: string) => void;
  private readonly prefixHandlers: PrefixHandler[];
  private stopping = false;

  constructor(opts: ApiServerOptions) {
    this.discovery = buildDiscovery(opts.scheme, opts.serverVersion ?? '0.1.0');
    this.openapi = new OpenApiDocs(opts.scheme);
    this.log = opts.log ?? (() => {});
    this.health = opts.health ?? new HealthChecks({ log: this.log });
    this.metrics = opts.metrics ?? new ServerMetrics();
    this.maxBodyBytes = opts.maxBodyBytes ?? MAX_BODY_BYTES;
    this.prefixHandlers = opts.prefixHandlers ?? [];
    const { authorizer, tokens, owner } = opts.authorization;
    this.authz = new RequestAuthorizer({ authorizer, tokens, owner, store: opts.service.store });
    this.tokens = new TokensApi({ tokens, owner });
    this.reviews = new AccessReviews(this.authz);
    this.rulesReviews = new RulesReviews(this.authz, this.discovery);
    this.resources = new ResourceHandler({
      service: opts.service,
      watches: this.watches,
      maxBodyBytes: this.maxBodyBytes,
      bookmarkIntervalMs: opts.bookmarkIntervalMs,
    });
    if (opts.journal) {
      this.sessionSubresources = new SessionSubresources({ service: opts.service, journal: opts.journal, ...(opts.artifacts ? { artifacts: opts.artifacts } : {}), watches: this.watches });
    }
    if (opts.journal) this.channelMessages = new ChannelMessages({ store: opts.service.store, journal: opts.journal, watches: this.watches });
  }

  /** A request listener for one listener, authenticating with `auth` first. */
  listener(auth: Authenticator): RequestListener {
    return (req, res) => {
      const url = splitTarget(req.url);
      this.count(req, res, url);
      // Probes are anonymous (as kube-apiserver allows), and answered even while shutting down.
      const health = healthPath(url.pathname);
      if (health) {
        req.resume();
        this.health.serve(req, res, health, url.searchParams).catch((err: unknown) => this.fail(res, err));
        return;
      }
      const prefixed = this.prefixHandlers.find((h) => h.matches(url.pathname));
      if (prefixed) {
        prefixed.handle(req, res).catch((err: unknown) => this.fail(res, err));
        return;
      }
      let principal: ReturnType<Authenticator['authenticate']>;
      try {
        principal = auth.authenticate(req);
      } catch (err) {
        this.fail(res, err);
        return;
      }
      if (principal instanceof Promise) {
        principal.then((p) => this.authorized(p, req, res), (err: unknown) => this.fail(res, err));
      } else {
        this.authorized(principal, req, res);
      }
    };
  }

  /** Fails /readyz from now on, so load balancers stop routing here, while requests are still served. */
  drain(): void {
    this.health.shuttingDown();
  }

  /** Ends every open watch (the first step of stopping). */
  stop(): void {
    this.stopping = true;
    this.watches.abortAll();
  }

  private authorized(principal: Principal | undefined, req: IncomingMessage, res: ServerResponse): void {
    if (!principal) {
      // Drain the body so the 401 reaches the client instead of a reset.
      req.resume();
      this.fail(res, unauthorized());
      return;
    }
    this.dispatch(principal, req, res).catch((err: unknown) => this.fail(res, err));
  }

  /** Counts and times a request in the metrics, labelled by what it asks for. */
  private count(req: IncomingMessage, res: ServerResponse, url: { pathname: string; searchParams: URLSearchParams }): void {
    let route: ReturnType<typeof parseRoute>;
    try {
      route = parseRoute(url.pathname);
    } catch {
      route = undefined;
    }
    const served = (group: string, plural: string): boolean => this.authz.authorizer.model.resourceType(group, plural) !== undefined;
    this.metrics.track(requestLabels(req.method, route, url.searchParams, req.headers['content-type'], served), res);
  }

  private fail(res: ServerResponse, err: unknown): void {
    if (err instanceof ClientGoneError) {
      // Nobody to answer, and nothing was done with a body that never arrived whole.
      res.destroy();
      return;
    }
    try {
      const apiErr = writeError(res, err);
      if (apiErr.code >= 500) this.log(`api: ${apiErr.message}${err instanceof Error && err.stack ? `\n${err.stack}` : ''}`);
    } catch (writeErr) {
      this.log(`api: could not write an error response: ${String(writeErr)}`);
      res.destroy();
    }
  }

  private async dispatch(principal: Principal, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.stopping) throw new ApiError(StatusReason.ServiceUnavailable, 'the server is shutting down');
    const url = splitTarget(req.url);
    let route: ReturnType<typeof parseRoute>;
    try {
      route = parseRoute(url.pathname);
    } catch {
      throw new ApiError(StatusReason.BadRequest, `malformed path ${JSON.stringify(url.pathname)}`);
    }
    if (!route) throw new ApiError(StatusReason.NotFound, 'the server could not find the requested resource');
    if (route.type === 'resource') {
      const q = parseQuery(url.searchParams);
      const attrs = this.resourceAttributes(route, req, q);
      // Writes are read before they are authorized: a create's owner follows from its body.
      const body = hasBody(req.method) ? await readBody(req, this.maxBodyBytes) : undefined;
      await this.authz.check(this.acting(principal, req), attrs, req, body ? { raw: body, contentType: req.headers['content-type'] } : undefined);
      if (this.sessionSubresources && isSessionSubresource(route)) return this.sessionSubresources.handle(route, req, res, q);
      if (this.channelMessages && isChannelMessages(route)) return this.channelMessages.handle(route, req, res, q, principal.name, body);
      return this.resources.handle(route, req, res, q, principal.name, body);
    }
    if (route.type === 'auth') return this.auth(principal, route, req, res, parseQuery(url.searchParams));
    // Discovery, OpenAPI, version and metrics: open to every authenticated identity.
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new ApiError(StatusReason.MethodNotAllowed, `the server does not allow this method on the requested resource (${req.method ?? ''})`);
    }
    if (route.type === 'openapi') return this.openapi.serveV3(route.path, req, res, url.searchParams.get('hash'));
    // Any authenticated identity may read the metrics, as kube-apiserver's system:monitoring role does.
    if (route.doc === 'metrics') return this.metrics.serve(req, res);
    this.document(route, req, res);
  }

  /** The identity a request acts as: the authenticated one (impersonation is for access reviews only). */
  private acting(principal: Principal, req: IncomingMessage): Identity {
    if (req.headers['impersonate-user'] !== undefined) {
      throw new ApiError(StatusReason.Forbidden, `impersonation is only honoured for selfsubjectaccessreviews (auth can-i --as): a request is always made by the identity that authenticated`);
    }
    return { name: principal.name, role: principal.role };
  }

  /** What a resource request asks to do; 404 for a resource the server does not have. */
  private resourceAttributes(route: ResourceRoute, req: IncomingMessage, q: RequestQuery): RequestAttributes {
    const served = route.core || this.discovery.groupVersions.has(`${route.group}/${route.version}`);
    const resource = served ? this.authz.authorizer.model.resourceType(route.group, route.plural) : undefined;
    if (!resource) throw new ApiError(StatusReason.NotFound, 'the server could not find the requested resource', { kind: route.plural });
    return {
      verb: verbOf(req.method, route.name !== undefined, q.watch),
      resource,
      namespace: resource.namespaced ? (route.namespace ?? '') : '',
      name: route.name ?? '',
      subresource: route.subresource ?? '',
    };
  }

  /** Identity tokens and access reviews. */
  private async auth(principal: Principal, route: AuthRoute, req: IncomingMessage, res: ServerResponse, q: RequestQuery): Promise<void> {
    const resource = this.authz.authorizer.model.resourceType(route.group, route.plural);
    if (!resource) throw new ApiError(StatusReason.NotFound, 'the server could not find the requested resource', { kind: route.plural });
    const body = hasBody(req.method) ? await readBody(req, this.maxBodyBytes) : undefined;
    if (route.group === AUTHORIZATION_GROUP) {
      if (route.name !== undefined) throw new ApiError(StatusReason.NotFound, 'the server could not find the requested resource');
      if (req.method !== 'POST') throw new ApiError(StatusReason.MethodNotAllowed, `the server does not allow this method on the requested resource (${req.method ?? ''})`);
      const user = impersonated(this.authz, principal, req);
      await this.authz.check(user, { verb: Verb.Create, resource, namespace: '', name: '', subresource: '' }, req);
      if (route.plural === 'selfsubjectrulesreviews') return writeJson(res, 201, this.rulesReviews.review(user, body, req.headers['content-type']));
      return writeJson(res, 201, await this.reviews.review(user, body, req.headers['content-type']));
    }
    const attrs: RequestAttributes = { verb: verbOf(req.method, route.name !== undefined, q.watch), resource, namespace: '', name: route.name ?? '', subresource: '' };
    await this.authz.check(this.acting(principal, req), attrs, req);
    return this.tokens.handle(route, req, res, q, body);
  }

  private document(route: DocumentRoute, req: IncomingMessage, res: ServerResponse): void {
    const d = this.discovery;
    switch (route.doc) {
      case 'version':
        return raw(res, d.version);
      case 'api':
        return raw(res, d.api);
      case 'api/v1':
        return raw(res, d.apiV1);
      case 'apis':
        return raw(res, d.apis);
      case 'apis/group':
        return raw(res, found(d.groups.get(route.group ?? '')));
      case 'apis/groupversion':
        return raw(res, found(d.groupVersions.get(`${route.group}/${route.version}`)));
      case 'openapi/v2':
        return this.openapi.serveV2(req, res);
      case 'openapi/v3':
        return this.openapi.serveIndex(req, res);
      case 'auth/group':
        return raw(res, d.authGroup);
      case 'auth/groupversion':
        return raw(res, d.authGroupVersion);
      case 'authorization/group':
        return raw(res, d.authorizationGroup);
      case 'authorization/groupversion':
        return raw(res, d.authorizationGroupVersion);
    }
  }
}

/** Methods whose body is read before authorization (DELETE's DeleteOptions is read by its handler). */
function hasBody(method: string | undefined): boolean {
  return method === 'POST' || method === 'PUT' || method === 'PATCH';
}

/**
 * Splits a request target into its path and query without resolving it as a URL: `//x` is a path
 * here, not a scheme-relative URL to host `x`, and no path is normalized before it is routed. An
 * absolute-form target (`http://host/api`, what proxies send) is routed by its path, as Go's
 * net/http does.
 */
function splitTarget(target: string | undefined): { pathname: string; searchParams: URLSearchParams } {
  const t = (target ?? '/').replace(/^https?:\/\/[^/?#]*/i, '') || '/';
  const at = t.indexOf('?');
  return at < 0 ? { pathname: t, searchParams: new URLSearchParams() } : { pathname: t.slice(0, at), searchParams: new URLSearchParams(t.slice(at + 1)) };
}

/** A discovery document the scheme serves, or 404 for a group (version) it does not. */
function found(doc: string | undefined): string {
  if (doc === undefined) throw new ApiError(StatusReason.NotFound, 'the server could not find the requested resource');
  return doc;
}

function raw(res: ServerResponse, body: string): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
