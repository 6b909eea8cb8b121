/**
 * Several API groups on one server: sidekicks.dev/v1alpha1 and Kubernetes' coordination.k8s.io/v1
 * (Lease) — discovery, routing (a kind answers only in its own group-version), Table output, and
 * who may read and write leases (the Owner; readers read).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestServer, type TestServer } from '../../test/support/api-server.js';

let server: TestServer;
const token: Record<string, string> = {};
const LEASES = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

const lease = (name: string, holder = 'replica-1') => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name },
  spec: { holderIdentity: holder, leaseDurationSeconds: 15, renewTime: '2026-01-02T03:04:05.000000Z', leaseTransitions: 0 },
});

const as = (who: string, method: string, path: string, body?: unknown) =>
  server.request(method, path, { body, via: 'tcp-no-token', headers: { authorization: `Bearer ${token[who]}` } });

beforeAll(async () => {
  server = await startTestServer({ ownerName: 'alice' });
  for (const [name, role] of [['bob', 'Viewer'], ['carol', 'Collaborator']]) {
    const r = await server.request('POST', '/apis/auth.sidekicks.dev/v1alpha1/tokens', {
      body: { apiVersion: 'auth.sidekicks.dev/v1alpha1', kind: 'Token', metadata: { name }, spec: { role } },
    });
    token[name!] = r.json.status.token;
  }
});

afterAll(async () => {
  await server?.close();
});

describe('discovery of every group', () => {
  it('lists both groups, each with its own APIGroup and APIResourceList', async () => {
    const groups = (await server.request('GET', '/apis')).json.groups.map((g: { name: string; preferredVersion: { groupVersion: string } }) => g.preferredVersion.groupVersion);
    expect(groups).toEqual(['sidekicks.dev/v1alpha1', 'coordination.k8s.io/v1', 'auth.sidekicks.dev/v1alpha1', 'authorization.k8s.io/v1']);
    expect((await server.request('GET', '/apis/coordination.k8s.io')).json).toMatchObject({ kind: 'APIGroup', name: 'coordination.k8s.io', versions: [{ groupVersion: 'coordination.k8s.io/v1', version: 'v1' }] });
    const list = (await server.request('GET', '/apis/coordination.k8s.io/v1')).json;
    expect(list).toMatchObject({ kind: 'APIResourceList', groupVersion: 'coordination.k8s.io/v1' });
    expect(list.resources).toEqual([{ name: 'leases', singularName: 'lease', namespaced: true, kind: 'Lease', verbs: expect.arrayContaining(['create', 'get', 'list', 'watch', 'update', 'patch', 'delete']) }]);
    const ours = (await server.request('GET', '/apis/sidekicks.dev/v1alpha1')).json.resources.map((r: { name: string }) => r.name);
    expect(ours).toContain('runs');
    expect(ours).not.toContain('leases');
    const index = (await server.request('GET', '/openapi/v3')).json.paths;
    expect(Object.keys(index)).toEqual(expect.arrayContaining(['apis/sidekicks.dev/v1alpha1', 'apis/coordination.k8s.io/v1']));
    expect((await server.request('GET', index['apis/coordination.k8s.io/v1'].serverRelativeURL)).json.components.schemas['io.k8s.api.coordination.v1.Lease']).toBeDefined();
  });

  it.each([
    '/apis/coordination.k8s.io/v1/namespaces/default/runs',
    '/apis/coordination.k8s.io/v2/namespaces/default/leases',
    '/apis/sidekicks.dev/v1alpha1/namespaces/default/leases',
    '/apis/example.com',
    '/apis/example.com/v1',
    '/apis/example.com/v1/things',
  ])('answers 404 for %s', async (path) => {
    const r = await server.request('GET', path);
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ kind: 'Status', reason: 'NotFound' });
  });
});

describe('leases', () => {
  it('are stored, listed as a Table with Holder, and named in their group in errors', async () => {
    expect((await server.request('POST', LEASES, { body: lease('one') })).status).toBe(201);
    const table = (await server.request('GET', LEASES, { accept: TABLE })).json;
    expect(table.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(['Name', 'Holder', 'Age']);
    expect(table.rows.map((r: { cells: unknown[] }) => r.cells.slice(0, 2))).toEqual([['one', 'replica-1']]);
    const missing = await server.request('GET', `${LEASES}/none`);
    expect(missing.json).toMatchObject({ reason: 'NotFound', message: 'leases.coordination.k8s.io "none" not found' });
    const wrongVersion = await server.request('POST', LEASES, { body: { ...lease('two'), apiVersion: 'sidekicks.dev/v1alpha1' } });
    expect(wrongVersion.status).toBe(400);
    const bad = await server.request('POST', LEASES, { body: { ...lease('bad'), spec: { leaseTransitions: -1 } } });
    expect(bad.json).toMatchObject({ reason: 'Invalid', details: { group: 'coordination.k8s.io', kind: 'Lease', name: 'bad' } });
    expect(bad.json.details.causes.map((c: { field: string }) => c.field)).toEqual(['spec.leaseTransitions']);
    // Kubernetes' Lease needs no spec; ours defaults it.
    const bare = await server.request('POST', LEASES, { body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'bare' } } });
    expect(bare.status).toBe(201);
    expect(bare.json.spec).toEqual({});
  });

  it('may be written by the Owner and read by Viewers and Collaborators, not written by them', async () => {
    expect((await as('bob', 'GET', LEASES)).status).toBe(200);
    expect((await as('carol', 'GET', `${LEASES}/one`)).status).toBe(200);
    expect((await as('bob', 'POST', LEASES, lease('by-bob'))).status).toBe(403);
    const carol = await as('carol', 'PUT', `${LEASES}/one`, lease('one', 'carol'));
    expect(carol.status).toBe(403);
    expect(carol.json.message).toContain('leases.coordination.k8s.io');
    const put = await server.request('PUT', `${LEASES}/one`, { body: lease('one', 'replica-2') });
    expect(put.status).toBe(200);
    expect(put.json.spec.holderIdentity).toBe('replica-2');
  });
});
