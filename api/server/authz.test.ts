/**
 * Authorization over real HTTP: a daemon with the shipped Cedar policies, identity tokens issued
 * through the API, and requests as the owner, bob (Viewer), carol and dave (Collaborators) and a
 * runtime node — 403 Status like kube-apiserver's, ownership, the recorded decider, impersonation
 * only for access reviews, and a broken policy file keeping the daemon from starting.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from '../../cli/daemon/compose.js';
import { collection, startTestServer, type Reply, type RequestOptions, type TestServer } from '../../test/support/api-server.js';

let server: TestServer;
const token: Record<string, string> = {};
const TOKENS = '/apis/auth.sidekicks.dev/v1alpha1/tokens';
const REVIEWS = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';
const OWNER = 'alice';

/** A request as `who` (a token identity), over TCP unless `via` says the socket. */
function as(who: string, method: string, path: string, opts: RequestOptions = {}): Promise<Reply> {
  return server.request(method, path, {
    ...opts,
    via: opts.via === 'socket' ? 'socket' : 'tcp-no-token',
    headers: { ...(opts.headers ?? {}), authorization: `Bearer ${token[who]}` },
  });
}

function run(name: string, annotations: Record<string, string> = {}): Record<string, unknown> {
  return { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name, annotations }, spec: { session: 's1', agent: 'a1', prompt: 'do it' } };
}

function approval(name: string, runName: string, spec: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Approval', metadata: { name }, spec: { session: 's1', run: runName, category: 'NetworkAccess', ...spec } };
}

const MERGE = 'application/merge-patch+json';
const decide = (by: string) => ({ spec: { decision: { verdict: 'Approved', by, reason: 'looks fine' } } });

beforeAll(async () => {
  server = await startTestServer({ ownerName: OWNER });
  for (const [name, role] of [['bob', 'Viewer'], ['carol', 'Collaborator'], ['dave', 'Collaborator'], ['node-1', 'RuntimeContributor']]) {
    const r = await server.request('POST', TOKENS, { body: { apiVersion: 'auth.sidekicks.dev/v1alpha1', kind: 'Token', metadata: { name }, spec: { role } } });
    expect(r.status).toBe(201);
    token[name!] = r.json.status.token;
  }
});

afterAll(async () => {
  await server?.close();
});

describe('identity tokens', () => {
  test('the owner lists identities and roles; tokens are shown only at creation and stored as digests', async () => {
    const list = await server.request('GET', TOKENS);
    expect(list.status).toBe(200);
    expect(list.json.kind).toBe('TokenList');
    expect(list.json.items.map((t: any) => [t.metadata.name, t.spec.role])).toEqual([
      ['bob', 'Viewer'],
      ['carol', 'Collaborator'],
      ['dave', 'Collaborator'],
      ['node-1', 'RuntimeContributor'],
    ]);
    expect(list.text).not.toContain(token.bob);
    const file = server.daemon.tokens.path;
    expect(await readFile(file, 'utf8')).not.toContain(token.bob);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  test('a second token for a name, a bad role and the owner’s own name are refused', async () => {
    const body = (name: string, role: string) => ({ body: { apiVersion: 'auth.sidekicks.dev/v1alpha1', kind: 'Token', metadata: { name }, spec: { role } } });
    expect((await server.request('POST', TOKENS, body('bob', 'Owner'))).json).toMatchObject({ reason: 'AlreadyExists', code: 409 });
    expect((await server.request('POST', TOKENS, body('erin', 'Admin'))).json).toMatchObject({ reason: 'Invalid', details: { causes: [{ field: 'spec.role' }] } });
    expect((await server.request('POST', TOKENS, body(OWNER, 'Viewer'))).json).toMatchObject({ reason: 'Invalid', details: { causes: [{ field: 'metadata.name' }] } });
  });

  test('only the owner manages tokens', async () => {
    const r = await as('carol', 'POST', TOKENS, { body: { apiVersion: 'auth.sidekicks.dev/v1alpha1', kind: 'Token', metadata: { name: 'eve' }, spec: { role: 'Owner' } } });
    expect(r.status).toBe(403);
    expect(r.json.message).toBe('tokens.auth.sidekicks.dev is forbidden: User "carol" cannot create resource "tokens" in API group "auth.sidekicks.dev" at the cluster scope');
    expect((await as('bob', 'GET', TOKENS)).status).toBe(403);
  });

  test('a revoked token is refused at once (401); an unknown one too', async () => {
    const created = await server.request('POST', TOKENS, { body: { apiVersion: 'auth.sidekicks.dev/v1alpha1', kind: 'Token', metadata: { name: 'temp' }, spec: { role: 'Viewer' } } });
    token.temp = created.json.status.token;
    expect((await as('temp', 'GET', collection('runs'))).status).toBe(200);
    const revoked = await server.request('DELETE', `${TOKENS}/temp`);
    expect(revoked.json).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'temp' } });
    expect((await as('temp', 'GET', collection('runs'))).json).toMatchObject({ reason: 'Unauthorized', code: 401 });
    expect((await as('temp', 'GET', collection('runs'), { via: 'socket' })).status).toBe(401);
    expect((await server.request('DELETE', `${TOKENS}/temp`)).status).toBe(404);
  });
});

