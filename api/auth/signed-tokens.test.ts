/**
 * Signed API tokens: issue → verify round trips for every key type, and each way a token must
 * be refused (expired, not yet valid, another key, tampered, `alg: none`, HMAC keyed with the
 * public key, wrong issuer, audience, unknown role, bad subject), each with the right reason.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader, SignJWT, type JWTPayload } from 'jose';
import { CLOCK_TOLERANCE_S, MAX_TOKEN_TTL_MS, Rejection, ROLE_CLAIM, SignedTokens, TOKEN_ISSUER, type TokenCheck } from './signed-tokens.js';
import { generateSigningKey, loadSigningKey, type SigningKey } from './signing-key.js';
import { Role } from './roles.js';

let dir: string;
let ed: SigningKey;
let es: SigningKey;
let rs: SigningKey;
let otherEd: SigningKey;

async function fromPair(name: string, privateKey: KeyObject): Promise<SigningKey> {
  const path = join(dir, name);
  await writeFile(path, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
  await chmod(path, 0o600);
  return loadSigningKey(path);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sidekick-signed-tokens-'));
  ed = await generateSigningKey(join(dir, 'ed.pem'));
  otherEd = await generateSigningKey(join(dir, 'other.pem'));
  es = await fromPair('es.pem', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  rs = await fromPair('rs.pem', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const HOUR_S = 3600;

/** A token signed with `key` whose header and claims the test chooses (what an attacker with that key could send). */
function forged(key: SigningKey, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: TOKEN_ISSUER, sub: 'mallory', [ROLE_CLAIM]: 'Owner', iat: now, exp: now + HOUR_S, jti: 'j', ...claims })
    .setProtectedHeader({ alg: key.alg, typ: 'JWT', kid: key.kid, ...header })
    .sign(key.privateKey);
}

function expectRejected(check: TokenCheck, rejection: Rejection): void {
  expect(check).toMatchObject({ ok: false, rejection });
}

describe('round trip', () => {
  it.each([
    ['Ed25519', () => ed, 'EdDSA'],
    ['ECDSA P-256', () => es, 'ES256'],
    ['RSA 2048', () => rs, 'RS256'],
  ] as const)('%s: the token names the key and carries the identity, role and lifetime', async (_label, key, alg) => {
    const tokens = new SignedTokens(key());
    const token = await tokens.issue('bob', Role.Collaborator, { ttlMs: 2 * HOUR_S * 1000, jti: 'jti-1' });
    expect(token).toMatch(/^eyJ[\w-]*\.[\w-]+\.[\w-]+$/);
    expect(decodeProtectedHeader(token)).toEqual({ alg, typ: 'JWT', kid: key().kid });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: 'sidekicks-controlplane', sub: 'bob', 'sidekicks.dev/role': 'Collaborator', jti: 'jti-1' });
    expect(claims.exp! - claims.iat!).toBe(2 * HOUR_S);
    expect(claims.nbf).toBe(claims.iat);
    expect(Math.abs(claims.iat! - Date.now() / 1000)).toBeLessThan(5);
    expect(await tokens.verify(token)).toEqual({ name: 'bob', method: 'token', role: 'Collaborator' });
  });

  it('each token gets its own jti unless one is given', async () => {
    const tokens = new SignedTokens(ed);
    const [a, b] = [await tokens.issue('bob', Role.Viewer), await tokens.issue('bob', Role.Viewer)];
    expect(decodeJwt(a).jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(decodeJwt(a).jti).not.toBe(decodeJwt(b).jti);
  });

  it('a token verifies on another replica that loaded the same key file', async () => {
    const token = await new SignedTokens(ed).issue('carol', Role.Owner);
    const replica = new SignedTokens(await loadSigningKey(ed.path));
    expect(await replica.verify(token)).toEqual({ name: 'carol', method: 'token', role: 'Owner' });
  });
});

