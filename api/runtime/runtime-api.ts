/**
 * The node API, `/api/runtime/v1/...`, mounted into the control plane's API server before the
 * Kubernetes routes. It authenticates on its own because some of it is anonymous (info) or uses
 * other credentials (a registration token, a signed assertion):
 *
 *   GET    /info                       anonymous: RuntimeInfo (identity, protocol, NATS)
 *   POST   /register                   Bearer <registration token>: register → node, owner, identity, token
 *   POST   /token                      {assertion} → {token, expiresAt}
 *   POST   /tokens {node?, ttl?}       Owner: a registration token (shown once)
 *   GET    /tokens                     Owner: the usable ones
 *   DELETE /tokens/<id>                Owner
 *   GET    /nodes                      Owner: registered nodes' credentials (never keys' private halves: there are none here)
 *   DELETE /nodes/<name>/credential    Owner: revoke; the node's next call is refused
 *   ... and the routes other features add (RuntimeRoute).
 *
 * Every answer carries `Sidekick-Protocol: <current>`; a request whose `Sidekick-Protocol` this
 * control plane does not speak gets 426 naming both versions.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseHumanDuration } from '../human-duration.js';
import { Role } from '../auth/roles.js';
import type { SignedTokens } from '../auth/signed-tokens.js';
import type { SigningKey } from '../auth/signing-key.js';
import { ApiError, StatusReason } from '../errors.js';
import type { Principal } from '../server/auth.js';
import { decodeJson, readBody } from '../server/body.js';
import { successStatus, writeError, writeJson } from '../server/respond.js';
import type { Store } from '../store/store.js';
import { refuseNodeProtocol, runtimeInfo } from './identity.js';
import type { NodeAuthenticator } from './node-auth.js';
import { NodeRegistry } from './node-registry.js';
import { HEADER_PROTOCOL, RUNTIME_API_PREFIX, RUNTIME_PROTOCOL, nodeOfPrincipal, type RuntimeInfo } from './protocol.js';
import { parseRegistration, registerNode, writeNodeStatus } from './registration.js';
import { RegistrationTokenError, RegistrationTokens, type RegistrationTokenRecord } from './registration-tokens.js';
import type { AuthenticatedNode, RuntimeRoute } from './routes.js';
import { TokenExchange } from './token-exchange.js';

export interface RuntimeApiOptions {
  /** The raw store (identity tables, RuntimeNode status). */
  store: Store;
  /** The admitted store (the RuntimeNode object: defaults and validation). */
  objects: Store;
  key: SigningKey;
  tokens: SignedTokens;
  /** Authenticates users and nodes (with the revocation check). */
  auth: NodeAuthenticator;
  serverVersion: string;
  /** NATS servers nodes publish to. */
  nats: string[];
  /** Routes other features add (the model proxy). */
  routes?: RuntimeRoute[];
  now?: () => Date;
  log?: (line: string) => void;
}

const MAX_BODY = 256 * 1024;

/** The node API's request handling. */
export class RuntimeApi {
  readonly prefix = RUNTIME_API_PREFIX;
  readonly registry: NodeRegistry;
  readonly registrationTokens: RegistrationTokens;
  readonly info: RuntimeInfo;
  private readonly exchange: TokenExchange;
  private readonly now: () => Date;
  private readonly routes: RuntimeRoute[];

  constructor(private readonly o: RuntimeApiOptions) {
    this.now = o.now ?? (() => new Date());
    this.info = runtimeInfo(o.key, o.serverVersion, o.nats);
    this.registry = new NodeRegistry(o.store);
    this.registrationTokens = new RegistrationTokens(o.store, this.info.identity.fingerprint);
    this.exchange = new TokenExchange({ tokens: o.tokens, registry: this.registry, fingerprint: this.info.identity.fingerprint, now: this.now });
    this.routes = [...this.builtIn(), ...(o.routes ?? [])];
  }

  /** True for paths this API serves. */
  matches(pathname: string): boolean {
    return pathname === this.prefix || pathname.startsWith(`${this.prefix}/`);
  }

  /** Answers one request under the prefix; never throws. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader(HEADER_PROTOCOL, String(RUNTIME_PROTOCOL.current));
    try {
      await this.dispatch(req, res);
    } catch (err) {
      req.resume();
      const apiErr = writeError(res, err);
      if (apiErr.code >= 500) this.o.log?.(`runtime api: ${apiErr.message}`);
    }
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const sent = req.headers[HEADER_PROTOCOL.toLowerCase()];
    if (typeof sent === 'string') {
      const why = refuseNodeProtocol(Number(sent));
      if (why) throw new ApiError(StatusReason.BadRequest, why, undefined, 426);
    }
    const path = (req.url ?? '/').split('?')[0].slice(this.prefix.length) || '/';
    for (const route of this.routes) {
      const match = route.path.exec(path);
      if (!match) continue;
      if (route.method !== req.method) continue;
      const node = route.auth === 'node' ? await this.node(req) : undefined;
      return route.handle(req, res, { match, ...(node ? { node } : {}) });
    }
    if (this.routes.some((r) => r.path.test(path))) throw new ApiError(StatusReason.MethodNotAllowed, `${req.method ?? ''} is not allowed on ${this.prefix}${path}`);
    throw new ApiError(StatusReason.NotFound, `${this.prefix}${path}: no such node API endpoint`);
  }

  /** The node a request's access token proves (401 otherwise, and for a revoked node). */
  private async node(req: IncomingMessage): Promise<AuthenticatedNode> {
    const principal = await this.o.auth.authenticate(req);
    const name = principal ? nodeOfPrincipal(principal.name) : undefined;
    if (!principal || name === undefined || principal.role !== Role.Node) throw new ApiError(StatusReason.Unauthorized, 'a node access token is required');
    return this.o.auth.nodeOf(name);
  }

