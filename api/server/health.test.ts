/**
 * /livez, /readyz and /healthz over real HTTP against a real daemon: kube-apiserver's verbose
 * format, `?exclude`, single checks, anonymous access, a store that is closed (SQLite) or whose
 * database is gone (Postgres), and the drain at shutdown that fails /readyz before the listeners
 * close.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../../test/eventually.js';
import { describeWithPostgres, pgAdmin } from '../../test/services.js';
import { startTestServer, type TestServer } from '../../test/support/api-server.js';
import { parsePrometheus } from '../../test/support/prometheus.js';

/** The check lines of a verbose answer, without its last (summary) line. */
function checkLines(text: string): string[] {
  return text.trimEnd().split('\n').slice(0, -1);
}

describe('health endpoints of a serving daemon', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('/livez and /healthz answer ok without credentials, on TCP and on the socket', async () => {
    for (const via of ['tcp-no-token', 'socket-no-token'] as const) {
      for (const path of ['/livez', '/healthz']) {
        const r = await server.request('GET', path, { via });
        expect([path, r.status, r.text]).toEqual([path, 200, 'ok']);
        expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
      }
    }
  });

  it('/livez?verbose lists only what liveness depends on: not the store', async () => {
    const r = await server.request('GET', '/livez?verbose', { via: 'tcp-no-token' });
    expect(r.status).toBe(200);
    expect(r.text).toBe('[+]ping ok\nlivez check passed\n');
  });

  it('/readyz?verbose lists every readiness check in kube-apiserver format, shutdown last', async () => {
    const r = await server.request('GET', '/readyz?verbose', { via: 'tcp-no-token' });
    expect(r.status).toBe(200);
    expect(checkLines(r.text)).toEqual(['[+]ping ok', '[+]store ok', '[+]shutdown ok']);
    expect(r.text.trimEnd().split('\n').at(-1)).toBe('readyz check passed');
    expect((await server.request('GET', '/readyz', { via: 'tcp-no-token' })).text).toBe('ok');
  });

  it('/readyz/<check> runs one check; an unknown one is 404', async () => {
    expect(await server.request('GET', '/readyz/store', { via: 'tcp-no-token' })).toMatchObject({ status: 200, text: 'ok' });
    expect(await server.request('GET', '/livez/ping', { via: 'tcp-no-token' })).toMatchObject({ status: 200, text: 'ok' });
    // The store is a readiness check only: liveness never waits for the database.
    expect((await server.request('GET', '/livez/store', { via: 'tcp-no-token' })).status).toBe(404);
    expect((await server.request('GET', '/readyz/nope', { via: 'tcp-no-token' })).status).toBe(404);
  });

  it('?exclude marks a check excluded and warns about names that match none', async () => {
    const r = await server.request('GET', '/readyz?verbose&exclude=store&exclude=nope', { via: 'tcp-no-token' });
    expect(r.status).toBe(200);
    expect(r.text).toContain('[+]store excluded: ok\n');
    expect(r.text).toContain('warn: some health checks cannot be excluded: no matches for "nope"\n');
    expect(r.text).toMatch(/readyz check passed\n$/);
  });

  it('refuses writes to a health endpoint', async () => {
    expect((await server.request('POST', '/readyz', { via: 'tcp-no-token', body: {} })).status).toBe(405);
  });
});

describe('readiness when the store fails (SQLite)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers /readyz 503 with [-]store failed once the store is closed, while /livez stays 200', async () => {
    expect((await server.request('GET', '/readyz', { via: 'tcp-no-token' })).status).toBe(200);
    await server.daemon.store.close();

    const r = await server.request('GET', '/readyz?verbose', { via: 'tcp-no-token' });
    expect(r.status).toBe(503);
    expect(checkLines(r.text)).toEqual(['[+]ping ok', '[-]store failed: reason withheld', '[+]shutdown ok']);
    expect(r.text).toMatch(/\nreadyz check failed\n$/);
    // Without ?verbose a failure still says which check failed, as kube-apiserver does.
    expect((await server.request('GET', '/readyz', { via: 'tcp-no-token' })).text).toContain('[-]store failed: reason withheld');
    expect(await server.request('GET', '/readyz/store', { via: 'tcp-no-token' })).toMatchObject({ status: 503, text: '[-]store failed: reason withheld\n' });
    expect((await server.request('GET', '/readyz?exclude=store', { via: 'tcp-no-token' })).status).toBe(200);
    expect(await server.request('GET', '/livez', { via: 'tcp-no-token' })).toMatchObject({ status: 200, text: 'ok' });
  });
});

