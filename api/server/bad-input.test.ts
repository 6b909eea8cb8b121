/**
 * Bad request bodies get a 4xx that names what is wrong — never a 500, never a partial write:
 * nesting past the limit, metadata of the wrong type on every write path, and a client that
 * leaves mid-body (neither answered nor logged as a failure, nothing stored).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { readFile } from 'node:fs/promises';
import { MAX_BODY_DEPTH, nestingDepth } from './body.js';
import { agentManifest, collection, startTestServer, type TestServer } from '../../test/support/api-server.js';

let server: TestServer;
const AGENTS = collection('agents');
/** Every line the daemon logged: a 500 would be among them. */
const logged: string[] = [];

beforeAll(async () => {
  server = await startTestServer({ log: (line) => logged.push(line) });
});

afterAll(async () => {
  await server?.close();
});

function internalErrors(): string[] {
  return logged.filter((l) => l.startsWith('api: '));
}

/** An Agent whose `spec.config` holds arrays nested `depth` levels (the object itself adds 2). */
function nestedAgent(name: string, depth: number): string {
  return `{"apiVersion":"sidekicks.dev/v1alpha1","kind":"Agent","metadata":{"name":"${name}"},"spec":{"driver":"Claude","config":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
}

describe('nesting depth', () => {
  it('is counted without recursion, stopping past the limit', () => {
    expect(nestingDepth({ a: [1, { b: [] }] })).toBe(4);
    expect(nestingDepth('text')).toBe(0);
    let deep: unknown = [];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(nestingDepth(deep, 10)).toBe(11);
  });

  it('refuses JSON and YAML bodies nested past the limit with 400 naming it, on every write', async () => {
    const tooDeep = MAX_BODY_DEPTH - 1; // plus the object and spec: one level over
    const json = await server.request('POST', AGENTS, { raw: nestedAgent('deep', tooDeep) });
    expect(json.status).toBe(400);
    expect(json.json).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
    expect(json.json.message).toBe(`error decoding JSON body: nested too deeply: the limit is ${MAX_BODY_DEPTH} levels of objects and arrays`);

    const huge = await server.request('POST', AGENTS, { raw: nestedAgent('huge', 500_000) });
    expect([huge.status, huge.json.message]).toEqual([400, json.json.message]);

    const flow = `apiVersion: sidekicks.dev/v1alpha1\nkind: Agent\nmetadata: {name: deep}\nspec: {driver: Claude, config: ${'['.repeat(20_000)}${']'.repeat(20_000)}}\n`;
    for (const yaml of [flow, nestedAgent('deep', tooDeep)]) {
      const res = await server.request('PATCH', `${AGENTS}/deep?fieldManager=t`, { raw: yaml, contentType: 'application/apply-patch+yaml' });
      expect(res.status).toBe(400);
      expect(res.json.message).toBe(`error decoding YAML body: nested too deeply: the limit is ${MAX_BODY_DEPTH} levels of objects and arrays`);
    }
    const merge = await server.request('PATCH', `${AGENTS}/deep`, { raw: `{"spec":{"config":${'['.repeat(300)}${']'.repeat(300)}}}`, contentType: 'application/merge-patch+json' });
    expect(merge.status).toBe(400);
    expect((await server.request('GET', `${AGENTS}/deep`)).status).toBe(404);
    expect(internalErrors()).toEqual([]);
  });

  it('accepts a body at the limit', async () => {
    const res = await server.request('POST', `${AGENTS}?dryRun=All`, { raw: nestedAgent('edge', MAX_BODY_DEPTH - 2) });
    expect(res.status).toBe(201);
  });

  it('refuses a body over the size limit with 413 naming the limit', async () => {
    const res = await server.request('POST', AGENTS, { body: agentManifest('big', { instructions: 'x'.repeat(3 * 1024 * 1024) }) });
    expect(res.status).toBe(413);
    expect(res.json.message).toBe('the request body is too large: the limit is 3145728 bytes');
  });
});

describe('metadata of the wrong type', () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['generateName: 5', { name: undefined, generateName: 5 }, 'metadata.generateName'],
    ['name: 5', { name: 5 }, 'metadata.name'],
    ['finalizers: [5]', { finalizers: [5] }, 'metadata.finalizers[0]'],
    ['finalizers: "x"', { finalizers: 'x' }, 'metadata.finalizers'],
    ['labels: "x"', { labels: 'x' }, 'metadata.labels'],
    ['annotations: [1]', { annotations: [1] }, 'metadata.annotations'],
    ['namespace: 7', { namespace: 7 }, 'namespace'],
  ];

  it.each(cases)('%s is a 4xx naming the field on create', async (_label, metadata, field) => {
    const res = await server.request('POST', AGENTS, { body: agentManifest('typed', {}, metadata) });
    expect([400, 422]).toContain(res.status);
    expect(res.json.message).toContain(field);
    expect(internalErrors()).toEqual([]);
  });

  it('is reported once, by the schema, not again by the shape checks', async () => {
    const res = await server.request('POST', AGENTS, { body: agentManifest('typed-once', {}, { labels: { a: 5 }, finalizers: [5] }) });
    expect(res.status).toBe(422);
    expect(res.json.details.causes.map((c: { field: string }) => c.field).sort()).toEqual(['metadata.finalizers[0]', 'metadata.labels[a]']);
  });

  it('is a 4xx on update, merge patch, JSON patch and server-side apply too', async () => {
    const live = (await server.request('POST', AGENTS, { body: agentManifest('typed-live') })).json;
    const path = `${AGENTS}/typed-live`;
    const answers = [
      await server.request('PUT', path, { body: { ...live, metadata: { ...live.metadata, finalizers: [5] } } }),
      await server.request('PATCH', path, { body: { metadata: { generateName: 5, finalizers: [5] } }, contentType: 'application/merge-patch+json' }),
      await server.request('PATCH', path, { body: [{ op: 'add', path: '/metadata/finalizers', value: [{}] }], contentType: 'application/json-patch+json' }),
      await server.request('PATCH', `${path}?fieldManager=t`, { body: agentManifest('typed-live', {}, { finalizers: [5], labels: { a: 1 } }), contentType: 'application/apply-patch+yaml' }),
      await server.request('PATCH', `${AGENTS}/typed-new?fieldManager=t`, { body: agentManifest('typed-new', {}, { finalizers: [5] }), contentType: 'application/apply-patch+yaml' }),
    ];
    expect(answers.map((a) => a.status)).toEqual([422, 422, 422, 422, 422]);
    for (const a of answers) expect(a.json.message).toMatch(/metadata\.(finalizers|generateName|labels)/);
    expect((await server.request('GET', path)).json.metadata.finalizers).toBeUndefined();
    expect(internalErrors()).toEqual([]);
  });
});

describe('a client that leaves mid-body', () => {
  it('is neither answered nor logged as a failure, and nothing is stored', async () => {
    const ca = await readFile(server.daemon.tcp!.caFile);
    const body = JSON.stringify(agentManifest('half'));
    const closed = new Promise<void>((resolve) => {
      const req = httpsRequest({
        host: '127.0.0.1',
        port: server.daemon.tcp!.port,
        ca,
        method: 'POST',
        path: AGENTS,
        headers: { authorization: `Bearer ${server.daemon.token}`, 'content-type': 'application/json', 'content-length': String(body.length) },
      });
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      // Half the body, then gone.
      req.write(body.slice(0, body.length / 2), () => req.destroy());
    });
    await closed;
    // A later request needs a new TLS handshake: by its answer the server has seen the close.
    expect((await server.request('GET', `${AGENTS}/half`)).status).toBe(404);
    expect(internalErrors()).toEqual([]);
  });
});

describe('requests the HTTP parser refuses', () => {
  /** Sends raw bytes over the daemon's socket and reads the answer to the end. */
  function raw(bytes: string): Promise<{ status: number; body: any }> {
    return new Promise((resolve, reject) => {
      const socket = connect(server.daemon.socketPath);
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (text += d));
      socket.on('error', reject);
      socket.on('end', () => {
        const [head, body] = [text.slice(0, text.indexOf('\r\n\r\n')), text.slice(text.indexOf('\r\n\r\n') + 4)];
        resolve({ status: Number(head.split(' ')[1]), body: JSON.parse(body) });
      });
      socket.end(bytes);
    });
  }

  it.each([
    ['an unknown method', 'BREW / HTTP/1.1\r\nHost: x\r\n\r\n', 405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource (BREW)'],
    ['a malformed request line', 'GET\r\n\r\n', 400, 'BadRequest', 'malformed HTTP request'],
    ['headers past the limit', `GET /version HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'BadRequest', 'the request headers are too large: the limit is'],
    ['a raw non-ASCII byte in the path', 'GET /\xe9 HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'BadRequest', 'malformed HTTP request'],
  ])('answers %s with a Status', async (_what, bytes, status, reason, message) => {
    const answer = await raw(bytes);
    expect(answer.status).toBe(status);
    expect(answer.body).toMatchObject({ kind: 'Status', status: 'Failure', reason, code: status });
    expect(answer.body.message).toContain(message);
  });

  it('answers a HEAD with the headers only', async () => {
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.daemon.socketPath);
      let got = '';
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => (got += d));
      socket.on('error', reject);
      socket.on('end', () => resolve(got));
      socket.end(Buffer.from('HEAD /\xe9 HTTP/1.1\r\nHost: x\r\n\r\n', 'latin1'));
    });
    expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(text.endsWith('\r\n\r\n')).toBe(true);
  });
});

