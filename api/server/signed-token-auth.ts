/**
 * Authentication by signed tokens (the control plane): `Authorization: Bearer <JWT>` is verified
 * with the signing key every replica loads, so any replica accepts a token issued anywhere.
 *
 * WARNING: a signed token is valid until it expires; there is no revocation yet. Runtime nodes
 * need it (a lost laptop): the next step is a list of revoked `jti`s in the store, read by every
 * replica (docs/decisions/0027-signed-tokens.md).
 */
import type { IncomingMessage } from 'node:http';
import type { SignedTokens } from '../auth/signed-tokens.js';
import type { Authenticator, Principal } from './auth.js';

/** The token of an `Authorization: Bearer <token>` header, if the request has one. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header || !header.startsWith('Bearer ')) return undefined;
  const token = header.slice('Bearer '.length).trim();
  return token === '' ? undefined : token;
}

/** Accepts the bearer tokens `tokens` verifies; every other request is unauthenticated. */
export class SignedTokenAuthenticator implements Authenticator {
  constructor(private readonly tokens: SignedTokens) {}

  async authenticate(req: IncomingMessage): Promise<Principal | undefined> {
    const token = bearerToken(req);
    return token === undefined ? undefined : this.tokens.verify(token);
  }
}
