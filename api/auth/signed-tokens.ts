/**
 * Signed API tokens: compact JWS JWTs that carry who the bearer is and their role, so every
 * control-plane replica verifies them with the signing key alone — no shared token file, no
 * database read per request. docs/decisions/0027-signed-tokens.md.
 *
 *   header  { alg: EdDSA | ES256 | RS256, typ: JWT, kid: <JWK thumbprint of the key> }
 *   payload { iss: sidekicks-controlplane, sub: <identity name>, sidekicks.dev/role: <Role>,
 *             iat, nbf, exp, jti, aud? }
 *
 * Tokens are plain JWTs, without the `skt_` prefix of the daemon's opaque tokens: a JWT starts
 * with `eyJ`, so it can never look like a flag, and secret scanners already know the shape.
 */
import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { Principal } from '../server/auth.js';
import { invalidPrincipalName, Role } from './roles.js';
import type { SigningKey } from './signing-key.js';

/** The `iss` of every token, and the only one accepted. */
export const TOKEN_ISSUER = 'sidekicks-controlplane';
/** The claim that carries the identity's role. */
export const ROLE_CLAIM = 'sidekicks.dev/role';

const HOUR_MS = 3_600_000;
/** How long a token lives unless told otherwise (the CLI's `--ttl` default). */
export const DEFAULT_TOKEN_TTL_MS = 720 * HOUR_MS;
/** The longest a token may live: until revocation exists, a leaked token is only stopped by time. */
export const MAX_TOKEN_TTL_MS = 8760 * HOUR_MS;
/** Clock skew allowed between the issuer and the verifying replica, as kube-apiserver's leeway. */
export const CLOCK_TOLERANCE_S = 60;
/** Longer "tokens" are refused before any parsing (a JWT of ours is well under 1 KiB). */
const MAX_TOKEN_CHARS = 8192;

/** Why a token was not accepted. */
export const Rejection = {
  Malformed: 'Malformed',
  AlgorithmNotAllowed: 'AlgorithmNotAllowed',
  UnknownKey: 'UnknownKey',
  BadSignature: 'BadSignature',
  Expired: 'Expired',
  InvalidClaims: 'InvalidClaims',
} as const;
export type Rejection = (typeof Rejection)[keyof typeof Rejection];

/** The outcome of checking a token: the principal, or why not. */
export type TokenCheck = { ok: true; principal: Principal; claims: JWTPayload } | { ok: false; rejection: Rejection; detail: string };

/** A token that cannot be issued as asked (bad name, role or ttl). */
export class TokenIssueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenIssueError';
  }
}

export interface IssueOptions {
  /** Lifetime in milliseconds (default {@link DEFAULT_TOKEN_TTL_MS}, at most {@link MAX_TOKEN_TTL_MS}). */
  ttlMs?: number;
  /** `aud`: limits the token to verifiers that expect this audience. */
  audience?: string;
  /** `jti` (default: a random UUID): what a revocation list will name. */
  jti?: string;
  /** The issue time (default: now). */
  now?: Date;
}

export interface SignedTokensOptions {
  /**
   * The audience this verifier accepts. Without one, tokens that name an audience are refused:
   * a token scoped to something else is not an API token.
   */
  audience?: string;
  /** The verifier's clock (tests). */
  now?: () => Date;
}

const ROLES = new Set<string>(Object.values(Role));

/** Issues and verifies tokens with one signing key. */
export class SignedTokens {
  constructor(
    private readonly key: SigningKey,
    private readonly opts: SignedTokensOptions = {},
  ) {}