describe('a DeleteOptions body', () => {
  it('is refused, naming the field, when a field has the wrong type — never ignored into a real delete', async () => {
    await server.request('POST', AGENTS, { body: agentManifest('kept') });
    const cases: [unknown, string][] = [
      [{ dryRun: 'All' }, 'DeleteOptions dryRun: Invalid value: "All": must be a list of strings, e.g. ["All"]'],
      [{ dryRun: ['Some'] }, 'dryRun: Unsupported value: "Some": supported values: "All"'],
      [{ preconditions: { uid: 5 } }, 'DeleteOptions preconditions.uid: Invalid value: 5: must be a string'],
      [{ preconditions: 'x' }, 'DeleteOptions preconditions: Invalid value: "x": must be an object with uid and/or resourceVersion'],
      [{ orphanDependents: 'true' }, 'DeleteOptions orphanDependents: Invalid value: "true": must be a boolean'],
      [{ gracePeriodSeconds: 1.5 }, 'DeleteOptions gracePeriodSeconds: Invalid value: 1.5: must be an integer'],
      [{ propagationPolicy: 5 }, 'propagationPolicy: Unsupported value: 5'],
      [[1], 'the body of a DELETE must be a DeleteOptions object'],
    ];
    for (const [body, message] of cases) {
      const res = await server.request('DELETE', `${AGENTS}/kept`, { body });
      expect([body, res.status, res.json.message]).toEqual([body, 400, expect.stringContaining(message)]);
    }
    expect((await server.request('DELETE', `${AGENTS}/kept`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', dryRun: ['All'], preconditions: { uid: null } } })).status).toBe(200);
    expect((await server.request('GET', `${AGENTS}/kept`)).status).toBe(200);
    expect(internalErrors()).toEqual([]);
  });
});

describe('a status write', () => {
  it('refuses malformed metadata in its body (naming the field) though it keeps none of it, as kube-apiserver does', async () => {
    const live = (await server.request('POST', collection('runtimenodes').replace('/namespaces/default', ''), { body: { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'RuntimeNode', metadata: { name: 'node-a' }, spec: { owner: 'o', maxRuns: 1 } } })).json;
    expect(live.metadata.name).toBe('node-a');
    const path = '/apis/sidekicks.dev/v1alpha1/runtimenodes/node-a/status';
    const answers = [
      await server.request('PUT', path, { body: { ...live, metadata: { name: 'node-a', labels: { a: 5 } } } }),
      await server.request('PUT', path, { body: { ...live, metadata: { name: 'node-a', generateName: 5 } } }),
      await server.request('PATCH', path, { body: { metadata: { finalizers: [5] } }, contentType: 'application/merge-patch+json' }),
      await server.request('PATCH', `${path}?fieldManager=t`, { body: { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'RuntimeNode', metadata: { name: 'node-a', annotations: { a: [] } } }, contentType: 'application/apply-patch+yaml' }),
    ];
    expect(answers.map((a) => [a.status, a.json.details?.causes?.[0]?.field])).toEqual([
      [422, 'metadata.labels[a]'],
      [422, 'metadata.generateName'],
      [422, 'metadata.finalizers[0]'],
      [422, 'metadata.annotations[a]'],
    ]);
    expect(internalErrors()).toEqual([]);
  });
});

describe('a PUT whose body does not name the object', () => {
  it('is refused (400 naming metadata.name) instead of becoming the object named in the URL, on the object and on /status', async () => {
    const path = '/apis/sidekicks.dev/v1alpha1/runtimenodes/node-b';
    const live = (await server.request('POST', '/apis/sidekicks.dev/v1alpha1/runtimenodes', { body: { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'RuntimeNode', metadata: { name: 'node-b' }, spec: { owner: 'o', maxRuns: 1 } } })).json;
    const answers = [
      await server.request('PUT', path, { body: { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'RuntimeNode', metadata: null, spec: { owner: 'x', maxRuns: 2 } } }),
      await server.request('PUT', `${path}/status`, { body: { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'RuntimeNode', spec: live.spec, status: { phase: 'Online' } } }),
    ];
    expect(answers.map((a) => [a.status, a.json.message, a.json.details?.causes?.[0]?.field])).toEqual([
      [400, 'the name of the object () does not match the name on the URL (node-b)', 'metadata.name'],
      [400, 'the name of the object () does not match the name on the URL (node-b)', 'metadata.name'],
    ]);
    expect((await server.request('GET', path)).json.metadata.resourceVersion).toBe(live.metadata.resourceVersion);
  });
});
