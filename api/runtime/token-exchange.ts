/**
 * `POST /api/runtime/v1/token {assertion}`: a node proves it holds its private key with a short
 * JWT it signed (EdDSA; iss = sub = its name, aud = the control plane's fingerprint, exp ≤ 5 min,
 * jti), and gets a 15-minute access token (sub `system:node:<name>`, role Node) signed with the
 * control plane's key. Nothing long-lived ever travels: the private key never leaves the node.
 */
import { decodeJwt, importJWK, jwtVerify } from 'jose';
import { Role } from '../auth/roles.js';
import type { SignedTokens } from '../auth/signed-tokens.js';
import { ApiError, StatusReason } from '../errors.js';
import { nodeRefused } from './node-auth.js';
import type { NodeRegistry } from './node-registry.js';
import { nodePrincipal } from './protocol.js';

/** How long an access token lives. */
export const ACCESS_TOKEN_TTL_MS = 15 * 60_000;
/** The longest an assertion may be valid. */
export const MAX_ASSERTION_LIFETIME_S = 300;
const CLOCK_TOLERANCE_S = 60;

/** An access token and when it expires. */
export interface AccessToken {
  token: string;
  /** RFC 3339. */
  expiresAt: string;
}

function refused(detail: string): ApiError {
  return new ApiError(StatusReason.Unauthorized, `token exchange refused: ${detail}`);
}

/** Checks node assertions and issues access tokens. */
export class TokenExchange {
  /** jtis seen while their assertion is valid: an assertion is good for one exchange (per replica). */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly d: { tokens: SignedTokens; registry: NodeRegistry; fingerprint: string; now: () => Date },
  ) {}

  /** The access token for a node that registered just now. */
  async issue(node: string): Promise<AccessToken> {
    const now = this.d.now();
    const token = await this.d.tokens.issue(nodePrincipal(node), Role.Node, { ttlMs: ACCESS_TOKEN_TTL_MS, now });
    return { token, expiresAt: new Date(Math.floor(now.getTime() / 1000) * 1000 + ACCESS_TOKEN_TTL_MS).toISOString() };
  }

  /** Exchanges an assertion for an access token; 401 for anything not a fresh assertion of a registered, unrevoked node. */
  async exchange(assertion: unknown): Promise<AccessToken> {
    if (typeof assertion !== 'string' || assertion.length > 4096) throw new ApiError(StatusReason.BadRequest, 'assertion: expected a JWT signed with the node key');
    let node: string;
    try {
      const iss = decodeJwt(assertion).iss;
      if (typeof iss !== 'string') throw new Error('no iss');
      node = iss;
    } catch {
      throw refused('the assertion is not a JWT naming its node in iss');
    }
    const credential = await this.d.registry.credentialOf(node);
    if (!credential || credential.revoked) throw nodeRefused(node, credential?.revoked);
    const now = this.d.now();
    let payload;
    try {
      const key = await importJWK({ ...credential.publicKey, alg: 'EdDSA' } as Parameters<typeof importJWK>[0], 'EdDSA');
      ({ payload } = await jwtVerify(assertion, key, {
        algorithms: ['EdDSA'],
        issuer: node,
        subject: node,
        audience: this.d.fingerprint,
        requiredClaims: ['iat', 'exp', 'jti'],
        clockTolerance: CLOCK_TOLERANCE_S,
        currentDate: now,
      }));
    } catch (err) {
      throw refused(`the assertion does not verify with node "${node}"'s key: ${(err as Error).message}`);
    }
    const nowS = now.getTime() / 1000;
    if (payload.exp! - payload.iat! > MAX_ASSERTION_LIFETIME_S || payload.exp! - nowS > MAX_ASSERTION_LIFETIME_S + CLOCK_TOLERANCE_S) {
      throw refused(`the assertion must expire within ${MAX_ASSERTION_LIFETIME_S}s`);
    }
    this.remember(`${node}/${payload.jti}`, payload.exp!, nowS);
    return this.issue(node);
  }

  private remember(jti: string, exp: number, nowS: number): void {
    for (const [k, until] of this.seen) if (until + CLOCK_TOLERANCE_S < nowS) this.seen.delete(k);
    if (this.seen.has(jti)) throw refused('the assertion was already used (jti)');
    this.seen.set(jti, exp);
  }
}