  /** Signs a token for the identity `name` with `role`. */
  async issue(name: string, role: Role, opts: IssueOptions = {}): Promise<string> {
    if (!ROLES.has(role)) throw new TokenIssueError(`unknown role "${role}"`);
    const why = invalidPrincipalName(name, role);
    if (why) throw new TokenIssueError(`invalid identity name "${name}": ${why}`);
    const ttlMs = opts.ttlMs ?? DEFAULT_TOKEN_TTL_MS;
    if (!Number.isFinite(ttlMs) || ttlMs < 1000 || ttlMs > MAX_TOKEN_TTL_MS) {
      throw new TokenIssueError(`ttl must be between 1s and ${MAX_TOKEN_TTL_MS / HOUR_MS}h`);
    }
    const iat = Math.floor((opts.now ?? new Date()).getTime() / 1000);
    const jwt = new SignJWT({ [ROLE_CLAIM]: role })
      .setProtectedHeader({ alg: this.key.alg, typ: 'JWT', kid: this.key.kid })
      .setIssuer(TOKEN_ISSUER)
      .setSubject(name)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + Math.floor(ttlMs / 1000))
      .setJti(opts.jti ?? randomUUID());
    if (opts.audience !== undefined) jwt.setAudience(opts.audience);
    return jwt.sign(this.key.privateKey);
  }

  /** The principal a token proves, or undefined for any token that is not valid here and now. */
  async verify(token: string): Promise<Principal | undefined> {
    const check = await this.check(token);
    return check.ok ? check.principal : undefined;
  }

  /**
   * Checks a token: shape, `typ`, algorithm (only the key's own: no `none`, no HMAC keyed with
   * the public key), `kid`, signature, `iss`, `exp`/`nbf` (with {@link CLOCK_TOLERANCE_S}),
   * `aud`, and that `sub` is an identity name and the role claim a known role.
   */
  async check(token: string): Promise<TokenCheck> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_CHARS) return reject(Rejection.Malformed, 'not a token');
    const { key, opts } = this;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(
        token,
        (header) => {
          if (header.kid !== key.kid) throw new UnknownKeyError(header.kid);
          return key.publicKey;
        },
        {
          algorithms: [key.alg],
          typ: 'JWT',
          issuer: TOKEN_ISSUER,
          ...(opts.audience !== undefined ? { audience: opts.audience } : {}),
          clockTolerance: CLOCK_TOLERANCE_S,
          requiredClaims: ['sub', 'iat', 'exp', 'jti'],
          ...(opts.now ? { currentDate: opts.now() } : {}),
        },
      ));
    } catch (err) {
      return rejection(err);
    }
    if (opts.audience === undefined && payload.aud !== undefined) return reject(Rejection.InvalidClaims, `aud ${JSON.stringify(payload.aud)}: this verifier accepts no audience`);
    const name = payload.sub ?? '';
    const role = payload[ROLE_CLAIM];
    if (typeof role !== 'string' || !ROLES.has(role)) return reject(Rejection.InvalidClaims, `${ROLE_CLAIM} ${JSON.stringify(role)} is not a role`);
    if (invalidPrincipalName(name, role as Role)) return reject(Rejection.InvalidClaims, `sub ${JSON.stringify(name)} is not an identity name for role ${role}`);
    return { ok: true, principal: { name, method: 'token', role: role as Role }, claims: payload };
  }
}

/** A token signed with a key other than this verifier's. */
class UnknownKeyError extends Error {
  constructor(kid: string | undefined) {
    super(kid === undefined ? 'no kid' : `kid ${JSON.stringify(kid)} is not the signing key's`);
  }
}

function reject(rejection: Rejection, detail: string): TokenCheck {
  return { ok: false, rejection, detail };
}

/** What jose's failure means for the caller. */
function rejection(err: unknown): TokenCheck {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof UnknownKeyError) return reject(Rejection.UnknownKey, message);
  if (err instanceof errors.JWTExpired) return reject(Rejection.Expired, message);
  if (err instanceof errors.JWTClaimValidationFailed) return reject(Rejection.InvalidClaims, message);
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) return reject(Rejection.AlgorithmNotAllowed, message);
  if (err instanceof errors.JWSSignatureVerificationFailed) return reject(Rejection.BadSignature, message);
  if (err instanceof errors.JOSEError) return reject(Rejection.Malformed, message);
  // Anything else is ours or the runtime's, not the token's: let the server answer 500.
  throw err;
}