describe('readiness with controllers', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ controllers: true });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('lists informers-synced, which passes once every informer has listed', async () => {
    const r = await eventually(async () => {
      const reply = await server.request('GET', '/readyz?verbose', { via: 'tcp-no-token' });
      if (reply.status !== 200) throw new Error(`/readyz answered ${reply.status}: ${reply.text}`);
      return reply;
    });
    expect(checkLines(r.text)).toEqual(['[+]ping ok', '[+]store ok', '[+]informers-synced ok', '[+]shutdown ok']);
  });
});

describe('shutdown', () => {
  it('fails /readyz with [-]shutdown failed while it keeps serving for the shutdown delay, then stops listening', async () => {
    const server = await startTestServer({ shutdownDelayMs: 1500 });
    expect((await server.request('GET', '/readyz', { via: 'tcp-no-token' })).status).toBe(200);
    const stopping = server.close();
    try {
      const r = await server.request('GET', '/readyz?verbose', { via: 'tcp-no-token' });
      expect(r.status).toBe(503);
      expect(checkLines(r.text)).toEqual(['[+]ping ok', '[+]store ok', '[-]shutdown failed: reason withheld']);
      // Still alive and still serving the API: only routing new traffic here stops.
      expect((await server.request('GET', '/livez', { via: 'tcp-no-token' })).status).toBe(200);
      expect((await server.request('GET', '/version')).status).toBe(200);
    } finally {
      await stopping;
    }
    await expect(server.request('GET', '/livez', { via: 'tcp-no-token' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describeWithPostgres('readiness when the database goes away (Postgres)', (getUrl) => {
  let server: TestServer;
  let database = '';
  beforeAll(async () => {
    // A database of this test's own, so dropping it touches nothing else.
    database = `${new URL(getUrl()).pathname.slice(1)}_gone`;
    await pgAdmin(getUrl(), `CREATE DATABASE ${database}`);
    const u = new URL(getUrl());
    u.pathname = `/${database}`;
    server = await startTestServer({ database: { kind: 'postgres', url: u.toString() }, storeBusyTimeoutMs: 500 });
  });
  afterAll(async () => {
    await server?.close();
    await pgAdmin(getUrl(), `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  it('times the Postgres store in the metrics (backend="postgres")', async () => {
    // A list is a read of the store: the metrics must have timed it, labelled with the backend.
    expect((await server.request('GET', '/apis/sidekicks.dev/v1alpha1/namespaces/default/sessions')).status).toBe(200);
    const m = parsePrometheus((await server.request('GET', '/metrics')).text);
    expect(m.value('sidekick_store_operation_duration_seconds_count', { operation: 'read', backend: 'postgres' })).toBeGreaterThan(0);
    expect(m.value('sidekick_store_operation_duration_seconds_count', { operation: 'read', backend: 'sqlite' })).toBeUndefined();
  });

  it('answers /readyz 503 with [-]store failed once its database is dropped; /livez stays 200', async () => {
    const before = await server.request('GET', '/readyz?verbose', { via: 'tcp-no-token' });
    expect(before.status).toBe(200);
    expect(before.text).toContain('[+]store ok\n');

    await pgAdmin(getUrl(), `DROP DATABASE ${database} WITH (FORCE)`);

    const r = await eventually(async () => {
      const reply = await server.request('GET', '/readyz?verbose', { via: 'tcp-no-token' });
      if (reply.status !== 503) throw new Error(`/readyz answered ${reply.status}: ${reply.text}`);
      return reply;
    });
    expect(r.text).toContain('[-]store failed: reason withheld\n');
    expect(r.text).toMatch(/\nreadyz check failed\n$/);
    expect((await server.request('GET', '/livez', { via: 'tcp-no-token' })).status).toBe(200);
  });
});
