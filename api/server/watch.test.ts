/**
 * Watch over HTTP: change events from a resourceVersion, the initial state of a watch without
 * one, bookmarks, 410 Expired as an ERROR event, Table watches, timeouts and freeing watchers when
 * clients disconnect.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../../test/eventually.js';
import { agentManifest, collection, startTestServer, type TestServer } from '../../test/support/api-server.js';

let server: TestServer;
const AGENTS = collection('agents');
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json';

beforeAll(async () => {
  server = await startTestServer({ historySize: 50, bookmarkIntervalMs: 50 });
});

afterAll(async () => {
  await server?.close();
});

async function createAgent(name: string, labels: Record<string, string> = {}): Promise<Record<string, any>> {
  const res = await server.request('POST', AGENTS, { body: agentManifest(name, {}, { labels }) });
  expect(res.status).toBe(201);
  return res.json;
}

describe('watch', () => {
  it('streams ADDED, MODIFIED and DELETED after a resourceVersion, filtered by labels', async () => {
    const list = await server.request('GET', AGENTS);
    const watch = await server.watch(`${AGENTS}?watch=1&resourceVersion=${list.json.metadata.resourceVersion}&labelSelector=w%3Dyes`);
    try {
      expect(watch.status).toBe(200);
      await createAgent('w-other', { w: 'no' });
      await createAgent('w1', { w: 'yes' });
      await server.request('PATCH', `${AGENTS}/w1`, { body: { spec: { model: 'm' } }, contentType: 'application/merge-patch+json' });
      await server.request('DELETE', `${AGENTS}/w1`);
      await eventually(() => watch.events.length >= 3);
      expect(watch.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED w1', 'MODIFIED w1', 'DELETED w1']);
      expect(watch.events[1]!.object.spec.model).toBe('m');
    } finally {
      watch.close();
    }
  });

  it('starts with the current objects when no resourceVersion is given', async () => {
    await createAgent('initial-1', { init: 'x' });
    const watch = await server.watch(`${AGENTS}?watch=true&labelSelector=init%3Dx`);
    try {
      await eventually(() => watch.events.length >= 1);
      expect(watch.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'initial-1' } } });
      await createAgent('initial-2', { init: 'x' });
      await eventually(() => watch.events.some((e) => e.object.metadata.name === 'initial-2'));
    } finally {
      watch.close();
    }
  });

  it('sends bookmarks when allowed', async () => {
    const watch = await server.watch(`${AGENTS}?watch=1&allowWatchBookmarks=true&resourceVersion=${(await server.request('GET', AGENTS)).json.metadata.resourceVersion}`);
    try {
      await eventually(() => watch.events.some((e) => e.type === 'BOOKMARK'));
      const bookmark = watch.events.find((e) => e.type === 'BOOKMARK')!;
      expect(bookmark.object).toMatchObject({ kind: 'Agent', apiVersion: 'sidekicks.dev/v1alpha1', metadata: { resourceVersion: expect.any(String) } });
    } finally {
      watch.close();
    }
  });

  it('answers a too-old resourceVersion with an ERROR event carrying 410 Expired', async () => {
    for (let i = 0; i < 60; i++) await createAgent(`old-${i}`);
    const watch = await server.watch(`${AGENTS}?watch=1&resourceVersion=1`);
    await watch.ended;
    expect(watch.status).toBe(200);
    expect(watch.events).toHaveLength(1);
    expect(watch.events[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', reason: 'Expired', code: 410 } });
  });

  it('answers a bad selector with 400 before streaming', async () => {
    const res = await server.request('GET', `${AGENTS}?watch=1&labelSelector=%3D%3D`);
    expect(res.status).toBe(400);
    expect(res.json.kind).toBe('Status');
  });

  it('streams Tables with one row per event when asked for a Table', async () => {
    const rv = (await server.request('GET', AGENTS)).json.metadata.resourceVersion;
    const watch = await server.watch(`${AGENTS}?watch=1&resourceVersion=${rv}`, { accept: TABLE });
    try {
      await createAgent('tw-1');
      await createAgent('tw-2');
      await eventually(() => watch.events.length >= 2);
      const [first, second] = watch.events;
      expect(first!.object).toMatchObject({ kind: 'Table', rows: [{ cells: expect.arrayContaining(['tw-1']) }] });
      expect(first!.object.columnDefinitions[0].name).toBe('Name');
      expect(second!.object.columnDefinitions).toEqual([]);
      expect(second!.object.rows[0].object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'tw-2' } });
    } finally {
      watch.close();
    }
  });

  it('ends the stream after timeoutSeconds', async () => {
    const watch = await server.watch(`${AGENTS}?watch=1&timeoutSeconds=1&resourceVersion=${(await server.request('GET', AGENTS)).json.metadata.resourceVersion}`);
    await watch.ended;
    expect(watch.status).toBe(200);
  });

  it('serves our Events as core/v1 events, watchable by involvedObject', async () => {
    const agent = await createAgent('evented');
    const path = `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=evented,involvedObject.uid=${agent.metadata.uid}`)}`;
    const list = await eventually(async () => {
      const res = await server.request('GET', path);
      return res.json.items.length > 0 ? res.json : undefined;
    });
    expect(list).toMatchObject({ kind: 'EventList', apiVersion: 'v1' });
    expect(list.items[0]).toMatchObject({ apiVersion: 'v1', kind: 'Event', reason: 'Created', type: 'Normal', count: 1, source: { component: 'sidekick-apiserver' } });
    expect((await server.request('POST', '/api/v1/namespaces/default/events', { body: {} })).status).toBe(405);
  });
});

describe('watch fan-out', () => {
  it('delivers one change to many concurrent watchers and frees them on disconnect', async () => {
    const rv = (await server.request('GET', AGENTS)).json.metadata.resourceVersion;
    const watches = await Promise.all(Array.from({ length: 50 }, () => server.watch(`${AGENTS}?watch=1&resourceVersion=${rv}&labelSelector=fan%3Dout`)));
    await createAgent('fan', { fan: 'out' });
    await eventually(() => watches.every((w) => w.events.some((e) => e.object.metadata.name === 'fan')));
    expect(server.daemon.openWatches()).toBeGreaterThanOrEqual(50);
    for (const w of watches) w.close();
    await Promise.all(watches.map((w) => w.ended));
    await eventually(() => server.daemon.openWatches() === 0);
  });
});
