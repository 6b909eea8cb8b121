/**
 * Identity tokens the owner issues (`sidekick token create --as bob --role Viewer`), kept in
 * `$SIDEKICK_HOME/tokens.json` (mode 0600, written atomically) as SHA-256 digests only: the token
 * itself is shown once, at creation, and cannot be read back. One token per identity name.
 *
 * File format: { "tokens": { "<sha256 hex of the token>": { "name", "role", "createdAt" } } }
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../atomic-file.js';
import { generateToken } from './tokens.js';
import { invalidIdentityName, parseRole, type Role } from './roles.js';
import { metaTime } from '../../resources/time.js';

/** What is stored about an identity. */
export interface IdentityRecord {
  name: string;
  role: Role;
  /** RFC 3339. */
  createdAt: string;
}

/** A token store file that cannot be read as one (the daemon refuses to start: fail closed). */
export class TokenStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenStoreError';
  }
}

/** The hex SHA-256 digest a token is stored and looked up by. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function parseFile(path: string, text: string): Map<string, IdentityRecord> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new TokenStoreError(`${path}: not JSON: ${(err as Error).message}`);
  }
  const tokens = (doc as { tokens?: unknown } | null)?.tokens;
  if (typeof tokens !== 'object' || tokens === null || Array.isArray(tokens)) throw new TokenStoreError(`${path}: expected {"tokens": {...}}`);
  const out = new Map<string, IdentityRecord>();
  for (const [digest, value] of Object.entries(tokens)) {
    const v = value as Partial<Record<keyof IdentityRecord, unknown>>;
    const role = typeof v.role === 'string' ? parseRole(v.role) : undefined;
    if (!/^[0-9a-f]{64}$/.test(digest) || typeof v.name !== 'string' || !role || typeof v.createdAt !== 'string') {
      throw new TokenStoreError(`${path}: entry ${JSON.stringify(digest)} is not {name, role, createdAt} under a SHA-256 hex digest`);
    }
    out.set(digest, { name: v.name, role, createdAt: v.createdAt });
  }
  return out;
}

/** The daemon's identity tokens: looked up on every request, changed through the API. */
export class TokenStore {
  /** Serializes writes so two concurrent creates cannot lose one another. */
  private writing: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly path: string,
    private readonly byDigest: Map<string, IdentityRecord>,
  ) {}

  /** Opens the store at `path` (missing: empty). A malformed file throws TokenStoreError. */
  static async open(path: string): Promise<TokenStore> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new TokenStore(path, new Map());
      throw err;
    }
    return new TokenStore(path, parseFile(path, text));
  }

  /** The identity a bearer token belongs to, if any. */
  lookup(token: string): IdentityRecord | undefined {
    return this.byDigest.get(tokenDigest(token));
  }

  /** The identity with this name, if one was issued. */
  byName(name: string): IdentityRecord | undefined {
    for (const r of this.byDigest.values()) if (r.name === name) return r;
    return undefined;
  }

  /** Every identity, by name. */
  list(): IdentityRecord[] {
    return [...this.byDigest.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * Issues a token for a new identity and persists its digest; returns the token (the only time
   * it exists outside the caller). Throws when the name is taken or invalid.
   */
  create(name: string, role: Role, now = new Date()): Promise<{ token: string; record: IdentityRecord }> {
    return this.serialized(async () => {
      const why = invalidIdentityName(name);
      if (why) throw new TokenStoreError(`invalid identity name "${name}": ${why}`);
      if (this.byName(name)) throw new TokenStoreError(`identity "${name}" already has a token`);
      const token = generateToken();
      const record: IdentityRecord = { name, role, createdAt: metaTime(now) };
      const next = new Map(this.byDigest).set(tokenDigest(token), record);
      await this.persist(next);
      this.byDigest.set(tokenDigest(token), record);
      return { token, record };
    });
  }

  /** Revokes the identity's token; resolves with what was removed, or undefined when none. */
  revoke(name: string): Promise<IdentityRecord | undefined> {
    return this.serialized(async () => {
      const entry = [...this.byDigest.entries()].find(([, r]) => r.name === name);
      if (!entry) return undefined;
      const next = new Map(this.byDigest);
      next.delete(entry[0]);
      await this.persist(next);
      this.byDigest.delete(entry[0]);
      return entry[1];
    });
  }

  private persist(tokens: Map<string, IdentityRecord>): Promise<void> {
    return writeFileAtomic(this.path, `${JSON.stringify({ tokens: Object.fromEntries(tokens) }, null, 2)}\n`, 0o600);
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writing.then(fn, fn);
    this.writing = run.catch(() => undefined);
    return run;
  }
}
