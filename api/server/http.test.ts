/**
 * The API server over HTTP: discovery, CRUD, Status errors, patches, dry run, field validation,
 * body limit, Table output and authentication.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { stringify as toYaml } from 'yaml';
import { agentManifest, collection, startTestServer, type TestServer } from '../../test/support/api-server.js';

let server: TestServer;
const AGENTS = collection('agents');

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.close();
});

describe('discovery', () => {
  it('serves version, core and group discovery', async () => {
    const version = await server.request('GET', '/version');
    expect(version.json).toMatchObject({ major: '1', gitVersion: expect.stringMatching(/^v1\./) });
    expect((await server.request('GET', '/api')).json).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const groups = (await server.request('GET', '/apis')).json;
    expect(groups.kind).toBe('APIGroupList');
    expect(groups.groups[0].preferredVersion.groupVersion).toBe('sidekicks.dev/v1alpha1');
    const core = (await server.request('GET', '/api/v1')).json;
    expect(core.resources.map((r: { name: string }) => r.name)).toEqual(['events']);
  });

  it('lists every kind with verbs, short names, categories and status subresources', async () => {
    const list = (await server.request('GET', '/apis/sidekicks.dev/v1alpha1')).json;
    const runs = list.resources.find((r: { name: string }) => r.name === 'runs');
    expect(runs).toMatchObject({ singularName: 'run', namespaced: true, kind: 'Run', shortNames: ['run'], categories: expect.arrayContaining(['all']) });
    expect(runs.verbs).toEqual(expect.arrayContaining(['create', 'get', 'list', 'watch', 'patch', 'update', 'delete', 'deletecollection']));
    expect(list.resources.find((r: { name: string }) => r.name === 'runs/status')).toMatchObject({ kind: 'Run', verbs: ['get', 'patch', 'update'] });
    expect(list.resources.find((r: { name: string }) => r.name === 'runtimenodes').namespaced).toBe(false);
  });

  it('serves OpenAPI v3 with hashed links, ETags and 304', async () => {
    const index = (await server.request('GET', '/openapi/v3')).json;
    const url: string = index.paths['apis/sidekicks.dev/v1alpha1'].serverRelativeURL;
    expect(url).toMatch(/\?hash=[0-9A-F]+$/);
    const doc = await server.request('GET', url);
    expect(doc.status).toBe(200);
    expect(doc.headers['cache-control']).toContain('immutable');
    const again = await server.request('GET', url, { headers: { 'if-none-match': String(doc.headers.etag) } });
    expect(again.status).toBe(304);
    // The document offers only the patch types the server accepts.
    const patch = doc.json.paths['/apis/sidekicks.dev/v1alpha1/namespaces/{namespace}/runs/{name}'].patch;
    expect(Object.keys(patch.requestBody.content)).not.toContain('application/strategic-merge-patch+json');
  });
});

describe('CRUD and errors', () => {
  it('creates, gets, lists, updates and deletes', async () => {
    const created = await server.request('POST', AGENTS, { body: agentManifest('crud', { model: 'a' }) });
    expect(created.status).toBe(201);
    expect(created.json.metadata).toMatchObject({ name: 'crud', namespace: 'default', generation: 1, uid: expect.any(String) });
    expect(created.json.spec.maxTurns).toBe(50);
    const got = await server.request('GET', `${AGENTS}/crud`);
    expect(got.json.spec.model).toBe('a');
    const list = await server.request('GET', AGENTS);
    expect(list.json.kind).toBe('AgentList');
    expect(list.json.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toContain('crud');
    const all = await server.request('GET', '/apis/sidekicks.dev/v1alpha1/agents');
    expect(all.json.items.length).toBeGreaterThanOrEqual(1);

    const updated = await server.request('PUT', `${AGENTS}/crud`, { body: { ...got.json, spec: { ...got.json.spec, model: 'b' } } });
    expect(updated.status).toBe(200);
    expect(updated.json.metadata.generation).toBe(2);
    const stale = await server.request('PUT', `${AGENTS}/crud`, { body: got.json });
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({ kind: 'Status', reason: 'Conflict', code: 409 });

    const deleted = await server.request('DELETE', `${AGENTS}/crud`);
    expect(deleted.json).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'crud', kind: 'agents' } });
    const gone = await server.request('GET', `${AGENTS}/crud`);
    expect(gone.status).toBe(404);
    expect(gone.json).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'agents.sidekicks.dev "crud" not found' });
  });

  it('answers 422 with every invalid field as a cause', async () => {
    const bad = await server.request('POST', AGENTS, { body: agentManifest('bad', { driver: 'Nope', maxTurns: 0 }) });
    expect(bad.status).toBe(422);
    expect(bad.json.reason).toBe('Invalid');
    const fields = bad.json.details.causes.map((c: { field: string }) => c.field);
    expect(fields).toEqual(expect.arrayContaining(['spec.driver', 'spec.maxTurns']));
  });

  it('answers AlreadyExists, wrong kind, namespace mismatch and unknown resources with Status', async () => {
    await server.request('POST', AGENTS, { body: agentManifest('twice') });
    expect((await server.request('POST', AGENTS, { body: agentManifest('twice') })).json.reason).toBe('AlreadyExists');
    const wrongKind = await server.request('POST', AGENTS, { body: { ...agentManifest('k'), kind: 'Run' } });
    expect(wrongKind.status).toBe(400);
    const wrongNs = await server.request('POST', AGENTS, { body: agentManifest('n', {}, { namespace: 'other' }) });
    expect(wrongNs.status).toBe(400);
    const unknown = await server.request('GET', collection('widgets'));
    expect(unknown.status).toBe(404);
    expect(unknown.json.kind).toBe('Status');
  });

  it('names the problem in malformed JSON and YAML', async () => {
    const json = await server.request('POST', AGENTS, { raw: '{"apiVersion": ' });
    expect(json.status).toBe(400);
    expect(json.json.message).toMatch(/JSON/);
    const yaml = await server.request('PATCH', `${AGENTS}/twice?fieldManager=t`, { raw: 'a: [', contentType: 'application/apply-patch+yaml' });
    expect(yaml.status).toBe(400);
    expect(yaml.json.message).toMatch(/YAML/);
  });

  it('refuses bodies over 3 MiB with 413', async () => {
    const big = agentManifest('big', { instructions: 'x'.repeat(3 * 1024 * 1024) });
    const res = await server.request('POST', AGENTS, { body: big });
    expect(res.status).toBe(413);
    expect(res.json.reason).toBe('RequestEntityTooLarge');
  });

  it('dryRun=All validates and stores nothing', async () => {
    const res = await server.request('POST', `${AGENTS}?dryRun=All`, { body: agentManifest('dry') });
    expect(res.status).toBe(201);
    expect(res.json.spec.maxTurns).toBe(50);
    expect((await server.request('GET', `${AGENTS}/dry`)).status).toBe(404);
    const invalid = await server.request('POST', `${AGENTS}?dryRun=All`, { body: agentManifest('dry', { driver: 'Nope' }) });
    expect(invalid.status).toBe(422);
  });

  it('applies fieldValidation: Strict rejects, Warn warns and drops, Ignore drops', async () => {
    const body = agentManifest('fv', { colour: 'red' });
    const strict = await server.request('POST', `${AGENTS}?fieldValidation=Strict`, { body });
    expect(strict.status).toBe(400);
    expect(strict.json.message).toBe('strict decoding error: unknown field "spec.colour"');
    const warn = await server.request('POST', `${AGENTS}?fieldValidation=Warn&dryRun=All`, { body });
    expect(warn.status).toBe(201);
    expect(warn.headers.warning).toBe('299 - "unknown field \\"spec.colour\\""');
    expect(warn.json.spec.colour).toBeUndefined();
    const ignore = await server.request('POST', `${AGENTS}?fieldValidation=Ignore`, { body });
    expect(ignore.status).toBe(201);
    expect(ignore.headers.warning).toBeUndefined();
    expect(ignore.json.spec.colour).toBeUndefined();
  });

  it('deletes with a finalizer: the object stays with deletionTimestamp until the finalizer goes', async () => {
    await server.request('POST', AGENTS, { body: agentManifest('fin', {}, { finalizers: ['sidekicks.dev/x'] }) });
    const del = await server.request('DELETE', `${AGENTS}/fin`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' } });
    expect(del.status).toBe(202);
    expect(del.json.metadata.deletionTimestamp).toEqual(expect.any(String));
    const patched = await server.request('PATCH', `${AGENTS}/fin`, { body: { metadata: { finalizers: null } }, contentType: 'application/merge-patch+json' });
    expect(patched.status).toBe(200);
    expect((await server.request('GET', `${AGENTS}/fin`)).status).toBe(404);
  });

  it('deletes a collection by label selector', async () => {
    for (const n of ['dc-1', 'dc-2']) await server.request('POST', AGENTS, { body: agentManifest(n, {}, { labels: { batch: 'dc' } }) });
    const res = await server.request('DELETE', `${AGENTS}?labelSelector=batch%3Ddc`);
    expect(res.json.items.map((i: { metadata: { name: string } }) => i.metadata.name).sort()).toEqual(['dc-1', 'dc-2']);
    expect((await server.request('GET', `${AGENTS}?labelSelector=batch%3Ddc`)).json.items).toEqual([]);
    expect((await server.request('GET', `${AGENTS}?labelSelector=%3D%3D`)).status).toBe(400);
  });

  it('writes status only through the status subresource', async () => {
    await server.request('POST', AGENTS, { body: agentManifest('st') });
    const res = await server.request('PATCH', `${AGENTS}/st/status`, { body: { status: { phase: 'Ready' } }, contentType: 'application/merge-patch+json' });
    expect(res.status).toBe(200);
    expect(res.json.status.phase).toBe('Ready');
    const main = await server.request('PATCH', `${AGENTS}/st`, { body: { status: { phase: 'Unavailable' } }, contentType: 'application/merge-patch+json' });
    expect(main.json.status.phase).toBe('Ready');
  });
});

describe('patches', () => {
  it('applies merge and JSON patches and refuses strategic merge with 415', async () => {
    await server.request('POST', AGENTS, { body: agentManifest('p', { model: 'a', instructions: 'i' }) });
    const merge = await server.request('PATCH', `${AGENTS}/p`, { body: { spec: { model: 'b', instructions: null } }, contentType: 'application/merge-patch+json' });
    expect(merge.json.spec).toMatchObject({ model: 'b' });
    expect(merge.json.spec.instructions).toBeUndefined();
    const json = await server.request('PATCH', `${AGENTS}/p`, { body: [{ op: 'replace', path: '/spec/model', value: 'c' }], contentType: 'application/json-patch+json' });
    expect(json.json.spec.model).toBe('c');
    const failedTest = await server.request('PATCH', `${AGENTS}/p`, { body: [{ op: 'test', path: '/spec/model', value: 'zzz' }], contentType: 'application/json-patch+json' });
    expect(failedTest.status).toBe(422);
    const smp = await server.request('PATCH', `${AGENTS}/p`, { body: { spec: { model: 'd' } }, contentType: 'application/strategic-merge-patch+json' });
    expect(smp.status).toBe(415);
    expect(smp.json.reason).toBe('UnsupportedMediaType');
    const invalid = await server.request('PATCH', `${AGENTS}/p`, { body: { spec: { maxTurns: -1 } }, contentType: 'application/merge-patch+json' });
    expect(invalid.status).toBe(422);
    expect(invalid.json.details.causes[0].field).toBe('spec.maxTurns');
  });

  it('records Update managedFields for the field manager', async () => {
    await server.request('POST', `${AGENTS}?fieldManager=creator`, { body: agentManifest('mf', { model: 'a' }) });
    const res = await server.request('PATCH', `${AGENTS}/mf?fieldManager=editor`, { body: { spec: { model: 'b' } }, contentType: 'application/merge-patch+json' });
    const byManager = Object.fromEntries(res.json.metadata.managedFields.map((m: { manager: string }) => [m.manager, m]));
    expect(byManager.editor).toMatchObject({ operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:model': {} } } });
    expect(byManager.creator.fieldsV1['f:spec']['f:model']).toBeUndefined();
    expect(byManager.creator.fieldsV1['f:spec']['f:driver']).toEqual({});
  });

  it('defaults the manager from the User-Agent', async () => {
    const res = await server.request('POST', AGENTS, { body: agentManifest('ua'), headers: { 'user-agent': 'sidekick/0.1.0 (linux)' } });
    expect(res.json.metadata.managedFields[0].manager).toBe('sidekick');
  });
});

describe('server-side apply', () => {
  const apply = (name: string, spec: Record<string, unknown>, query: string) =>
    server.request('PATCH', `${AGENTS}/${name}?${query}`, { raw: toYaml(agentManifest(name, spec)), contentType: 'application/apply-patch+yaml' });

  it('creates, records ownership, removes fields no longer applied, and requires a manager', async () => {
    const created = await apply('ssa', { model: 'a', instructions: 'i' }, 'fieldManager=alice');
    expect(created.status).toBe(200);
    const entry = created.json.metadata.managedFields.find((m: { manager: string }) => m.manager === 'alice');
    expect(entry).toMatchObject({ operation: 'Apply', fieldsV1: { 'f:spec': { 'f:driver': {}, 'f:model': {}, 'f:instructions': {} } } });
    const shrunk = await apply('ssa', { model: 'a' }, 'fieldManager=alice');
    expect(shrunk.json.spec.instructions).toBeUndefined();
    expect(shrunk.json.spec.model).toBe('a');
    expect((await apply('ssa', { model: 'a' }, '')).status).toBe(400);
  });

  it('conflicts on a field another manager owns with a different value, unless forced', async () => {
    await apply('owned', { model: 'a' }, 'fieldManager=alice');
    const same = await apply('owned', { model: 'a' }, 'fieldManager=bob');
    expect(same.status).toBe(200);
    const clash = await apply('owned', { model: 'b', maxTurns: 7 }, 'fieldManager=carol');
    expect(clash.status).toBe(409);
    expect(clash.json.reason).toBe('Conflict');
    expect(clash.json.message).toContain('Apply failed with 2 conflicts: conflicts with "alice":\n- .spec.model');
    expect(clash.json.details.causes).toEqual(
      expect.arrayContaining([{ reason: 'FieldManagerConflict', message: 'conflict with "alice"', field: '.spec.model' }]),
    );
    const forced = await apply('owned', { model: 'b' }, 'fieldManager=carol&force=true');
    expect(forced.status).toBe(200);
    expect(forced.json.spec.model).toBe('b');
    const alice = forced.json.metadata.managedFields.find((m: { manager: string }) => m.manager === 'alice');
    expect(alice.fieldsV1['f:spec']['f:model']).toBeUndefined();
  });

  it('owns keyed list items per item: removes only the items this manager stopped applying', async () => {
    const session = (members: string[]) =>
      toYaml({ apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name: 'team' }, spec: { members: members.map((p) => ({ participant: p, role: 'Owner' })) } });
    const applySession = (members: string[], manager: string) =>
      server.request('PATCH', `${collection('sessions')}/team?fieldManager=${manager}`, { raw: session(members), contentType: 'application/apply-patch+yaml' });
    expect((await applySession(['alice', 'carol'], 'alice')).status).toBe(200);
    expect((await applySession(['bob'], 'bob')).status).toBe(200);
    const res = await applySession(['alice'], 'alice');
    expect(res.status).toBe(200);
    expect(res.json.spec.members.map((m: { participant: string }) => m.participant)).toEqual(['alice', 'bob']);
    const bob = res.json.metadata.managedFields.find((m: { manager: string }) => m.manager === 'bob');
    expect(Object.keys(bob.fieldsV1['f:spec']['f:members'])).toEqual(['k:{"participant":"bob"}']);
  });

  it('conflicts with a manager that wrote the field through an update', async () => {
    await server.request('POST', `${AGENTS}?fieldManager=kubectl-client-side-apply`, { body: agentManifest('mixed', { model: 'a' }) });
    const clash = await apply('mixed', { model: 'z' }, 'fieldManager=kubectl');
    expect(clash.status).toBe(409);
    expect(clash.json.message).toBe('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply": .spec.model');
  });
});

describe('Table output', () => {
  const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

  it('renders printer columns with NAME first and AGE, priority for wide columns', async () => {
    await server.request('POST', collection('runs'), {
      body: { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name: 'tbl' }, spec: { session: 's', agent: 'a', prompt: 'p' } },
    });
    const table = (await server.request('GET', collection('runs'), { accept: TABLE })).json;
    expect(table).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    const names = table.columnDefinitions.map((c: { name: string }) => c.name);
    expect(names[0]).toBe('Name');
    expect(names).toContain('Age');
    expect(table.columnDefinitions.find((c: { name: string }) => c.name === 'Branch').priority).toBe(1);
    const row = table.rows.find((r: { cells: unknown[] }) => r.cells[0] === 'tbl');
    expect(row.cells[names.indexOf('Session')]).toBe('s');
    expect(row.cells[names.indexOf('Phase')]).toBeNull();
    expect(row.cells[names.indexOf('Age')]).toMatch(/^\d+s$/);
    expect(row.object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'tbl' } });
    const single = (await server.request('GET', `${collection('runs')}/tbl?includeObject=Object`, { accept: TABLE })).json;
    expect(single.rows[0].object.spec.prompt).toBe('p');
  });
});

describe('authentication', () => {
  it('requires the bearer token on TCP and on the Unix socket alike', async () => {
    const anonymous = await server.request('GET', AGENTS, { via: 'tcp-no-token' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.json).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    const wrong = await server.request('GET', AGENTS, { via: 'tcp-no-token', headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    expect((await server.request('GET', AGENTS, { via: 'tcp' })).status).toBe(200);
    expect((await server.request('GET', AGENTS, { via: 'socket' })).status).toBe(200);
    // The socket's file mode keeps other users out, not the daemon user's own processes (an agent's commands).
    const local = await server.request('GET', AGENTS, { via: 'socket-no-token' });
    expect(local.status).toBe(401);
    expect(local.json).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect((await server.request('GET', '/healthz', { via: 'tcp-no-token' })).text).toBe('ok');
  });
});
