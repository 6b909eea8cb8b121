/**
 * /metrics over real HTTP against a real daemon: authentication, the Prometheus text format,
 * request counters and latencies labelled by verb, group, resource and code, open watches, store
 * latency, one registry per server, and reconcile and work-queue metrics once a controller works.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../../test/eventually.js';
import { agentManifest, collection, startTestServer, type TestServer } from '../../test/support/api-server.js';
import { parsePrometheus, type Exposition } from '../../test/support/prometheus.js';

const AGENTS = collection('agents');
const GROUP = 'sidekicks.dev';

async function scrape(server: TestServer): Promise<Exposition> {
  const r = await server.request('GET', '/metrics');
  expect(r.status).toBe(200);
  return parsePrometheus(r.text);
}

describe('/metrics of an API server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('requires a valid bearer token', async () => {
    expect((await server.request('GET', '/metrics', { via: 'tcp-no-token' })).status).toBe(401);
    expect((await server.request('GET', '/metrics', { headers: { authorization: 'Bearer not-a-token' } })).status).toBe(401);
    expect((await server.request('GET', '/metrics', { via: 'socket-no-token' })).status).toBe(401);
    const r = await server.request('GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  });

  it('parses as Prometheus text and carries the kube-style families and the process metrics', async () => {
    const m = await scrape(server);
    expect(Object.fromEntries(['apiserver_request_total', 'apiserver_request_duration_seconds', 'apiserver_longrunning_requests', 'sidekick_store_operation_duration_seconds', 'controller_runtime_reconcile_total', 'controller_runtime_reconcile_time_seconds', 'workqueue_depth', 'workqueue_adds_total', 'workqueue_queue_duration_seconds', 'sidekick_leader_is_leader', 'process_cpu_user_seconds_total', 'nodejs_eventloop_lag_seconds'].map((n) => [n, m.types.get(n)]))).toEqual({
      apiserver_request_total: 'counter',
      apiserver_request_duration_seconds: 'histogram',
      apiserver_longrunning_requests: 'gauge',
      sidekick_store_operation_duration_seconds: 'histogram',
      controller_runtime_reconcile_total: 'counter',
      controller_runtime_reconcile_time_seconds: 'histogram',
      workqueue_depth: 'gauge',
      workqueue_adds_total: 'counter',
      workqueue_queue_duration_seconds: 'histogram',
      sidekick_leader_is_leader: 'gauge',
      process_cpu_user_seconds_total: 'counter',
      nodejs_eventloop_lag_seconds: 'gauge',
    });
    expect(m.value('sidekick_leader_is_leader')).toBe(0);
    // The daemon's store is SQLite, and opening it read and wrote.
    expect(m.value('sidekick_store_operation_duration_seconds_count', { operation: 'read', backend: 'sqlite' })).toBeGreaterThan(0);
  });

  it('counts create, list, watch and apply by verb, group, resource and code, and shows open watches', async () => {
    expect((await server.request('POST', AGENTS, { body: agentManifest('counted') })).status).toBe(201);
    expect((await server.request('POST', AGENTS, { body: agentManifest('counted') })).status).toBe(409);
    expect((await server.request('GET', AGENTS)).status).toBe(200);
    expect((await server.request('GET', `${AGENTS}/counted`)).status).toBe(200);
    const applied = await server.request('PATCH', `${AGENTS}/applied?fieldManager=test`, { body: agentManifest('applied'), contentType: 'application/apply-patch+yaml' });
    expect(applied.status).toBeLessThan(300);
    const watch = await server.watch(`${AGENTS}?watch=1`);
    await eventually(() => watch.events.length >= 2);

    const open = await scrape(server);
    expect(open.value('apiserver_longrunning_requests', { verb: 'watch', group: GROUP, resource: 'agents' })).toBe(1);
    watch.close();
    await watch.ended;

    const m = await eventually(async () => {
      const s = await scrape(server);
      expect(s.value('apiserver_longrunning_requests', { verb: 'watch', group: GROUP, resource: 'agents' })).toBe(0);
      return s;
    });
    const total = (verb: string, code: string): number | undefined => m.value('apiserver_request_total', { verb, group: GROUP, resource: 'agents', code });
    expect({ create: total('create', '201'), conflict: total('create', '409'), list: total('list', '200'), get: total('get', '200'), apply: total('apply', String(applied.status)), watch: total('watch', '200') }).toEqual({
      create: 1,
      conflict: 1,
      list: 1,
      get: 1,
      apply: 1,
      watch: 1,
    });
    expect(m.value('apiserver_request_duration_seconds_count', { verb: 'create', group: GROUP, resource: 'agents' })).toBe(2);
    expect(m.value('apiserver_request_duration_seconds_bucket', { verb: 'list', group: GROUP, resource: 'agents', le: '+Inf' })).toBe(1);
    expect(m.value('sidekick_store_operation_duration_seconds_count', { operation: 'transaction', backend: 'sqlite' })).toBeGreaterThanOrEqual(2);
    // The labels name what was asked for; no other label sneaks in.
    expect(m.samples.find((s) => s.name === 'apiserver_request_total' && s.labels.verb === 'create')?.labels).toEqual({ verb: 'create', group: GROUP, resource: 'agents', code: '201' });
  });

  it('labels a resource the server does not serve as unknown, and non-resource paths with no group or resource', async () => {
    expect((await server.request('GET', collection('nosuchthings'))).status).toBe(404);
    expect((await server.request('GET', '/version')).status).toBe(200);
    const m = await scrape(server);
    expect(m.value('apiserver_request_total', { verb: 'list', group: GROUP, resource: 'unknown', code: '404' })).toBe(1);
    expect(m.value('apiserver_request_total', { verb: 'get', group: '', resource: '', code: '200' })).toBeGreaterThanOrEqual(1);
    expect(m.samples.some((s) => s.labels.resource === 'nosuchthings')).toBe(false);
  });

  it('keeps one registry per server: another server in this process counts only its own requests', async () => {
    const other = await startTestServer();
    try {
      const m = await scrape(other);
      expect(m.value('apiserver_request_total', { verb: 'create', group: GROUP, resource: 'agents', code: '201' })).toBeUndefined();
      expect(m.types.get('process_cpu_user_seconds_total')).toBe('counter');
    } finally {
      await other.close();
    }
  });
});

describe('/metrics of a daemon running controllers', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ controllers: true });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('reports reconciles and the work queue of a controller that reconciled', async () => {
    expect((await server.request('POST', AGENTS, { body: agentManifest('reconciled') })).status).toBe(201);
    // The Agent controller probes the new agent and writes its status: then it has reconciled it.
    await eventually(async () => (await server.request('GET', `${AGENTS}/reconciled`)).json?.status?.conditions?.length > 0);
    // Its passes end asking to probe again later: controller-runtime's `requeue_after`.
    const m = await eventually(async () => {
      const s = await scrape(server);
      expect(s.value('controller_runtime_reconcile_total', { controller: 'agent-controller', result: 'requeue_after' })).toBeGreaterThanOrEqual(1);
      return s;
    });
    expect(m.value('controller_runtime_reconcile_total', { controller: 'agent-controller', result: 'error' })).toBeUndefined();
    expect(m.value('controller_runtime_reconcile_time_seconds_count', { controller: 'agent-controller' })).toBeGreaterThanOrEqual(1);
    expect(m.value('workqueue_adds_total', { name: 'agent-controller' })).toBeGreaterThanOrEqual(1);
    expect(m.value('workqueue_queue_duration_seconds_count', { name: 'agent-controller' })).toBeGreaterThanOrEqual(1);
    expect(m.value('workqueue_depth', { name: 'agent-controller' })).toBeGreaterThanOrEqual(0);
    // Every controller's queue is there from the start, idle ones included.
    expect(m.value('workqueue_depth', { name: 'run-controller' })).toBeDefined();
  });
});
