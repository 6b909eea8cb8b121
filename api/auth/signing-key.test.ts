/**
 * Loading the token signing key: every PEM flavour Helm and openssl write, the algorithm each key
 * type gets, the RFC 7638 key id, and one-line refusals of files that must not sign tokens.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKey, loadSigningKey, SigningKeyError } from './signing-key.js';

let dir: string;
beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'sidekick-signing-key-'))));
afterAll(() => rm(dir, { recursive: true, force: true }));

let files = 0;
/** Writes `text` to a fresh file with `mode`; returns its path. */
async function keyFile(text: string, mode = 0o600): Promise<string> {
  const path = join(dir, `key-${files++}.pem`);
  await writeFile(path, text);
  await chmod(path, mode);
  return path;
}

/** RFC 7638 by hand: SHA-256 over the required members, sorted, no whitespace. */
function thumbprint(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, string>;
  const members: Record<string, string[]> = { OKP: ['crv', 'kty', 'x'], EC: ['crv', 'kty', 'x', 'y'], RSA: ['e', 'kty', 'n'] };
  const canonical = `{${members[jwk.kty!]!.map((m) => `${JSON.stringify(m)}:${JSON.stringify(jwk[m])}`).join(',')}}`;
  return createHash('sha256').update(canonical).digest('base64url');
}

const ed25519 = generateKeyPairSync('ed25519');
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

describe('loadSigningKey', () => {
  it.each([
    ['Ed25519, PKCS#8', ed25519, { type: 'pkcs8' }, 'BEGIN PRIVATE KEY', 'EdDSA'],
    ['ECDSA P-256, SEC1 (Helm genPrivateKey "ecdsa")', p256, { type: 'sec1' }, 'BEGIN EC PRIVATE KEY', 'ES256'],
    ['ECDSA P-256, PKCS#8', p256, { type: 'pkcs8' }, 'BEGIN PRIVATE KEY', 'ES256'],
    ['RSA 2048, PKCS#1 (Helm genPrivateKey "rsa")', rsa, { type: 'pkcs1' }, 'BEGIN RSA PRIVATE KEY', 'RS256'],
    ['RSA 2048, PKCS#8', rsa, { type: 'pkcs8' }, 'BEGIN PRIVATE KEY', 'RS256'],
  ] as const)('%s: algorithm, public key and RFC 7638 kid', async (_label, pair, encoding, banner, alg) => {
    const pem = pair.privateKey.export({ format: 'pem', ...encoding } as never) as string;
    expect(pem).toContain(banner);
    const key = await loadSigningKey(await keyFile(pem));
    expect(key.alg).toBe(alg);
    expect(key.publicKey.equals(pair.publicKey)).toBe(true);
    expect(key.kid).toBe(thumbprint(pair.publicKey));
  });

  it('refuses a file other users can read, naming the file and the fix; warns about one its group can read', async () => {
    const pem = ed25519.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    const open = await keyFile(pem, 0o644);
    await expect(loadSigningKey(open)).rejects.toThrow(`signing key ${open}: other users can access it (mode 0644): chmod 600 it (in Kubernetes, mount the Secret with defaultMode 0400)`);
    const warnings: string[] = [];
    const group = await keyFile(pem, 0o440);
    const key = await loadSigningKey(group, { warn: (l) => warnings.push(l) });
    expect(key.alg).toBe('EdDSA');
    expect(warnings).toEqual([`warning: signing key ${group} is readable by its group (mode 0440); fine for a Kubernetes Secret mounted with an fsGroup, otherwise chmod 600 it`]);
    const quiet: string[] = [];
    await loadSigningKey(await keyFile(pem, 0o400), { warn: (l) => quiet.push(l) });
    expect(quiet).toEqual([]);
  });

  it('refuses keys that cannot sign tokens here, one line each', async () => {
    const pem = (pair: { privateKey: KeyObject }) => pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    const cases: [string, RegExp][] = [
      [pem(generateKeyPairSync('ec', { namedCurve: 'P-384' })), /: ECDSA curve secp384r1 is not supported \(use P-256\)$/],
      [pem(generateKeyPairSync('rsa', { modulusLength: 1024 })), /: RSA key of 1024 bits is too short \(at least 2048\)$/],
      [pem(generateKeyPairSync('ed448')), /: ed448 keys are not supported/],
      [ed25519.publicKey.export({ format: 'pem', type: 'spki' }) as string, /: not a PEM private key/],
      ['hello\n', /: not a PEM private key/],
      [ed25519.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string, /: the key is encrypted/],
      [rsa.privateKey.export({ format: 'pem', type: 'pkcs1', cipher: 'aes-256-cbc', passphrase: 'pw' }) as string, /: the key is encrypted/],
    ];
    for (const [text, message] of cases) {
      const path = await keyFile(text);
      const err = await loadSigningKey(path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SigningKeyError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message.startsWith(`signing key ${path}: `)).toBe(true);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('names missing files, directories and oversized files', async () => {
    const missing = join(dir, 'nope.pem');
    await expect(loadSigningKey(missing)).rejects.toThrow(`signing key ${missing}: no such file or directory`);
    const sub = join(dir, 'a-dir');
    await mkdir(sub, { mode: 0o700 });
    await expect(loadSigningKey(sub)).rejects.toThrow(`signing key ${sub}: not a regular file`);
    const big = await keyFile('x'.repeat(70_000));
    await expect(loadSigningKey(big)).rejects.toThrow(`signing key ${big}: 70000 bytes is too large for a PEM private key`);
  });
});

describe('generateSigningKey', () => {
  it('writes an Ed25519 PKCS#8 key, mode 0600, that loads back as the same key', async () => {
    const path = join(dir, 'generated.pem');
    const made = await generateSigningKey(path);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const loaded = await loadSigningKey(path);
    expect(loaded).toMatchObject({ alg: 'EdDSA', kid: made.kid, path });
    expect(loaded.publicKey.equals(made.publicKey)).toBe(true);
  });

  it('refuses to replace an existing key, and a directory that does not exist', async () => {
    const path = join(dir, 'kept.pem');
    const first = await generateSigningKey(path);
    await expect(generateSigningKey(path)).rejects.toThrow(`signing key ${path}: already exists; remove it first to replace the key (every token signed with it stops working)`);
    expect((await loadSigningKey(path)).kid).toBe(first.kid);
    const orphan = join(dir, 'missing-dir', 'k.pem');
    await expect(generateSigningKey(orphan)).rejects.toThrow(`signing key ${orphan}: cannot write it: no such file or directory`);
  });
});
