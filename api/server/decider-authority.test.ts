/**
 * Decisions stay within the decider's authority, over real HTTP with the shipped Cedar policies:
 * what a Collaborator (carol) may remember, over-broad patterns refused for everyone, and status
 * in a create or update body ignored, as kube-apiserver does for kinds with a status subresource.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { RememberRule } from './remember-admission.js';
import { CROSS_NODE_DISPATCH } from '../../resources/cross-node.js';
import { collection, startTestServer, type Reply, type RequestOptions, type TestServer } from '../../test/support/api-server.js';

let server: TestServer;
const token: Record<string, string> = {};
const OWNER = 'alice';
const MERGE = 'application/merge-patch+json';
const APPLY = 'application/apply-patch+yaml';

function as(who: string, method: string, path: string, opts: RequestOptions = {}): Promise<Reply> {
  if (who === OWNER) return server.request(method, path, opts);
  return server.request(method, path, { ...opts, via: 'tcp-no-token', headers: { ...(opts.headers ?? {}), authorization: `Bearer ${token[who]}` } });
}

function run(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name }, spec: { session: 's1', agent: 'coder', prompt: 'do it' }, ...extra };
}

function approval(name: string, runName: string, category = 'ToolExecution', request: Record<string, unknown> = { tool: 'RunCommand', command: 'npm test' }): Record<string, unknown> {
  return { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Approval', metadata: { name }, spec: { session: 's1', run: runName, category, request } };
}

const decide = (remember?: Record<string, unknown>) => ({ body: { spec: { decision: { verdict: 'Approved', ...(remember ? { remember } : {}) } } }, contentType: MERGE });
const path = (plural: string, name: string) => `${collection(plural)}/${name}`;

beforeAll(async () => {
  server = await startTestServer({ ownerName: OWNER });
  const r = await server.request('POST', '/apis/auth.sidekicks.dev/v1alpha1/tokens', {
    body: { apiVersion: 'auth.sidekicks.dev/v1alpha1', kind: 'Token', metadata: { name: 'carol' }, spec: { role: 'Collaborator' } },
  });
  expect(r.status).toBe(201);
  token.carol = r.json.status.token;
  expect((await as('carol', 'POST', collection('runs'), { body: run('carols-run') })).status).toBe(201);
  expect((await as(OWNER, 'POST', collection('runs'), { body: run('owners-run') })).status).toBe(201);
});

afterAll(async () => {
  await server?.close();
});

describe('remembering is an authorization decision', () => {
  test('a Collaborator cannot remember at Session or Agent scope, however the decision is written; nothing changes', async () => {
    expect((await as(OWNER, 'POST', collection('approvals'), { body: approval('c-1', 'carols-run') })).status).toBe(201);
    for (const scope of ['Session', 'Agent']) {
      const r = await as('carol', 'PATCH', path('approvals', 'c-1'), decide({ scope }));
      expect(r.status).toBe(403);
      expect(r.json).toMatchObject({ reason: 'Forbidden', code: 403 });
      expect(r.json.message).toContain(`remembering at ${scope} scope writes approvalpolicies "remembered-${scope.toLowerCase()}-${scope === 'Session' ? 's1' : 'coder'}"`);
      expect(r.json.message).toContain(`User "carol" cannot create approvalpolicies`);
      expect(r.json.message).toContain(`(rule ${RememberRule.WithinAuthority})`);
    }
    const live = (await as('carol', 'GET', path('approvals', 'c-1'))).json;
    const put = await as('carol', 'PUT', path('approvals', 'c-1'), { body: { ...live, spec: { ...live.spec, decision: { verdict: 'Approved', remember: { scope: 'Session' } } } } });
    expect(put.status).toBe(403);
    const applied = await as('carol', 'PATCH', `${path('approvals', 'c-1')}?fieldManager=carol`, {
      body: { ...approval('c-1', 'carols-run'), spec: { ...(approval('c-1', 'carols-run').spec as object), decision: { verdict: 'Approved', remember: { scope: 'Session' } } } },
      contentType: APPLY,
    });
    expect(applied.status).toBe(403);
    expect((await as('carol', 'GET', path('approvals', 'c-1'))).json.spec.decision).toBeUndefined();
    expect((await as(OWNER, 'GET', collection('approvalpolicies'))).json.items).toEqual([]);
  });

  test('a Collaborator remembers for their own run; the decision records who decided', async () => {
    const r = await as('carol', 'PATCH', path('approvals', 'c-1'), decide({ scope: 'Run' }));
    expect(r.status).toBe(200);
    expect(r.json.spec.decision).toEqual({ verdict: 'Approved', by: 'carol', remember: { scope: 'Run' } });
  });

  test('an over-broad pattern is 422 naming the field and the rule, for the Owner too', async () => {
    expect((await as(OWNER, 'POST', collection('approvals'), { body: approval('o-1', 'owners-run') })).status).toBe(201);
    const star = await as(OWNER, 'PATCH', path('approvals', 'o-1'), decide({ scope: 'Session', pattern: { command: '*' } }));
    expect(star.status).toBe(422);
    expect(star.json.details.causes).toEqual([
      { reason: 'FieldValueInvalid', field: 'spec.decision.remember.pattern.command', message: `Invalid value: "*": matches every command (rule ${RememberRule.NoMatchEverything})` },
    ]);
    const carolStar = await as('carol', 'POST', collection('approvals'), { body: approval('c-2', 'carols-run') });
    expect(carolStar.status).toBe(403); // a Collaborator never creates approvals; the Owner raises one for her run
    expect((await as(OWNER, 'POST', collection('approvals'), { body: approval('c-2', 'carols-run') })).status).toBe(201);
    expect((await as('carol', 'PATCH', path('approvals', 'c-2'), decide({ scope: 'Run', pattern: { command: '**' } }))).status).toBe(422);

    expect((await as(OWNER, 'POST', collection('approvals'), { body: approval('o-net', 'owners-run', 'NetworkAccess', { tool: 'RunCommand', url: 'https://registry.npmjs.org' }) })).status).toBe(201);
    const host = await as(OWNER, 'PATCH', path('approvals', 'o-net'), decide({ scope: 'Run', pattern: { host: 'registry.npmjs.org' } }));
    expect(host.status).toBe(422);
    expect(host.json.message).toContain(`NetworkAccess always asks`);
    expect(host.json.message).toContain(`(rule ${RememberRule.AlwaysAskRemembersTheRequest})`);
  });

  test('the Owner remembers at Session scope with a pattern that names what it allows', async () => {
    const r = await as(OWNER, 'PATCH', path('approvals', 'o-1'), decide({ scope: 'Session', pattern: { command: 'npm test*' } }));
    expect(r.status).toBe(200);
    expect(r.json.spec.decision.by).toBe(OWNER);
  });
});

describe('status is written through /status only', () => {
  test('a Run created Completed, or Running in "/", is created without status', async () => {
    for (const status of [{ phase: 'Completed' }, { phase: 'Running', workspace: { path: '/' } }]) {
      const name = `forged-${status.phase.toLowerCase()}`;
      const r = await as('carol', 'POST', collection('runs'), { body: run(name, { status }) });
      expect(r.status).toBe(201);
      expect(r.json.status).toBeUndefined();
      expect((await as('carol', 'GET', path('runs', name))).json.status).toBeUndefined();
    }
  });

  test('an Approval created already Approved is created without status', async () => {
    const r = await as(OWNER, 'POST', collection('approvals'), { body: { ...approval('forged-approval', 'owners-run'), status: { phase: 'Approved', decidedBy: OWNER } } });
    expect(r.status).toBe(201);
    expect(r.json.status).toBeUndefined();
  });

  test('update, merge patch and server-side apply of the main resource keep the stored status', async () => {
    const stored = await as(OWNER, 'PATCH', `${path('runs', 'carols-run')}/status`, { body: { status: { phase: 'Queued' } }, contentType: MERGE });
    expect(stored.status).toBe(200);
    const patched = await as('carol', 'PATCH', path('runs', 'carols-run'), { body: { metadata: { labels: { x: 'y' } }, status: { phase: 'Completed' } }, contentType: MERGE });
    expect(patched.status).toBe(200);
    expect(patched.json.status).toEqual({ phase: 'Queued' });
    const put = await as('carol', 'PUT', path('runs', 'carols-run'), { body: { ...patched.json, status: { phase: 'Running', workspace: { path: '/' } } } });
    expect(put.status).toBe(200);
    expect(put.json.status).toEqual({ phase: 'Queued' });
    const applied = await as('carol', 'PATCH', `${path('runs', 'carols-run')}?fieldManager=carol`, { body: run('carols-run', { status: { phase: 'Completed' } }), contentType: APPLY });
    expect(applied.status).toBe(200);
    expect(applied.json.status).toEqual({ phase: 'Queued' });
  });

  test('a status the schema would refuse does not fail a write that ignores it', async () => {
    const r = await as(OWNER, 'POST', collection('runs'), { body: run('bad-status', { status: { phase: 'NoSuchPhase' } }) });
    expect(r.status).toBe(201);
    expect(r.json.status).toBeUndefined();
  });
});

describe('a cross-node dispatch is decided by an Owner of the session', () => {
  const crossNode = (name: string): Record<string, unknown> => {
    const a = approval(name, 'carols-run');
    return { ...a, metadata: { name, annotations: { [CROSS_NODE_DISPATCH]: 'true' } } };
  };

  test('a Collaborator who may decide their own run\'s approvals may not decide a dangerous call on another person\'s node; nothing changes', async () => {
    expect((await as(OWNER, 'POST', collection('approvals'), { body: crossNode('x-1') })).status).toBe(201);
    const r = await as('carol', 'PATCH', path('approvals', 'x-1'), decide());
    expect(r.status).toBe(403);
    expect(r.json.message).toBe('approvals.sidekicks.dev "x-1" is forbidden: ToolExecution on another person\'s node (cross-node dispatch) is decided by an Owner of session "s1"; User "carol" is not one');
    expect((await as(OWNER, 'GET', path('approvals', 'x-1'))).json.spec.decision).toBeUndefined();
  });

  test('a member with role Owner in the session may, and so may the Owner of everything', async () => {
    const session = { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name: 's1' }, spec: { members: [{ participant: 'carol', role: 'Owner' }, { participant: OWNER, role: 'Owner' }] } };
    expect((await as(OWNER, 'POST', collection('sessions'), { body: session })).status).toBe(201);
    expect((await as('carol', 'PATCH', path('approvals', 'x-1'), decide())).status).toBe(200);
    expect((await as(OWNER, 'POST', collection('approvals'), { body: crossNode('x-2') })).status).toBe(201);
    const byOwner = await as(OWNER, 'PATCH', path('approvals', 'x-2'), decide());
    expect(byOwner.status).toBe(200);
  });
});
