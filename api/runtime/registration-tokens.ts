/**
 * One-time registration tokens: what an Owner hands to a machine so it can register as a runtime
 * node. Shaped like k3s' join token (`K10<sha256 of CA>::…`), the token carries the control
 * plane's fingerprint, so the node checks it is talking to the right server BEFORE it sends the
 * secret:
 *
 *   SKN1<fingerprint: 64 hex>::<id: 16 hex>.<secret: base64url>
 *
 * Only the SHA-256 of `<id>.<secret>` is stored (sk_node_tokens, NODE_IDENTITY_MIGRATIONS); the
 * token is shown once. A token is for one node name, is used once, and expires (default 1 h).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { forDialect as q } from '../store/placeholders.js';
import type { ExtraReads, ExtraWrites, Store } from '../store/store.js';
import { readStore } from './node-registry.js';

/** The version prefix of registration tokens. */
export const REGISTRATION_TOKEN_PREFIX = 'SKN1';
/** A registration token's lifetime unless told otherwise. */
export const DEFAULT_REGISTRATION_TTL_MS = 3_600_000;
/** The longest a registration token may wait to be used. */
export const MAX_REGISTRATION_TTL_MS = 7 * 24 * 3_600_000;

const TOKEN = /^SKN1([0-9a-f]{64})::([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/;

/** The parts of a registration token. */
export interface ParsedRegistrationToken {
  /** The fingerprint of the control plane it was made by. */
  fingerprint: string;
  id: string;
  /** `<id>.<secret>`: what is hashed and sent. */
  credential: string;
}

/** The parts of `token`, or undefined when it is not a registration token. */
export function parseRegistrationToken(token: string): ParsedRegistrationToken | undefined {
  const m = TOKEN.exec(token.trim());
  return m ? { fingerprint: m[1], id: m[2], credential: `${m[2]}.${m[3]}` } : undefined;
}

/** A registration token as stored (never the token itself). */
export interface RegistrationTokenRecord {
  id: string;
  /** The node name it registers. */
  node: string;
  /** Who created it: the registered node's owner. */
  creator: string;
  created: string;
  expires: string;
  used?: string;
  revoked?: string;
}

/** Why a registration token was refused; the message is meant for the node's operator. */
export class RegistrationTokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistrationTokenError';
  }
}

function digest(credential: string): string {
  return createHash('sha256').update(credential).digest('hex');
}

function recordOf(row: Record<string, unknown>): RegistrationTokenRecord {
  return {
    id: String(row.id),
    node: String(row.node),
    creator: String(row.creator),
    created: String(row.created),
    expires: String(row.expires),
    ...(row.used ? { used: String(row.used) } : {}),
    ...(row.revoked ? { revoked: String(row.revoked) } : {}),
  };
}

/** Creates, lists, revokes and checks registration tokens. */
export class RegistrationTokens {
  constructor(
    private readonly store: Store,
    /** The control plane's fingerprint, written into every token. */
    private readonly fingerprint: string,
  ) {}

  /** Creates a token for `node`; returns the token (the only time it exists) and its record. */
  async create(opts: { node: string; creator: string; ttlMs?: number; now?: Date }): Promise<{ token: string; record: RegistrationTokenRecord }> {
    const ttlMs = opts.ttlMs ?? DEFAULT_REGISTRATION_TTL_MS;
    if (!Number.isFinite(ttlMs) || ttlMs < 1000 || ttlMs > MAX_REGISTRATION_TTL_MS) throw new RegistrationTokenError(`ttl must be between 1s and ${MAX_REGISTRATION_TTL_MS / 3_600_000}h`);
    const now = opts.now ?? new Date();
    const id = randomBytes(8).toString('hex');
    const credential = `${id}.${randomBytes(32).toString('base64url')}`;
    const record: RegistrationTokenRecord = { id, node: opts.node, creator: opts.creator, created: now.toISOString(), expires: new Date(now.getTime() + ttlMs).toISOString() };
    await this.store.transaction!((tx) =>
      tx.execute(q(tx, 'INSERT INTO sk_node_tokens (id, digest, node, creator, created, expires) VALUES (?, ?, ?, ?, ?, ?)'), [
        id,
        digest(credential),
        record.node,
        record.creator,
        record.created,
        record.expires,
      ]),
    );
    return { token: `${REGISTRATION_TOKEN_PREFIX}${this.fingerprint}::${credential}`, record };
  }

  /** Every token not yet used, revoked or expired, oldest first (with `all`, every token). */
  list(opts: { all?: boolean; now?: Date } = {}): Promise<RegistrationTokenRecord[]> {
    return readStore(this.store, async (r) => {
      const rows = (await r.execute('SELECT * FROM sk_node_tokens ORDER BY created, id')).map(recordOf);
      const now = (opts.now ?? new Date()).toISOString();
      return opts.all ? rows : rows.filter((t) => !t.used && !t.revoked && t.expires > now);
    });
  }

  /** Revokes the token `id`, or every unused token of node `node`; returns the ids revoked. */
  async revoke(by: { id: string } | { node: string }, now = new Date()): Promise<string[]> {
    const [column, value] = 'id' in by ? ['id', by.id] : ['node', by.node];
    const rows = await this.store.transaction!((tx) =>
      tx.execute(q(tx, `UPDATE sk_node_tokens SET revoked = ? WHERE ${column} = ? AND revoked IS NULL AND used IS NULL RETURNING id`), [now.toISOString(), value]),
    );
    return rows.map((r) => String(r.id));
  }

  /** The record of a usable token; throws RegistrationTokenError saying why it is not. */
  check(token: string, now = new Date()): Promise<RegistrationTokenRecord> {
    return readStore(this.store, (r) => usable(r, token, now));
  }

  /**
   * Marks the token used inside the write that registers the node, after checking again that it
   * is usable there: two registrations racing with one token cannot both succeed.
   */
  async claim(tx: ExtraWrites, token: string, now = new Date()): Promise<RegistrationTokenRecord> {
    const record = await usable(tx, token, now);
    const rows = await tx.execute(q(tx, 'UPDATE sk_node_tokens SET used = ? WHERE id = ? AND used IS NULL RETURNING id'), [now.toISOString(), record.id]);
    if (!rows.length) throw new RegistrationTokenError('the registration token was already used');
    return record;
  }
}

/** The record of `token` when it can register a node now; otherwise throws saying why. */
async function usable(r: ExtraReads, token: string, now: Date): Promise<RegistrationTokenRecord> {
  const parsed = parseRegistrationToken(token);
  if (!parsed) throw new RegistrationTokenError(`not a registration token (expected ${REGISTRATION_TOKEN_PREFIX}<fingerprint>::<id>.<secret>)`);
  const rows = await r.execute(q(r, 'SELECT * FROM sk_node_tokens WHERE id = ?'), [parsed.id]);
  const row = rows[0];
  // The same answer for an unknown id and a wrong secret: a caller learns nothing about ids.
  const known = row !== undefined && timingSafeEqual(Buffer.from(String(row.digest), 'hex'), Buffer.from(digest(parsed.credential), 'hex'));
  if (!known) throw new RegistrationTokenError('the registration token is not valid here (unknown or wrong)');
  const record = recordOf(row);
  if (record.revoked) throw new RegistrationTokenError(`the registration token was revoked at ${record.revoked}`);
  if (record.used) throw new RegistrationTokenError(`the registration token was already used (at ${record.used}); create a new one with: sidekick token create --node ${record.node}`);
  if (record.expires <= now.toISOString()) throw new RegistrationTokenError(`the registration token expired at ${record.expires}; create a new one with: sidekick token create --node ${record.node}`);
  return record;
}