describe('refused tokens', () => {
  it('expired, beyond the clock tolerance only', async () => {
    const tokens = new SignedTokens(ed);
    const twoHoursAgo = new Date(Date.now() - 2 * HOUR_S * 1000);
    expectRejected(await tokens.check(await tokens.issue('bob', Role.Viewer, { ttlMs: HOUR_S * 1000, now: twoHoursAgo })), Rejection.Expired);
    // Expired 20 s ago: within the tolerance for a replica whose clock runs ahead.
    const justNow = new Date(Date.now() - (HOUR_S + 20) * 1000);
    expect((await tokens.check(await tokens.issue('bob', Role.Viewer, { ttlMs: HOUR_S * 1000, now: justNow }))).ok).toBe(true);
    expect(CLOCK_TOLERANCE_S).toBeLessThan(HOUR_S);
  });

  it('not yet valid (issued by a clock far ahead)', async () => {
    const tokens = new SignedTokens(ed);
    const ahead = new Date(Date.now() + 10 * 60 * 1000);
    const check = await tokens.check(await tokens.issue('bob', Role.Viewer, { now: ahead }));
    expectRejected(check, Rejection.InvalidClaims);
    expect(check.ok || check.detail).toMatch(/nbf/);
  });

  it('signed with another key: unknown kid, or our kid over a signature of another key', async () => {
    const ours = new SignedTokens(ed);
    expectRejected(await ours.check(await new SignedTokens(otherEd).issue('mallory', Role.Owner)), Rejection.UnknownKey);
    expectRejected(await ours.check(await forged(otherEd, {}, { kid: ed.kid })), Rejection.BadSignature);
    // A key of another type names another algorithm: refused before any key is looked at.
    expectRejected(await ours.check(await forged(rs, {}, { kid: ed.kid })), Rejection.AlgorithmNotAllowed);
  });

  it('a tampered payload (a Viewer token edited to say Owner)', async () => {
    const tokens = new SignedTokens(ed);
    const [header, payload, signature] = (await tokens.issue('bob', Role.Viewer)).split('.');
    const edited = b64({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), [ROLE_CLAIM]: 'Owner' });
    expectRejected(await tokens.check(`${header}.${edited}.${signature}`), Rejection.BadSignature);
  });

  it('alg none, and HS256 keyed with the public key (algorithm confusion)', async () => {
    const tokens = new SignedTokens(rs);
    const now = Math.floor(Date.now() / 1000);
    const claims = b64({ iss: TOKEN_ISSUER, sub: 'mallory', [ROLE_CLAIM]: 'Owner', iat: now, exp: now + HOUR_S, jti: 'j' });
    const none = `${b64({ alg: 'none', typ: 'JWT', kid: rs.kid })}.${claims}.`;
    expectRejected(await tokens.check(none), Rejection.AlgorithmNotAllowed);
    const hsHeader = b64({ alg: 'HS256', typ: 'JWT', kid: rs.kid });
    const secret = rs.publicKey.export({ format: 'pem', type: 'spki' });
    const mac = createHmac('sha256', secret).update(`${hsHeader}.${claims}`).digest('base64url');
    expectRejected(await tokens.check(`${hsHeader}.${claims}.${mac}`), Rejection.AlgorithmNotAllowed);
    expect(await tokens.verify(`${hsHeader}.${claims}.${mac}`)).toBeUndefined();
  });

  it('signed with our key but not ours to accept: issuer, typ, role, subject, missing claims', async () => {
    const tokens = new SignedTokens(ed);
    const cases: [string, Promise<string>, RegExp][] = [
      ['wrong iss', forged(ed, { iss: 'someone-else' }), /iss/],
      ['not a JWT typ', forged(ed, {}, { typ: 'at+jwt' }), /typ/],
      ['unknown role', forged(ed, { [ROLE_CLAIM]: 'Admin' }), /sidekicks\.dev\/role "Admin" is not a role/],
      ['lowercase role', forged(ed, { [ROLE_CLAIM]: 'owner' }), /is not a role/],
      ['no role', forged(ed, { [ROLE_CLAIM]: undefined }), /sidekicks\.dev\/role undefined is not a role/],
      ['bad subject', forged(ed, { sub: '-rf' }), /sub "-rf" is not an identity name/],
      ['no jti', forged(ed, { jti: undefined }), /jti/],
      ['no exp', forged(ed, { exp: undefined }), /exp/],
    ];
    for (const [label, token, detail] of cases) {
      const check = await tokens.check(await token);
      expect([label, check]).toMatchObject([label, { ok: false, rejection: Rejection.InvalidClaims }]);
      expect(check.ok || check.detail).toMatch(detail);
    }
  });

  it('audience: only a verifier that expects it accepts a scoped token', async () => {
    const plain = new SignedTokens(ed);
    const scoped = new SignedTokens(ed, { audience: 'nats' });
    const forNats = await plain.issue('node-1', Role.RuntimeContributor, { audience: 'nats' });
    expectRejected(await plain.check(forNats), Rejection.InvalidClaims);
    expect(await scoped.verify(forNats)).toEqual({ name: 'node-1', method: 'token', role: 'RuntimeContributor' });
    expectRejected(await scoped.check(await plain.issue('node-1', Role.RuntimeContributor)), Rejection.InvalidClaims);
    expectRejected(await scoped.check(await plain.issue('node-1', Role.RuntimeContributor, { audience: 'other' })), Rejection.InvalidClaims);
  });

  it('anything that is not a JWT', async () => {
    const tokens = new SignedTokens(ed);
    for (const junk of ['', 'skt_abc', 'a.b.c', 'eyJ.eyJ.x', `${'a'.repeat(9000)}.b.c`]) expectRejected(await tokens.check(junk), Rejection.Malformed);
  });
});

describe('issue', () => {
  it('refuses bad names, roles and lifetimes', async () => {
    const tokens = new SignedTokens(ed);
    await expect(tokens.issue('-bob', Role.Viewer)).rejects.toThrow(/^invalid identity name "-bob": must be 1-128 letters/);
    await expect(tokens.issue('bob', 'Admin' as Role)).rejects.toThrow('unknown role "Admin"');
    await expect(tokens.issue('bob', Role.Viewer, { ttlMs: 0 })).rejects.toThrow('ttl must be between 1s and 8760h');
    await expect(tokens.issue('bob', Role.Viewer, { ttlMs: MAX_TOKEN_TTL_MS + 1000 })).rejects.toThrow('ttl must be between 1s and 8760h');
  });
});
