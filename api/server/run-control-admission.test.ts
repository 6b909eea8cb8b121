/**
 * Steering an ended run is refused by the API server itself (what kubectl users get): an
 * Intervention against a run that has ended, and a pause or resume (`spec.suspend`) of one, are
 * 422 naming the run's phase, and nothing is stored; a run still going, a run not there yet, and
 * other changes of an ended run (its labels) are admitted.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { collection, startTestServer, type Reply, type TestServer } from '../../test/support/api-server.js';

let server: TestServer;
const RUNS = collection('runs');
const INTERVENTIONS = collection('interventions');
const MERGE = 'application/merge-patch+json';

const object = (kind: string, name: string, spec: Record<string, unknown>) => ({ apiVersion: 'sidekicks.dev/v1alpha1', kind, metadata: { name }, spec });
const intervention = (name: string, run: string, type: string) => object('Intervention', name, { run, type, ...(type === 'Steer' ? { content: 'more' } : {}) });
const post = (path: string, body: unknown) => server.request('POST', path, { body });
const patch = (path: string, body: unknown) => server.request('PATCH', path, { body, contentType: MERGE });

/** A run whose status says `phase` (no controllers run here: the status is written as a controller would). */
async function runIn(name: string, phase: string, spec: Record<string, unknown> = {}): Promise<void> {
  expect((await post(RUNS, object('Run', name, { session: 's', agent: 'a', prompt: 'go', ...spec }))).status).toBe(201);
  expect((await patch(`${RUNS}/${name}/status`, { status: { phase } })).status).toBe(200);
}

/** The message of a 422 whose one cause is `field`. */
function refusal(reply: Reply, field: string): string {
  expect([reply.status, reply.json.reason]).toEqual([422, 'Invalid']);
  expect(reply.json.details.causes.map((c: { field: string }) => c.field)).toEqual([field]);
  return reply.json.message;
}

beforeAll(async () => {
  server = await startTestServer();
  expect((await post(collection('sessions'), object('Session', 's', {}))).status).toBe(201);
  await runIn('done', 'Completed');
  await runIn('canceled', 'Canceled');
  await runIn('live', 'Running');
  await runIn('held', 'Failed', { suspend: true });
});

afterAll(async () => {
  await server?.close();
});

describe('Intervention admission', () => {
  it.each([
    ['Steer', 'done', 'run "done" is Completed: nothing to steer'],
    ['Interrupt', 'done', 'run "done" is Completed: nothing to interrupt'],
    ['Cancel', 'canceled', 'run "canceled" is Canceled: nothing to cancel'],
  ])('refuses %s on run %s', async (type, run, message) => {
    expect(refusal(await post(INTERVENTIONS, intervention(`${run}-${type.toLowerCase()}`, run, type)), 'spec.run')).toBe(message);
    expect((await server.request('GET', `${INTERVENTIONS}/${run}-${type.toLowerCase()}`)).status).toBe(404);
  });

  it('admits one against a run still going, or not there yet (its controller answers that)', async () => {
    expect((await post(INTERVENTIONS, intervention('live-steer', 'live', 'Steer'))).status).toBe(201);
    expect((await post(INTERVENTIONS, intervention('later-steer', 'later', 'Steer'))).status).toBe(201);
  });
});

describe('pause and resume admission', () => {
  it('refuses spec.suspend changes of an ended run, whatever else the write does', async () => {
    expect(refusal(await patch(`${RUNS}/done`, { spec: { suspend: true } }), 'spec.suspend')).toBe('run "done" is Completed: nothing to pause');
    expect(refusal(await patch(`${RUNS}/held`, { spec: { suspend: false } }), 'spec.suspend')).toBe('run "held" is Failed: nothing to resume');
    expect((await server.request('GET', `${RUNS}/done`)).json.spec.suspend).toBe(false);
  });

  it('admits other changes of an ended run, and a pause of a running one', async () => {
    expect((await patch(`${RUNS}/done`, { metadata: { labels: { reviewed: 'yes' } } })).status).toBe(200);
    expect((await patch(`${RUNS}/live`, { spec: { suspend: true } })).status).toBe(200);
  });
});
