/**
 * Query parameters are parsed once with kube-apiserver's rules — int64 integers, Go's ParseBool
 * booleans, closed sets — and a bad one is a 400 naming it; field selectors are limited to the
 * fields a kind declares; an unroutable path is a 404 Status.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../../test/eventually.js';
import { ApiError } from '../errors.js';
import { parseQuery } from './query.js';
import { agentManifest, collection, startTestServer, type TestServer } from '../../test/support/api-server.js';

const parse = (qs: string) => parseQuery(new URLSearchParams(qs));

function refusal(qs: string): string {
  try {
    parse(qs);
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(400);
    return (err as ApiError).message;
  }
  throw new Error(`${qs} was accepted`);
}

describe('parseQuery', () => {
  it.each(['1', 't', 'T', 'TRUE', 'true', 'True'])('reads watch=%s as true, as strconv.ParseBool', (v) => {
    expect(parse(`watch=${v}`).watch).toBe(true);
  });

  it.each(['0', 'f', 'F', 'FALSE', 'false', 'False', ''])('reads watch=%s as false', (v) => {
    expect(parse(`watch=${v}`).watch).toBe(false);
  });

  it.each([
    ['watch=yes', 'watch: Invalid value: "yes": must be a boolean'],
    ['allowWatchBookmarks=tRuE', 'allowWatchBookmarks: Invalid value: "tRuE": must be a boolean'],
    ['force=2', 'force: Invalid value: "2": must be a boolean'],
    ['limit=99999999999999999999', 'limit: Invalid value: "99999999999999999999": must be a non-negative integer of at most 64 bits'],
    ['limit=-1', 'limit: Invalid value: "-1": must be a non-negative integer'],
    ['limit=1.5', 'limit: Invalid value: "1.5": must be a non-negative integer'],
    ['limit=0x10', 'limit: Invalid value: "0x10": must be a non-negative integer'],
    ['timeoutSeconds=abc', 'timeoutSeconds: Invalid value: "abc": must be a non-negative integer'],
    ['gracePeriodSeconds=9223372036854775808', 'gracePeriodSeconds: Invalid value: "9223372036854775808": must be an integer of at most 64 bits'],
    ['after=x', 'after: Invalid value: "x": must be a non-negative integer'],
    ['includeObject=All', 'includeObject: Unsupported value: "All": supported values: "None", "Metadata", "Object"'],
    ['propagationPolicy=Sideways', 'propagationPolicy: Unsupported value: "Sideways": supported values: "Foreground", "Background", "Orphan"'],
    ['dryRun=true', 'dryRun: Unsupported value: "true": supported values: "All"'],
    [`fieldManager=${'m'.repeat(129)}`, `fieldManager: Invalid value: "${'m'.repeat(100)}…": must be printable ASCII of at most 128 characters`],
    ['resourceVersionMatch=Exact', 'resourceVersionMatch: Unsupported value: "Exact": supported values: "NotOlderThan"'],
    ['sendInitialEvents=yes', 'sendInitialEvents: Invalid value: "yes": must be a boolean'],
    ['pretty=2', 'pretty: Invalid value: "2": must be a boolean'],
  ])('refuses %s naming the parameter', (qs, message) => {
    expect(refusal(qs)).toContain(message);
  });

  it('takes int64 values, clamping those past a safe JS number', () => {
    expect(parse('limit=9223372036854775807').limit).toBe(Number.MAX_SAFE_INTEGER);
    expect(parse('limit=%2B5').limit).toBe(5);
    expect(parse('gracePeriodSeconds=-3').gracePeriodSeconds).toBe(-3);
  });

  it('reads the first of repeated values, as kube-apiserver does', () => {
    expect(parse('limit=2&limit=x').limit).toBe(2);
  });
});

describe('over HTTP', () => {
  let server: TestServer;
  const logged: string[] = [];
  const AGENTS = collection('agents');
  const RUNS = collection('runs');

  beforeAll(async () => {
    server = await startTestServer({ log: (line) => logged.push(line) });
    await server.request('POST', AGENTS, { body: agentManifest('one') });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('answers a limit past int64 with 400 naming it, and the largest int64 with the whole list', async () => {
    const over = await server.request('GET', `${AGENTS}?limit=99999999999999999999`);
    expect(over.status).toBe(400);
    expect(over.json).toMatchObject({ kind: 'Status', reason: 'BadRequest', details: { causes: [{ field: 'limit' }] } });
    const max = await server.request('GET', `${AGENTS}?limit=9223372036854775807`);
    expect(max.status).toBe(200);
    expect(max.json.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual(['one']);
  });

  it('watches for watch=True, as the Python client sends it', async () => {
    const stream = await server.watch(`${AGENTS}?watch=True`);
    try {
      expect(stream.status).toBe(200);
      const added = await eventually(() => stream.events[0]);
      expect(added).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'one' } } });
    } finally {
      stream.close();
    }
  });

  it('ends a watch whose timeoutSeconds is past what a timer holds only when asked to stop', async () => {
    const stream = await server.watch(`${AGENTS}?watch=1&timeoutSeconds=9223372036854775807`);
    expect(stream.status).toBe(200);
    await server.request('POST', AGENTS, { body: agentManifest('two') });
    const second = await eventually(() => stream.events.find((e) => e.object.metadata?.name === 'two'));
    expect(second).toMatchObject({ type: 'ADDED' });
    stream.close();
  });

  it('answers GET // and other unroutable paths with a 4xx Status, and routes an absolute-form target by its path', async () => {
    for (const [path, status] of [
      ['//', 404],
      ['//apis', 404],
      ['//version', 404],
      ['/apis/sidekicks.dev/v1alpha1/namespaces/default/agents/%E0%A4%A', 400],
      ['http://sidekick.local/apis/sidekicks.dev/v1alpha1/namespaces/default/agents/one', 200],
    ] as const) {
      const res = await server.request('GET', path);
      expect([path, res.status]).toEqual([path, status]);
      if (status !== 200) expect(res.json.kind).toBe('Status');
    }
    expect(logged.filter((l) => l.startsWith('api: '))).toEqual([]);
  });

  it('refuses a field selector on a field the kind does not declare, for lists, watches and collection deletes', async () => {
    const message =
      'field label not supported: "spec.sesion" is not a known field selector for runs; supported: metadata.name, metadata.namespace, spec.session, status.phase, spec.nodeName';
    for (const [method, path] of [
      ['GET', `${RUNS}?fieldSelector=${encodeURIComponent('spec.sesion!=x')}`],
      ['GET', `${RUNS}?watch=1&fieldSelector=${encodeURIComponent('spec.sesion!=x')}`],
      ['DELETE', `${RUNS}?fieldSelector=${encodeURIComponent('spec.sesion!=x')}`],
    ] as const) {
      const res = await server.request(method, path);
      expect([method, res.status, res.json.message]).toEqual([method, 400, message]);
    }
    const agents = await server.request('DELETE', `${AGENTS}?fieldSelector=${encodeURIComponent('spec.driver!=x')}`);
    expect(agents.status).toBe(400);
    expect((await server.request('GET', AGENTS)).json.items.length).toBeGreaterThan(0);
  });

  it('accepts the declared fields', async () => {
    for (const path of [
      `${RUNS}?fieldSelector=${encodeURIComponent('spec.session=s,status.phase!=Failed,metadata.name=x,metadata.namespace=default')}`,
      `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent('involvedObject.kind=Agent,involvedObject.name=one,type=Normal,reason=Created')}`,
      `${AGENTS}?fieldSelector=metadata.name%3Done`,
    ]) {
      expect([path, (await server.request('GET', path)).status]).toEqual([path, 200]);
    }
  });
});
