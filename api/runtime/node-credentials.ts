/**
 * The node's credentials file, `~/.sidekick/credentials.json` (0600, written atomically): per
 * control-plane URL and node name, the node's key pair (the private half exists only here) and
 * the control plane's pinned identity. With an entry for its url + name, a node needs no
 * registration token to start.
 *
 *   { "credentials": { "<url>#<name>": { url, name, owner, privateKey, publicKey,
 *                                         controlPlane: { fingerprint, publicKey, alg }, registeredAt } } }
 */
import type { JsonWebKey } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../atomic-file.js';

/** One registration of this machine with one control plane. */
export interface NodeCredentials {
  url: string;
  name: string;
  owner: string;
  privateKey: JsonWebKey;
  publicKey: JsonWebKey;
  /** The control plane's identity as pinned at registration (or at `--repin`). */
  controlPlane: { fingerprint: string; publicKey: JsonWebKey; alg: string };
  /** RFC 3339. */
  registeredAt: string;
}

/** A credentials file that cannot be read as one: the node refuses to start rather than register anew. */
export class CredentialsFileError extends Error {
  constructor(path: string, problem: string) {
    super(`credentials file ${path}: ${problem}`);
    this.name = 'CredentialsFileError';
  }
}

/** The key of an entry: the URL without a trailing slash, and the node name. */
export function credentialsKey(url: string, name: string): string {
  return `${url.replace(/\/+$/, '')}#${name}`;
}

async function readAll(path: string): Promise<Record<string, NodeCredentials>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CredentialsFileError(path, (err as Error).message);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CredentialsFileError(path, `not JSON: ${(err as Error).message}`);
  }
  const entries = (doc as { credentials?: unknown } | null)?.credentials;
  if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) throw new CredentialsFileError(path, 'expected {"credentials": {...}}');
  for (const [key, c] of Object.entries(entries as Record<string, Partial<NodeCredentials>>)) {
    if (typeof c?.name !== 'string' || typeof c.url !== 'string' || typeof c.privateKey !== 'object' || typeof c.controlPlane?.fingerprint !== 'string') {
      throw new CredentialsFileError(path, `entry ${JSON.stringify(key)} is not {url, name, owner, privateKey, publicKey, controlPlane, registeredAt}`);
    }
  }
  return entries as Record<string, NodeCredentials>;
}

/** The credentials for `url` + `name`, or undefined when this machine never registered there. */
export async function loadCredentials(path: string, url: string, name: string): Promise<NodeCredentials | undefined> {
  return (await readAll(path))[credentialsKey(url, name)];
}

/** Writes (adds or replaces) one entry, keeping the others; the file is 0600 from its first byte. */
export async function saveCredentials(path: string, creds: NodeCredentials): Promise<void> {
  const all = await readAll(path);
  all[credentialsKey(creds.url, creds.name)] = creds;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, `${JSON.stringify({ credentials: all }, null, 2)}\n`, 0o600);
}