  /** An Owner's request, or 401/403. */
  private async owner(req: IncomingMessage): Promise<Principal> {
    const principal = await this.o.auth.authenticate(req);
    if (!principal) throw new ApiError(StatusReason.Unauthorized, 'Unauthorized');
    if (principal.role !== Role.Owner) throw new ApiError(StatusReason.Forbidden, `${principal.name} is not an Owner: only an Owner manages node registration`);
    return principal;
  }

  private async body(req: IncomingMessage): Promise<Record<string, unknown>> {
    const raw = await readBody(req, MAX_BODY);
    if (raw.length === 0) return {};
    const value = decodeJson(raw);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ApiError(StatusReason.BadRequest, 'expected a JSON object');
    return value as Record<string, unknown>;
  }

  private builtIn(): RuntimeRoute[] {
    const route = (method: RuntimeRoute['method'], path: RegExp, handle: RuntimeRoute['handle']): RuntimeRoute => ({ method, path, auth: 'anonymous', handle });
    return [
      route('GET', /^\/info$/, async (req, res) => {
        req.resume();
        writeJson(res, 200, this.info);
      }),
      route('POST', /^\/register$/, (req, res) => this.register(req, res)),
      route('POST', /^\/token$/, async (req, res) => writeJson(res, 200, await this.exchange.exchange((await this.body(req)).assertion))),
      route('POST', /^\/tokens$/, (req, res) => this.createToken(req, res)),
      route('GET', /^\/tokens$/, async (req, res) => {
        await this.owner(req);
        writeJson(res, 200, { items: await this.registrationTokens.list({ now: this.now() }) });
      }),
      route('DELETE', /^\/tokens\/([0-9a-f]{16})$/, async (req, res, { match }) => {
        await this.owner(req);
        const revoked = await this.registrationTokens.revoke({ id: match[1] }, this.now());
        if (!revoked.length) throw new ApiError(StatusReason.NotFound, `registration token ${match[1]} not found (or already used or revoked)`);
        writeJson(res, 200, successStatus({ name: match[1] }));
      }),
      route('GET', /^\/nodes$/, async (req, res) => {
        await this.owner(req);
        const items = (await this.registry.list()).map(({ publicKey: _key, ...c }) => c);
        writeJson(res, 200, { items });
      }),
      route('DELETE', /^\/nodes\/([^/]+)\/credential$/, (req, res, { match }) => this.revokeNode(req, res, decodeURIComponent(match[1]))),
    ];
  }

  private async createToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const principal = await this.owner(req);
    const body = await this.body(req);
    const node = body.node;
    if (node !== undefined && (typeof node !== 'string' || !/^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/.test(node))) {
      throw new ApiError(StatusReason.Invalid, 'node: must be a DNS-1123 subdomain (lower-case letters, digits, - and .)');
    }
    let ttlMs: number | undefined;
    if (body.ttl !== undefined) {
      ttlMs = typeof body.ttl === 'string' ? parseHumanDuration(body.ttl) : undefined;
      if (ttlMs === undefined) throw new ApiError(StatusReason.Invalid, `ttl: expected a duration such as 1h or 30m, got ${JSON.stringify(body.ttl)}`);
    }
    try {
      const { token, record } = await this.registrationTokens.create({ ...(node ? { node } : {}), creator: principal.name, ...(ttlMs !== undefined ? { ttlMs } : {}), now: this.now() } as { node: string; creator: string });
      writeJson(res, 201, { token, ...record } satisfies RegistrationTokenRecord & { token: string });
    } catch (err) {
      if (err instanceof RegistrationTokenError) throw new ApiError(StatusReason.Invalid, `ttl: ${err.message}`);
      throw err;
    }
  }

  private async register(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : '';
    if (!token) throw new ApiError(StatusReason.Unauthorized, 'registration refused: Authorization: Bearer <registration token> is required');
    const request = parseRegistration(await this.body(req));
    const why = refuseNodeProtocol(request.protocol);
    if (why) throw new ApiError(StatusReason.BadRequest, why, undefined, 426);
    const { owner } = await registerNode({ store: this.o.store, objects: this.o.objects, registrationTokens: this.registrationTokens, now: this.now }, token, request);
    this.o.log?.(`runtime api: node ${request.name} registered (owner ${owner})`);
    const access = await this.exchange.issue(request.name);
    writeJson(res, 201, { node: request.name, owner, identity: this.info.identity, ...access });
  }

  private async revokeNode(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    await this.owner(req);
    const now = this.now();
    const revoked = await this.registry.revoke(name, now);
    await this.registrationTokens.revoke({ node: name }, now);
    if (!revoked) throw new ApiError(StatusReason.NotFound, `node "${name}" has no credential to revoke (never registered, or already revoked)`);
    await writeNodeStatus(this.o.store, name, (s) => ({ ...s, phase: 'Revoked', state: 'Revoked', message: `revoked at ${now.toISOString()}` }));
    this.o.log?.(`runtime api: node ${name} revoked`);
    writeJson(res, 200, successStatus({ name, kind: 'runtimenodes' }));
  }
}
