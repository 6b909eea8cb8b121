/**
 * The control plane's record of registered nodes: each node's public key (the only half it ever
 * sees), its owner and whether its credential was revoked. Read on every request a node makes
 * (node-auth.ts), by the token exchange, and by the ingest to verify message signatures.
 * Kept in the store's database beside the registration tokens (NODE_IDENTITY_MIGRATIONS).
 */
import type { JsonWebKey } from 'node:crypto';
import type { MigrationSet } from '../store/backend.js';
import { forDialect as q } from '../store/placeholders.js';
import type { ExtraReads, ExtraWrites, Store } from '../store/store.js';

/** The tables of node identity: registration tokens (hashes only) and node credentials (public keys). */
export const NODE_IDENTITY_MIGRATIONS: MigrationSet = {
  component: 'runtime-node-identity',
  sqlite: [
    [
      `CREATE TABLE sk_node_tokens (
         id TEXT PRIMARY KEY, digest TEXT NOT NULL, node TEXT NOT NULL, creator TEXT NOT NULL,
         created TEXT NOT NULL, expires TEXT NOT NULL, used TEXT, revoked TEXT) WITHOUT ROWID`,
      `CREATE TABLE sk_node_credentials (
         node TEXT PRIMARY KEY, public_key TEXT NOT NULL, owner TEXT NOT NULL, token_id TEXT NOT NULL,
         registered TEXT NOT NULL, revoked TEXT) WITHOUT ROWID`,
    ],
  ],
  postgres: [
    [
      `CREATE TABLE sk_node_tokens (
         id TEXT PRIMARY KEY, digest TEXT NOT NULL, node TEXT NOT NULL, creator TEXT NOT NULL,
         created TEXT NOT NULL, expires TEXT NOT NULL, used TEXT, revoked TEXT)`,
      `CREATE TABLE sk_node_credentials (
         node TEXT PRIMARY KEY, public_key TEXT NOT NULL, owner TEXT NOT NULL, token_id TEXT NOT NULL,
         registered TEXT NOT NULL, revoked TEXT)`,
    ],
  ],
};

/** A node's credential as the control plane keeps it. */
export interface NodeCredentialRecord {
  node: string;
  publicKey: JsonWebKey;
  /** The Participant who created the registration token the node used. */
  owner: string;
  /** The registration token it was registered with. */
  tokenId: string;
  /** RFC 3339. */
  registered: string;
  /** RFC 3339, when revoked. */
  revoked?: string;
}

/** Runs `fn` in a read snapshot (or a transaction, for a store without read snapshots). */
export function readStore<T>(store: Store, fn: (r: ExtraReads) => Promise<T>): Promise<T> {
  if (store.readTransaction) return store.readTransaction(fn);
  if (store.transaction) return store.transaction(fn);
  throw new Error('the store has no transactions: node identity needs the store\'s database');
}

/** The registered nodes' keys, owners and revocations. */
export class NodeRegistry {
  constructor(private readonly store: Store) {}

  /** The node's credential, revoked or not; undefined when it never registered. */
  credentialOf(node: string): Promise<NodeCredentialRecord | undefined> {
    return readStore(this.store, (r) => credentialIn(r, node));
  }

  /** The node's public key; undefined when the node is unknown or revoked (its messages are then refused). */
  async publicKeyOf(node: string): Promise<JsonWebKey | undefined> {
    const c = await this.credentialOf(node);
    return c && !c.revoked ? c.publicKey : undefined;
  }

  /** The Participant who owns the node; undefined when it is unknown or revoked. */
  async ownerOf(node: string): Promise<string | undefined> {
    const c = await this.credentialOf(node);
    return c && !c.revoked ? c.owner : undefined;
  }

  /** Every credential, by node name. */
  list(): Promise<NodeCredentialRecord[]> {
    return readStore(this.store, async (r) => (await r.execute('SELECT * FROM sk_node_credentials ORDER BY node')).map(recordOf));
  }

  /** Revokes the node's credential; false when it has none (or it already was). */
  async revoke(node: string, now = new Date()): Promise<boolean> {
    const rows = await this.store.transaction!((tx) =>
      tx.execute(q(tx, 'UPDATE sk_node_credentials SET revoked = ? WHERE node = ? AND revoked IS NULL RETURNING node'), [now.toISOString(), node]),
    );
    return rows.length > 0;
  }
}

/** The node's credential, read inside a transaction or snapshot. */
export async function credentialIn(r: ExtraReads, node: string): Promise<NodeCredentialRecord | undefined> {
  const rows = await r.execute(q(r, 'SELECT * FROM sk_node_credentials WHERE node = ?'), [node]);
  return rows.length ? recordOf(rows[0]) : undefined;
}

/** Records (or replaces) a node's key inside the write that registers it. */
export async function bindNodeKey(tx: ExtraWrites, c: Omit<NodeCredentialRecord, 'revoked'>): Promise<void> {
  await tx.execute(
    q(
      tx,
      `INSERT INTO sk_node_credentials (node, public_key, owner, token_id, registered, revoked) VALUES (?, ?, ?, ?, ?, NULL)
       ON CONFLICT (node) DO UPDATE SET public_key = excluded.public_key, owner = excluded.owner,
         token_id = excluded.token_id, registered = excluded.registered, revoked = NULL`,
    ),
    [c.node, JSON.stringify(c.publicKey), c.owner, c.tokenId, c.registered],
  );
}

function recordOf(row: Record<string, unknown>): NodeCredentialRecord {
  return {
    node: String(row.node),
    publicKey: JSON.parse(String(row.public_key)) as JsonWebKey,
    owner: String(row.owner),
    tokenId: String(row.token_id),
    registered: String(row.registered),
    ...(row.revoked ? { revoked: String(row.revoked) } : {}),
  };
}
