/**
 * `/apis/auth.sidekicks.dev/v1alpha1/tokens`: the owner's interface to the identity tokens, in
 * the shape of a cluster-scoped resource so kubectl and the typed client need nothing special.
 *   POST   tokens          {kind: Token, metadata: {name: bob}, spec: {role: Viewer}} → 201, with
 *                          status.token: the only time the token is ever shown
 *   GET    tokens[/NAME]   → TokenList / Token (never the token: only its digest is kept)
 *   DELETE tokens/NAME     → revokes it at once
 * Who may call these is decided by the policies like any other request (Owner only, as shipped).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AUTH_GROUP, AUTH_VERSION } from '../auth/model.js';
import { invalidIdentityName, parseRole, roleNames } from '../auth/roles.js';
import { TokenStoreError, type IdentityRecord, type TokenStore } from '../auth/token-store.js';
import { ApiError, StatusReason, type StatusCause } from '../errors.js';
import { decodeBody } from './body.js';
import { successStatus, writeJson } from './respond.js';
import type { AuthRoute } from './routes.js';
import { TableLayout, tableVersionFor } from './table.js';
import type { RequestQuery } from './query.js';
import type { KubeObject } from '../../resources/meta.js';

export const TOKEN_API_VERSION = `${AUTH_GROUP}/${AUTH_VERSION}`;

const layout = new TableLayout({ printerColumns: [{ name: 'Role', type: 'string', jsonPath: '.spec.role' }, { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' }] });

/** A token as the API shows it; `token` only in the answer to its creation. */
export function tokenObject(r: IdentityRecord, token?: string): KubeObject {
  return {
    apiVersion: TOKEN_API_VERSION,
    kind: 'Token',
    metadata: { name: r.name, creationTimestamp: r.createdAt },
    spec: { role: r.role },
    ...(token ? { status: { token } } : {}),
  };
}

function tokenError(reason: StatusReason, name: string, message: string, causes?: StatusCause[]): ApiError {
  return new ApiError(reason, message, { name, group: AUTH_GROUP, kind: 'tokens', ...(causes ? { causes } : {}) });
}

function notFound(name: string): ApiError {
  return tokenError(StatusReason.NotFound, name, `tokens.${AUTH_GROUP} "${name}" not found`);
}

function invalid(name: string, field: string, message: string): ApiError {
  return tokenError(StatusReason.Invalid, name, `Token "${name}" is invalid: ${field}: ${message}`, [{ field, message, reason: 'FieldValueInvalid' }]);
}

export class TokensApi {
  constructor(private readonly d: { tokens: TokenStore; owner: string }) {}

  async handle(route: AuthRoute, req: IncomingMessage, res: ServerResponse, q: RequestQuery, body: Buffer | undefined): Promise<void> {
    if (route.plural !== 'tokens') throw new ApiError(StatusReason.NotFound, 'the server could not find the requested resource');
    const { tokens } = this.d;
    const name = route.name;
    switch (req.method) {
      case 'GET': {
        if (name === undefined) {
          const items = tokens.list().map((r) => tokenObject(r));
          return this.reply(req, res, q, items, { apiVersion: TOKEN_API_VERSION, kind: 'TokenList', metadata: {}, items });
        }
        const record = tokens.byName(name);
        if (!record) throw notFound(name);
        const obj = tokenObject(record);
        return this.reply(req, res, q, [obj], obj);
      }
      case 'POST':
        if (name !== undefined) break;
        return this.create(res, body, req.headers['content-type']);
      case 'DELETE': {
        if (name === undefined) break;
        const removed = await tokens.revoke(name);
        if (!removed) throw notFound(name);
        return writeJson(res, 200, successStatus({ name, group: AUTH_GROUP, kind: 'tokens' }));
      }
    }
    throw new ApiError(StatusReason.MethodNotAllowed, `the server does not allow this method on the requested resource (${req.method ?? ''})`);
  }

  private async create(res: ServerResponse, raw: Buffer | undefined, contentType: string | undefined): Promise<void> {
    const body = decodeBody(raw ?? Buffer.alloc(0), contentType) as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown }; spec?: { role?: unknown } } | null;
    if (body?.apiVersion !== TOKEN_API_VERSION || body?.kind !== 'Token') {
      throw new ApiError(StatusReason.BadRequest, `the body of the request must be a Token object of ${TOKEN_API_VERSION}`);
    }
    const name = typeof body.metadata?.name === 'string' ? body.metadata.name : '';
    const why = invalidIdentityName(name);
    if (why) throw invalid(name, 'metadata.name', why);
    if (name === this.d.owner) throw invalid(name, 'metadata.name', `"${name}" is the daemon owner, who needs no token`);
    const role = typeof body.spec?.role === 'string' ? parseRole(body.spec.role) : undefined;
    if (!role) throw invalid(name, 'spec.role', `must be one of ${roleNames()}`);
    if (this.d.tokens.byName(name)) throw tokenError(StatusReason.AlreadyExists, name, `tokens.${AUTH_GROUP} "${name}" already exists`);
    try {
      const { token, record } = await this.d.tokens.create(name, role);
      writeJson(res, 201, tokenObject(record, token));
    } catch (err) {
      // Created concurrently between the check above and the write.
      if (err instanceof TokenStoreError) throw tokenError(StatusReason.AlreadyExists, name, `tokens.${AUTH_GROUP} "${name}" already exists`);
      throw err;
    }
  }

  private reply(req: IncomingMessage, res: ServerResponse, q: RequestQuery, items: KubeObject[], plain: unknown): void {
    const tableVersion = tableVersionFor(req.headers.accept);
    if (!tableVersion) return writeJson(res, 200, plain);
    writeJson(res, 200, layout.table(items, { include: q.includeObject, apiVersion: tableVersion }));
  }
}
