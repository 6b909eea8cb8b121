/**
 * An API server authenticating with signed tokens, as the control plane does: a token signed
 * with the key is an identity with the role its claim names (authorized by the shipped Cedar
 * policies); every other bearer is 401.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CedarAuthorizer } from '../auth/authorizer.js';
import { AuthzModel } from '../auth/model.js';
import { Role } from '../auth/roles.js';
import { SignedTokens } from '../auth/signed-tokens.js';
import { generateSigningKey } from '../auth/signing-key.js';
import { TokenStore } from '../auth/token-store.js';
import { openStore } from '../store/open-store.js';
import { schemeResolver } from '../store/scheme-resolver.js';
import type { Store } from '../store/store.js';
import { scheme } from '../../resources/index.js';
import { ApiServer } from './http.js';
import { ServingApi } from './serving.js';
import { ApiService } from './service.js';
import { SignedTokenAuthenticator } from './signed-token-auth.js';

let dir: string;
let store: Store;
let serving: ServingApi;
let port: number;
let tokens: SignedTokens;
let strangerTokens: SignedTokens;

const SESSIONS = '/apis/sidekicks.dev/v1alpha1/namespaces/default/sessions';
const session = (name: string) => ({ apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name }, spec: {} });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sidekick-signed-auth-'));
  tokens = new SignedTokens(await generateSigningKey(join(dir, 'signing.key')));
  strangerTokens = new SignedTokens(await generateSigningKey(join(dir, 'stranger.key')));
  store = await openStore({ kind: 'sqlite', path: join(dir, 'db.sqlite') }, schemeResolver(scheme));
  const authorizer = await CedarAuthorizer.load(new AuthzModel(scheme), undefined);
  // No identity tokens and an owner name nobody's token carries: a principal's role comes from its token alone.
  const api = new ApiServer({
    service: new ApiService({ store, scheme }),
    scheme,
    authorization: { authorizer, tokens: await TokenStore.open(join(dir, 'tokens.json')), owner: 'nobody-owner' },
  });
  serving = new ServingApi(api);
  ({ port } = await serving.listenTcp({ address: { host: '127.0.0.1', port: 0 } }, new SignedTokenAuthenticator(tokens)));
});

afterAll(async () => {
  await serving?.close();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  json: any;
}

function send(method: string, path: string, token: string | undefined, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (payload !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) });
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text.startsWith('{') ? JSON.parse(text) : text }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

describe('SignedTokenAuthenticator on an API server', () => {
  it('an Owner token reads and writes, as the identity it names', async () => {
    const alice = await tokens.issue('alice', Role.Owner);
    expect((await send('GET', SESSIONS, alice)).status).toBe(200);
    const created = await send('POST', SESSIONS, alice, session('s1'));
    expect(created.status).toBe(201);
    expect(created.json.metadata.annotations['sidekicks.dev/created-by']).toBe('alice');
  });

  it('answers 401 to a missing, malformed, foreign, expired or tampered token', async () => {
    const expired = await tokens.issue('alice', Role.Owner, { ttlMs: 60_000, now: new Date(Date.now() - 3_600_000) });
    const [h, p, s] = (await tokens.issue('bob', Role.Viewer)).split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, 'sidekicks.dev/role': 'Owner' })).toString('base64url')}.${s}`;
    for (const token of [undefined, 'skt_not-a-jwt', await strangerTokens.issue('alice', Role.Owner), expired, tampered]) {
      const r = await send('GET', SESSIONS, token);
      expect(r).toEqual({ status: 401, json: expect.objectContaining({ kind: 'Status', reason: 'Unauthorized', code: 401 }) });
    }
    // Probes stay anonymous.
    expect((await send('GET', '/healthz', undefined)).status).toBe(200);
  });

  it('answers 403 where the role in the token forbids: a Viewer reads but cannot create a session', async () => {
    const bob = await tokens.issue('bob', Role.Viewer);
    expect((await send('GET', SESSIONS, bob)).status).toBe(200);
    const r = await send('POST', SESSIONS, bob, session('by-bob'));
    expect(r.status).toBe(403);
    expect(r.json).toMatchObject({
      reason: 'Forbidden',
      message: 'sessions.sidekicks.dev is forbidden: User "bob" cannot create resource "sessions" in API group "sidekicks.dev" in the namespace "default"',
    });
    expect((await send('GET', `${SESSIONS}/by-bob`, bob)).status).toBe(404);
  });
});
