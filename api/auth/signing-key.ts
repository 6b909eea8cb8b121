/**
 * The control plane's token signing key: a PEM private key file (`--signing-key`,
 * SIDEKICK_SIGNING_KEY_FILE) that every replica loads, so any replica verifies a token another one
 * (or `sidekick controlplane token create`) signed, with nothing shared but the file. The key type
 * picks the JWS algorithm; its RFC 7638 JWK thumbprint is the `kid` tokens name it by.
 * docs/decisions/0027-signed-tokens.md.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { lstat, open } from 'node:fs/promises';
import { calculateJwkThumbprint } from 'jose';
import { writeFileAtomic } from '../atomic-file.js';

/** The JWS algorithms a signing key can have: one per accepted key type. */
export const SigningAlgorithm = {
  EdDSA: 'EdDSA',
  ES256: 'ES256',
  RS256: 'RS256',
} as const;
export type SigningAlgorithm = (typeof SigningAlgorithm)[keyof typeof SigningAlgorithm];

/** A loaded signing key. */
export interface SigningKey {
  /** The file it was loaded from (for messages). */
  path: string;
  alg: SigningAlgorithm;
  /** RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key. */
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** A key file that cannot be used; the message is one line and names the file. */
export class SigningKeyError extends Error {
  constructor(path: string, problem: string) {
    super(`signing key ${path}: ${problem}`);
    this.name = 'SigningKeyError';
  }
}

/** A PEM key is a few KiB at most (RSA 8192: ~6 KiB); anything larger is the wrong file. */
const MAX_KEY_FILE_BYTES = 64 * 1024;
const MIN_RSA_BITS = 2048;

export interface LoadSigningKeyOptions {
  /** Receives one line about a key file its group can read (allowed: see {@link loadSigningKey}). */
  warn?: (line: string) => void;
}

function readProblem(err: unknown): string {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a PEM file';
    default:
      return (err as Error).message;
  }
}

/**
 * The algorithm for a key, or why it cannot sign tokens. Ed25519, ECDSA on P-256 and RSA of 2048
 * bits or more: what Kubernetes service account issuers and OIDC providers commonly use.
 */
function algorithmFor(key: KeyObject): { alg: SigningAlgorithm } | { problem: string } {
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case 'ed25519':
      return { alg: SigningAlgorithm.EdDSA };
    case 'ec':
      // Node names P-256 by its OpenSSL name.
      if (details.namedCurve === 'prime256v1') return { alg: SigningAlgorithm.ES256 };
      return { problem: `ECDSA curve ${details.namedCurve ?? 'unknown'} is not supported (use P-256)` };
    case 'rsa':
      if ((details.modulusLength ?? 0) >= MIN_RSA_BITS) return { alg: SigningAlgorithm.RS256 };
      return { problem: `RSA key of ${details.modulusLength ?? 0} bits is too short (at least ${MIN_RSA_BITS})` };
    default:
      return { problem: `${key.asymmetricKeyType ?? 'unknown'} keys are not supported (use Ed25519, ECDSA P-256 or RSA ≥ ${MIN_RSA_BITS} bits)` };
  }
}

/** The private key in `pem`, whatever its PEM flavour (PKCS#8, SEC1, PKCS#1). */
function parsePrivateKey(path: string, pem: string): KeyObject {
  // OpenSSL only reports "interrupted or cancelled" when it finds no passphrase, so look first.
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|^Proc-Type: 4,ENCRYPTED/m.test(pem)) {
    throw new SigningKeyError(path, 'the key is encrypted; the control plane needs it unencrypted (protect the file instead)');
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new SigningKeyError(path, 'not a PEM private key (PKCS#8 "PRIVATE KEY", "EC PRIVATE KEY" or "RSA PRIVATE KEY")');
  }
}

/**
 * Loads the signing key at `path`. Refuses a file other users can read or write (like ssh with an
 * identity file): the key mints Owner tokens. A file its group can read is allowed with a warning,
 * because a Kubernetes Secret volume with an fsGroup is mounted group-readable (0440) whatever its
 * defaultMode; the group is then the pod's own.
 */
export async function loadSigningKey(path: string, opts: LoadSigningKeyOptions = {}): Promise<SigningKey> {
  let pem: string;
  try {
    // One open file for the mode and the content, so both are of the same file.
    const file = await open(path, 'r');
    try {
      const stat = await file.stat();
      if (!stat.isFile()) throw new SigningKeyError(path, 'not a regular file');
      const mode = stat.mode & 0o777;
      const octal = mode.toString(8).padStart(4, '0');
      if (mode & 0o007) throw new SigningKeyError(path, `other users can access it (mode ${octal}): chmod 600 it (in Kubernetes, mount the Secret with defaultMode 0400)`);
      if (mode & 0o070) opts.warn?.(`warning: signing key ${path} is readable by its group (mode ${octal}); fine for a Kubernetes Secret mounted with an fsGroup, otherwise chmod 600 it`);
      if (stat.size > MAX_KEY_FILE_BYTES) throw new SigningKeyError(path, `${stat.size} bytes is too large for a PEM private key`);
      pem = await file.readFile('utf8');
    } finally {
      await file.close();
    }
  } catch (err) {
    if (err instanceof SigningKeyError) throw err;
    throw new SigningKeyError(path, readProblem(err));
  }
  return signingKeyFrom(path, parsePrivateKey(path, pem));
}

async function signingKeyFrom(path: string, privateKey: KeyObject): Promise<SigningKey> {
  const algorithm = algorithmFor(privateKey);
  if ('problem' in algorithm) throw new SigningKeyError(path, algorithm.problem);
  const publicKey = createPublicKey(privateKey);
  const kid = await calculateJwkThumbprint(publicKey, 'sha256');
  return { path, alg: algorithm.alg, kid, privateKey, publicKey };
}

/**
 * Creates a new Ed25519 signing key at `path` (PKCS#8 PEM, mode 0600, written atomically) and
 * returns it. Refuses to replace an existing file: a new key invalidates every token signed with
 * the old one.
 */
export async function generateSigningKey(path: string): Promise<SigningKey> {
  const exists = await lstat(path).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return false;
      throw new SigningKeyError(path, readProblem(err));
    },
  );
  if (exists) throw new SigningKeyError(path, 'already exists; remove it first to replace the key (every token signed with it stops working)');
  const { privateKey } = generateKeyPairSync('ed25519');
  try {
    await writeFileAtomic(path, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, 0o600);
  } catch (err) {
    throw new SigningKeyError(path, `cannot write it: ${readProblem(err)}`);
  }
  return signingKeyFrom(path, privateKey);
}
