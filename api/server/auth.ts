/**
 * Authentication of API requests. Every listener requires `Authorization: Bearer <token>`: the
 * owner's token (compared in constant time) or a token the owner issued to another identity (the
 * TokenStore). On the Unix socket, the CLI sends the owner's token from SIDEKICK_HOME, or
 * `SIDEKICK_TOKEN` to act as another identity locally. The control plane adds signed tokens behind
 * the same {@link Authenticator} interface.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ApiError, StatusReason } from '../errors.js';
import { Role } from '../auth/roles.js';
import type { TokenStore } from '../auth/token-store.js';

/** Who made a request. */
export interface Principal {
  name: string;
  /** How the principal was established. */
  method: 'socket' | 'token';
  /** The identity's role; undefined only for anonymous health probes. */
  role?: Role;
}

/** Decides who a request is from; undefined means unauthenticated (401). */
export interface Authenticator {
  authenticate(req: IncomingMessage): Principal | undefined | Promise<Principal | undefined>;
}

/**
 * The Unix socket: a caller must prove who it is with a token, like on TCP. The socket's file mode
 * keeps other users out, but not the daemon user's own processes — and an agent's commands are
 * such processes. The owner's token file is 0600 under SIDEKICK_HOME, which no sandbox shows, so
 * reading it is the proof of being the daemon's user outside a sandbox (the CLI does it for you).
 * Node offers no SO_PEERCRED, and peer credentials could not tell an agent from its user anyway:
 * both run as the same uid (docs/decisions/0013).
 */
export class SocketPeerAuthenticator implements Authenticator {
  constructor(private readonly tokens: Authenticator) {}

  authenticate(req: IncomingMessage): Principal | undefined | Promise<Principal | undefined> {
    return this.tokens.authenticate(req);
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** A single shared bearer token (the daemon's `token` file). */
export class BearerTokenAuthenticator implements Authenticator {
  private readonly expected: Buffer;

  constructor(token: string, private readonly name: string = 'local-user') {
    this.expected = digest(token);
  }

  authenticate(req: IncomingMessage): Principal | undefined {
    const header = req.headers.authorization;
    if (!header || !header.startsWith('Bearer ')) return undefined;
    // Comparing fixed-length digests keeps the time independent of where (or whether) they differ.
    return timingSafeEqual(digest(header.slice('Bearer '.length).trim()), this.expected) ? { name: this.name, method: 'token', role: Role.Owner } : undefined;
  }
}

/** The owner's token (the daemon's `token` file) or an identity token from the store. */
export class TokenAuthenticator implements Authenticator {
  private readonly owner: BearerTokenAuthenticator;

  constructor(ownerToken: string, ownerName: string, private readonly store: TokenStore) {
    this.owner = new BearerTokenAuthenticator(ownerToken, ownerName);
  }

  authenticate(req: IncomingMessage): Principal | undefined {
    const owner = this.owner.authenticate(req);
    if (owner) return owner;
    const header = req.headers.authorization;
    if (!header || !header.startsWith('Bearer ')) return undefined;
    // A map lookup by digest: timing reveals nothing about a token, only about its hash.
    const record = this.store.lookup(header.slice('Bearer '.length).trim());
    return record ? { name: record.name, method: 'token', role: record.role } : undefined;
  }
}

/** The 401 every unauthenticated request gets. */
export function unauthorized(): ApiError {
  return new ApiError(StatusReason.Unauthorized, 'Unauthorized');
}
