/**
 * Authentication of API requests. The Unix socket trusts its peer (the socket file is 0600 in a
 * 0700 directory: the filesystem is the check); TCP listeners require `Authorization: Bearer
 * <token>` compared in constant time. The control plane adds signed tokens behind the same
 * {@link Authenticator} interface.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { ApiError, StatusReason } from '../errors.js';

/** Who made a request. */
export interface Principal {
  name: string;
  /** How the principal was established. */
  method: 'socket' | 'token';
}

/** Decides who a request is from; undefined means unauthenticated (401). */
export interface Authenticator {
  authenticate(req: IncomingMessage): Principal | undefined | Promise<Principal | undefined>;
}

/** The local user on the Unix socket: the file mode already restricted who can connect. */
export class SocketPeerAuthenticator implements Authenticator {
  constructor(private readonly name: string = 'local-user') {}

  authenticate(): Principal {
    return { name: this.name, method: 'socket' };
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
    return timingSafeEqual(digest(header.slice('Bearer '.length).trim()), this.expected) ? { name: this.name, method: 'token' } : undefined;
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

/**
 * Writes a file so readers see the old content or the new, never a torn one (temp file + rename),
 * with the given mode from the start.
 */
export async function writeFileAtomic(path: string, content: string, mode = 0o600): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, content, { mode, flag: 'wx' });
  await chmod(tmp, mode);
  await rename(tmp, path);
}

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
