/**
 * Authentication of API requests. The Unix socket trusts its peer as the daemon's owner (the
 * socket file is 0600 in a 0700 directory: the filesystem is the check); TCP listeners require
 * `Authorization: Bearer <token>`: the owner's token (compared in constant time) or a token the
 * owner issued to another identity (the TokenStore). A bearer token sent over the socket is
 * honoured too, so `SIDEKICK_TOKEN=… sidekick …` acts as that identity locally. The control plane
 * adds signed tokens behind the same {@link Authenticator} interface.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../atomic-file.js';
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
 * The local user on the Unix socket — the owner: the file mode already restricted who can connect.
 * A request that carries a bearer token is authenticated by `tokens` instead (and is 401 when the
 * token is unknown, never silently the owner).
 */
export class SocketPeerAuthenticator implements Authenticator {
  constructor(
    private readonly name: string = 'local-user',
    private readonly tokens?: Authenticator,
  ) {}

  authenticate(req: IncomingMessage): Principal | undefined | Promise<Principal | undefined> {
    if (this.tokens && req.headers.authorization !== undefined) return this.tokens.authenticate(req);
    return { name: this.name, method: 'socket', role: Role.Owner };
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

/** A fresh token: 32 random bytes, base64url. */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Credentials are written atomically and durably (see atomic-file.ts); re-exported for the callers here. */
export { writeFileAtomic };

/** Reads the daemon token, creating it (0600, atomically) on first start. */
export async function ensureToken(path: string): Promise<string> {
  try {
    const existing = (await readFile(path, 'utf8')).trim();
    if (existing.length > 0) {
      await chmod(path, 0o600);
      return existing;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = generateToken();
  await writeFileAtomic(path, `${token}\n`);
  return token;
}