describe('Viewer (bob)', () => {
  beforeAll(async () => {
    expect((await server.request('POST', collection('runs'), { body: run('owners-run') })).status).toBe(201);
    expect((await server.request('POST', collection('approvals'), { body: approval('owners-approval', 'owners-run') })).status).toBe(201);
  });

  test('reads: get, list, watch, Tables, core/v1 events', async () => {
    expect((await as('bob', 'GET', `${collection('runs')}/owners-run`)).status).toBe(200);
    expect((await as('bob', 'GET', collection('runs'))).json.items.length).toBeGreaterThan(0);
    expect((await as('bob', 'GET', '/apis/sidekicks.dev/v1alpha1/runs', { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' })).json.kind).toBe('Table');
    expect((await as('bob', 'GET', '/api/v1/namespaces/default/events')).status).toBe(200);
    expect((await as('node-1', 'GET', '/api/v1/namespaces/default/events')).json.message).toBe(
      'events is forbidden: User "node-1" cannot list resource "events" in API group "" in the namespace "default"',
    );
    const w = await server.watch(`${collection('runs')}?watch=1`, { via: 'tcp-no-token', headers: { authorization: `Bearer ${token.bob}` } });
    expect(w.status).toBe(200);
    w.close();
  });

  test('cannot approve: 403 Forbidden naming the identity, the verb and the resource; the approval is unchanged', async () => {
    const r = await as('bob', 'PATCH', `${collection('approvals')}/owners-approval`, { body: decide('bob'), contentType: MERGE });
    expect(r.status).toBe(403);
    expect(r.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'approvals.sidekicks.dev "owners-approval" is forbidden: User "bob" cannot patch resource "approvals" in API group "sidekicks.dev" in the namespace "default"',
      reason: 'Forbidden',
      details: { name: 'owners-approval', group: 'sidekicks.dev', kind: 'approvals' },
      code: 403,
    });
    expect((await server.request('GET', `${collection('approvals')}/owners-approval`)).json.spec.decision).toBeUndefined();
  });

  test('cannot create, update, delete or write status', async () => {
    const create = await as('bob', 'POST', collection('runs'), { body: run('bobs-run') });
    expect(create.json.message).toBe('runs.sidekicks.dev is forbidden: User "bob" cannot create resource "runs" in API group "sidekicks.dev" in the namespace "default"');
    expect((await as('bob', 'DELETE', `${collection('runs')}/owners-run`)).status).toBe(403);
    expect((await as('bob', 'DELETE', collection('runs'))).json.message).toContain('cannot deletecollection resource "runs"');
    const status = await as('bob', 'PATCH', `${collection('runs')}/owners-run/status`, { body: { status: { phase: 'Failed' } }, contentType: MERGE });
    expect(status.json.message).toBe('runs.sidekicks.dev "owners-run" is forbidden: User "bob" cannot patch resource "runs/status" in API group "sidekicks.dev" in the namespace "default"');
    const apply = await as('bob', 'PATCH', `${collection('runs')}/new-run?fieldManager=bob`, { body: run('new-run'), contentType: 'application/apply-patch+yaml' });
    expect(apply.status).toBe(403);
  });

  test('a token over the Unix socket acts as its identity, not as the owner', async () => {
    expect((await as('bob', 'POST', collection('runs'), { via: 'socket', body: run('via-socket') })).status).toBe(403);
    const owner = await server.request('POST', collection('runs'), { via: 'socket', body: run('via-socket') });
    expect(owner.status).toBe(201);
    expect(owner.json.metadata.annotations['sidekicks.dev/created-by']).toBe(OWNER);
  });
});

describe('Collaborator (carol): own runs and the approvals they raise', () => {
  test('a run carol creates is hers, whatever the body claims', async () => {
    const r = await as('carol', 'POST', collection('runs'), { body: run('carols-run', { 'sidekicks.dev/created-by': OWNER }) });
    expect(r.status).toBe(201);
    expect(r.json.metadata.annotations['sidekicks.dev/created-by']).toBe('carol');
  });

  test('she patches and updates her own run, and cannot hand it to someone else', async () => {
    const patched = await as('carol', 'PATCH', `${collection('runs')}/carols-run`, {
      body: { metadata: { labels: { team: 'auth' }, annotations: { 'sidekicks.dev/created-by': 'dave' } } },
      contentType: MERGE,
    });
    expect(patched.status).toBe(200);
    expect(patched.json.metadata.labels).toEqual({ team: 'auth' });
    expect(patched.json.metadata.annotations['sidekicks.dev/created-by']).toBe('carol');
    expect((await as('dave', 'PATCH', `${collection('runs')}/carols-run`, { body: { metadata: { labels: { x: 'y' } } }, contentType: MERGE })).status).toBe(403);
  });

  test('she cannot patch, delete or write the status of another’s run', async () => {
    const r = await as('carol', 'PATCH', `${collection('runs')}/owners-run`, { body: { spec: { prompt: 'mine now' } }, contentType: MERGE });
    expect(r.status).toBe(403);
    expect(r.json.message).toBe('runs.sidekicks.dev "owners-run" is forbidden: User "carol" cannot patch resource "runs" in API group "sidekicks.dev" in the namespace "default"');
    expect((await as('carol', 'DELETE', `${collection('runs')}/owners-run`)).status).toBe(403);
    expect((await as('carol', 'PATCH', `${collection('runs')}/carols-run/status`, { body: { status: { phase: 'Completed' } }, contentType: MERGE })).status).toBe(403);
  });

  test('server-side apply that creates a run needs create as well as patch; carol has both', async () => {
    const r = await as('carol', 'PATCH', `${collection('runs')}/carols-applied?fieldManager=carol`, { body: run('carols-applied'), contentType: 'application/apply-patch+yaml' });
    expect(r.status).toBe(200);
    expect(r.json.metadata.annotations['sidekicks.dev/created-by']).toBe('carol');
    // She may patch the approvals of her runs, but not create one, so applying a new one is refused.
    const apply = await as('carol', 'PATCH', `${collection('approvals')}/self-made?fieldManager=carol`, { body: approval('self-made', 'carols-run'), contentType: 'application/apply-patch+yaml' });
    expect(apply.json.message).toBe('approvals.sidekicks.dev is forbidden: User "carol" cannot create resource "approvals" in API group "sidekicks.dev" in the namespace "default"');
  });

  test('she decides the approvals of her runs, recorded as decided by her whatever the body claims', async () => {
    expect((await server.request('POST', collection('approvals'), { body: approval('carols-approval', 'carols-run') })).status).toBe(201);
    const r = await as('carol', 'PATCH', `${collection('approvals')}/carols-approval`, { body: decide(OWNER), contentType: MERGE });
    expect(r.status).toBe(200);
    expect(r.json.spec.decision).toEqual({ verdict: 'Approved', by: 'carol', reason: 'looks fine' });
    // The decision is final, and so is who made it.
    const again = await server.request('PATCH', `${collection('approvals')}/carols-approval`, { body: { spec: { decision: { by: 'mallory' } } }, contentType: MERGE });
    expect(again.status).toBe(200);
    expect(again.json.spec.decision.by).toBe('carol');
  });

  test('she cannot decide the approvals of another’s run', async () => {
    const r = await as('carol', 'PATCH', `${collection('approvals')}/owners-approval`, { body: decide('carol'), contentType: MERGE });
    expect(r.status).toBe(403);
    expect(r.json.message).toBe('approvals.sidekicks.dev "owners-approval" is forbidden: User "carol" cannot patch resource "approvals" in API group "sidekicks.dev" in the namespace "default"');
  });

  test('she steers her own runs, not others’', async () => {
    const steer = (name: string, runName: string) => ({ body: { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Intervention', metadata: { name }, spec: { run: runName, type: 'Steer', content: 'focus' } } });
    expect((await as('carol', 'POST', collection('interventions'), steer('steer-own', 'carols-run'))).status).toBe(201);
    expect((await as('carol', 'POST', collection('interventions'), steer('steer-other', 'owners-run'))).status).toBe(403);
  });

  test('the owner’s decision is recorded as the owner’s, also when written at creation', async () => {
    const created = await server.request('POST', collection('approvals'), { body: approval('decided-at-birth', 'owners-run', decide('mallory').spec) });
    expect(created.status).toBe(201);
    expect(created.json.spec.decision.by).toBe(OWNER);
  });
});

describe('RuntimeContributor (node-1)', () => {
  test('reports run status but reads no timeline and decides nothing', async () => {
    const status = await as('node-1', 'PATCH', `${collection('runs')}/owners-run/status`, { body: { status: { phase: 'Running' } }, contentType: MERGE });
    expect(status.status).toBe(200);
    const timeline = await as('node-1', 'GET', `${collection('sessions')}/s1/timeline`);
    expect(timeline.json.message).toBe('sessions.sidekicks.dev "s1" is forbidden: User "node-1" cannot get resource "sessions/timeline" in API group "sidekicks.dev" in the namespace "default"');
    const w = await server.watch(`${collection('approvals')}?watch=1`, { via: 'tcp-no-token', headers: { authorization: `Bearer ${token['node-1']}` } });
    expect(w.status).toBe(403);
    w.close();
  });
});

describe('access reviews and impersonation', () => {
  const review = (verb: string, resource: string, name?: string) => ({
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace: 'default', verb, group: 'sidekicks.dev', resource, ...(name ? { name } : {}) } } },
  });

  test('anyone may ask about themselves', async () => {
    expect((await as('bob', 'POST', REVIEWS, review('patch', 'approvals', 'owners-approval'))).json.status).toEqual({ allowed: false });
    expect((await as('bob', 'POST', REVIEWS, review('list', 'runs'))).json.status).toEqual({ allowed: true });
    expect((await as('carol', 'POST', REVIEWS, review('patch', 'runs', 'carols-run'))).json.status).toEqual({ allowed: true });
    expect((await as('carol', 'POST', REVIEWS, review('patch', 'runs', 'owners-run'))).json.status).toEqual({ allowed: false });
  });

  test('the owner may ask on behalf of others; a collaborator may not', async () => {
    const forBob = await server.request('POST', REVIEWS, { ...review('create', 'runs'), headers: { 'impersonate-user': 'bob' } });
    expect(forBob.status).toBe(201);
    expect(forBob.json.status).toEqual({ allowed: false });
    const forCarol = await server.request('POST', REVIEWS, { ...review('create', 'runs'), headers: { 'impersonate-user': 'carol' } });
    expect(forCarol.json.status).toEqual({ allowed: true });
    const r = await as('carol', 'POST', REVIEWS, { ...review('create', 'runs'), headers: { 'impersonate-user': 'bob' } });
    expect(r.status).toBe(403);
    expect(r.json.message).toBe('users "bob" is forbidden: User "carol" cannot impersonate resource "users" in API group "" at the cluster scope');
  });

  test('impersonation never makes a request act as someone else', async () => {
    const r = await server.request('PATCH', `${collection('approvals')}/owners-approval`, { body: decide('bob'), contentType: MERGE, headers: { 'impersonate-user': 'bob' } });
    expect(r.status).toBe(403);
    expect(r.json.message).toMatch(/impersonation is only honoured for selfsubjectaccessreviews/);
  });

  test('discovery stays open to every identity', async () => {
    expect((await as('node-1', 'GET', '/apis')).json.groups.map((g: any) => g.name)).toEqual(['sidekicks.dev', 'coordination.k8s.io', 'auth.sidekicks.dev', 'authorization.k8s.io']);
    expect((await as('bob', 'GET', '/openapi/v3')).status).toBe(200);
  });
});

describe('policies at start (fail closed)', () => {
  test('a policy file that does not parse keeps the daemon from starting, naming the file and the error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sidekick-authz-'));
    try {
      const home = join(dir, 'home');
      await mkdir(join(home, 'policies'), { recursive: true });
      await writeFile(join(home, 'policies', 'team.cedar'), 'permit (principal, action, resource) when { principal.role == "Viewer" ;\n');
      await expect(startDaemon({ home, controllers: false })).rejects.toThrow(/^policy file .*\/policies\/team\.cedar: 1:72: unexpected token `;`/);
      await expect(stat(join(home, 'sidekick.sock'))).rejects.toThrow(/ENOENT/);
      // Fixed, it starts — and a user policy takes effect.
      await writeFile(join(home, 'policies', 'team.cedar'), '@id("no-deletes")\nforbid (principal, action == Action::"delete", resource);\n');
      const daemon = await startDaemon({ home, controllers: false });
      try {
        const { ApiClient } = await import('../client/client.js');
        const client = new ApiClient({ socketPath: daemon.socketPath, token: daemon.token });
        const ref = { group: 'sidekicks.dev', version: 'v1alpha1', plural: 'runs', kind: 'Run', namespaced: true };
        await client.create(ref, 'default', run('r1') as any);
        await expect(client.delete(ref, 'default', 'r1')).rejects.toMatchObject({ reason: 'Forbidden', message: expect.stringContaining(': denied by policy "no-deletes"') });
        client.close();
      } finally {
        await daemon.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
