/** Controllers' writes go through API admission: defaults, validation, immutability, the creator kept. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scheme } from '../../resources/index.js';
import type { KubeObject } from '../../resources/meta.js';
import type { Run } from '../../resources/kinds/run.js';
import { CREATED_BY } from '../auth/model.js';
import type { ApiError } from '../errors.js';
import { openStore } from '../store/open-store.js';
import { schemeResolver } from '../store/scheme-resolver.js';
import type { Store } from '../store/store.js';
import { AdmittedStore } from './admitted-store.js';

let dir: string;
let raw: Store;
let store: AdmittedStore;

const run = (name: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'sidekicks.dev/v1alpha1',
  kind: 'Run',
  metadata: { name, namespace: 'default', annotations: { [CREATED_BY]: 'carol' } },
  spec: { session: 's1', agent: 'coder', prompt: 'go' },
  ...extra,
});
const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: ApiError) => ({ reason: e.reason, message: e.message }));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sidekick-admitted-'));
  raw = await openStore({ kind: 'sqlite', path: join(dir, 'db.sqlite') }, schemeResolver(scheme));
  store = new AdmittedStore(raw, scheme);
});
afterAll(async () => {
  await raw?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('AdmittedStore', () => {
  test('a create is defaulted as an API create is, and keeps the status a controller gives it', async () => {
    const created = (await store.create('runs', run('r1', { status: { phase: 'Queued' } }))) as Run;
    expect(created.spec).toMatchObject({ priority: 0, suspend: false });
    expect(created.status).toEqual({ phase: 'Queued' });
  });

  test('what the API would refuse is refused: bad metadata, schema violations, unknown fields', async () => {
    expect(await refusal(store.create('runs', run('r2', { metadata: { name: 'r2', namespace: 'default', labels: { 'sidekicks.dev/run': 'x'.repeat(64) } } })))).toMatchObject({
      reason: 'Invalid',
      message: expect.stringContaining('metadata.labels[sidekicks.dev/run]'),
    });
    expect(await refusal(store.create('runs', run('r3', { spec: { session: 's1', agent: 'coder', prompt: 'go', priority: 'high' } })))).toMatchObject({ reason: 'Invalid', message: expect.stringContaining('spec.priority') });
    expect(await refusal(store.create('runs', run('r4', { spec: { session: 's1', agent: 'coder', prompt: 'go', promtp: 'typo' } })))).toMatchObject({ reason: 'BadRequest', message: expect.stringContaining('unknown field "spec.promtp"') });
    expect(await raw.find('runs', 'default', 'r2')).toBeUndefined();
  });

  test('an update keeps immutable fields and the creator; a status write is validated and changes only status', async () => {
    const live = await store.get<Run>('runs', 'default', 'r1');
    expect(await refusal(store.update('runs', { ...live, spec: { ...live.spec, session: 'other' } }))).toMatchObject({ reason: 'Invalid', message: expect.stringContaining('spec.session') });
    const updated = await store.update('runs', { ...live, metadata: { ...live.metadata, annotations: { [CREATED_BY]: 'mallory' } } });
    expect(updated.metadata.annotations?.[CREATED_BY]).toBe('carol');
    expect(await refusal(store.updateStatus('runs', { ...updated, status: { phase: 'Sideways' } }))).toMatchObject({ reason: 'Invalid', message: expect.stringContaining('status.phase') });
    const running = await store.updateStatus<Run>('runs', { ...updated, spec: { ...updated.spec, prompt: 'changed here' }, status: { phase: 'Running' } });
    expect(running.status?.phase).toBe('Running');
    expect(running.spec.prompt).toBe('go');
  });

  test('a status write refuses unknown status fields, and is not failed by what the stored object carries elsewhere', async () => {
    const legacy = await raw.create<Run>('runs', { ...run('legacy'), spec: { session: 's1', agent: 'coder', prompt: 'go', priority: 0, suspend: false, retired: true } } as KubeObject as Run);
    expect(await refusal(store.updateStatus('runs', { ...legacy, status: { phase: 'Running', bogus: 1 } }))).toMatchObject({ reason: 'BadRequest', message: 'strict decoding error: unknown field "status.bogus"' });
    expect((await store.updateStatus<Run>('runs', { ...legacy, status: { phase: 'Running' } })).status?.phase).toBe('Running');
  });

  test('a write based on an older version is a Conflict, as the store answers it', async () => {
    const live = await store.get<Run>('runs', 'default', 'r1');
    await store.updateStatus('runs', { ...live, status: { phase: 'Completed' } });
    expect(await refusal(store.update('runs', { ...live, spec: { ...live.spec, session: 'other' } }))).toMatchObject({ reason: 'Conflict' });
    expect(await refusal(store.updateStatus('runs', { ...live, status: { phase: 'Running' } }))).toMatchObject({ reason: 'Conflict' });
  });

  test("the kinds' admission plugins run for controllers too: an Invite expires a week after the server's now, a decision keeps its decider", async () => {
    const at = new Date(Date.UTC(2026, 0, 1, 12, 0, 0));
    const clocked = new AdmittedStore(raw, scheme, () => at);
    const invite = await clocked.create<KubeObject>('invites', { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Invite', metadata: { name: 'i1', namespace: 'default' }, spec: { session: 's1', role: 'Viewer' } });
    expect(invite.spec).toMatchObject({ expiresAt: '2026-01-08T12:00:00Z', revoked: false });
    const approval = await store.create<KubeObject>('approvals', {
      apiVersion: 'sidekicks.dev/v1alpha1',
      kind: 'Approval',
      metadata: { name: 'a1', namespace: 'default' },
      spec: { session: 's1', run: 'r1', category: 'ToolExecution', decision: { verdict: 'Approved', by: 'alice' } },
    });
    // An update cannot rewrite who decided: the stored decider stays.
    const rewritten = await store.update<KubeObject>('approvals', { ...approval, spec: { ...(approval.spec as object), decision: { verdict: 'Approved', by: 'mallory' } } });
    expect((rewritten.spec as { decision: { by: string } }).decision.by).toBe('alice');
  });
});
