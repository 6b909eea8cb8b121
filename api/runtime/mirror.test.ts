/**
 * The Mirror against a real API server (in process, over loopback HTTP, with its SQLite store as
 * the "control plane") into a node's local SQLite store: what it copies and with which identity,
 * who owns which field, deletes and rebinding, an approval decided upstream, NodeLost, and a
 * control plane that goes away and comes back (re-watch, or re-list after 410).
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CedarAuthorizer } from '../auth/authorizer.js';
import { AuthzModel } from '../auth/model.js';
import { Role } from '../auth/roles.js';
import { TokenStore } from '../auth/token-store.js';
import { ApiClient } from '../client/client.js';
import { ApiServer } from '../server/http.js';
import { ServingApi } from '../server/serving.js';
import { ApiService } from '../server/service.js';
import type { Authenticator } from '../server/auth.js';
import type { ObjectStore } from '../store/object-store.js';
import { openStore } from '../store/open-store.js';
import { schemeResolver } from '../store/scheme-resolver.js';
import { scheme } from '../../resources/index.js';
import type { KubeObject } from '../../resources/meta.js';
import { eventually } from '../../test/eventually.js';
import { Mirror, MIRRORED_ANNOTATION } from './mirror.js';

const API = 'sidekicks.dev/v1alpha1';
const NODE = 'laptop';
const TOKEN = 'node-access-token';
/** Small, so a control plane away for a few writes has forgotten where the node's watch was (410). */
const HISTORY = 24;

type Obj = KubeObject<Record<string, unknown>, Record<string, unknown>> & { spec: Record<string, unknown> };

function obj(kind: string, name: string, spec: Record<string, unknown> = {}, meta: Partial<Obj['metadata']> = {}): Obj {
  return { apiVersion: API, kind, metadata: { name, namespace: 'default', ...meta }, spec };
}
const runFor = (name: string, nodeName?: string) => obj('Run', name, { session: 's1', agent: 'a1', prompt: 'do it', ...(nodeName ? { nodeName } : {}) });
const approvalOf = (name: string, run: Obj) =>
  obj('Approval', name, { session: 's1', run: run.metadata.name, category: 'ToolExecution', request: { tool: 'RunCommand' } }, { ownerReferences: [{ apiVersion: API, kind: 'Run', name: run.metadata.name!, uid: run.metadata.uid!, controller: true }] });

/** Accepts only the node's bearer token, as an Owner (the Node role is not what this test is about). */
const nodeAuth: Authenticator = {
  authenticate: (req) => (req.headers.authorization === `Bearer ${TOKEN}` ? { name: `system:node:${NODE}`, method: 'token', role: Role.Owner } : undefined),
};

let dir: string;
let upstream: ObjectStore;
let local: ObjectStore;
let serving: ServingApi | undefined;
let port = 0;
let client: ApiClient;
let mirror: Mirror;
let stopMirror: AbortController;
let mirrorDone: Promise<void>;
let logs: string[];
let tokensAsked = 0;

/** Serves the upstream store over loopback HTTP (on the same port as before, after a restart). */
async function serve(): Promise<void> {
  const authorizer = await CedarAuthorizer.load(new AuthzModel(scheme), undefined);
  const api = new ApiServer({
    service: new ApiService({ store: upstream, scheme }),
    scheme,
    bookmarkIntervalMs: 200,
    authorization: { authorizer, tokens: await TokenStore.open(join(dir, 'tokens.json')), owner: 'nobody' },
  });
  serving = new ServingApi(api);
  ({ port } = await serving.listenTcp({ address: { host: '127.0.0.1', port } }, nodeAuth));
}

async function stopServing(): Promise<void> {
  await serving?.close();
  serving = undefined;
}

const localGet = (plural: string, name: string) => local.find<Obj>(plural, 'default', name);

/** Waits for `check` to give an object ("not yet" until then). */
async function until(check: () => Promise<Obj | undefined>): Promise<Obj> {
  return (await eventually(check)) as Obj;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sidekick-mirror-'));
  upstream = await openStore({ kind: 'sqlite', path: join(dir, 'cp.db') }, schemeResolver(scheme), { historyLimit: HISTORY });
  local = await openStore({ kind: 'sqlite', path: join(dir, 'node.db') }, schemeResolver(scheme));
  port = 0;
  await serve();
  logs = [];
  tokensAsked = 0;
  client = new ApiClient({ baseUrl: `http://127.0.0.1:${port}`, tokenProvider: async () => (tokensAsked++, TOKEN) });
  mirror = new Mirror({ client, store: local, nodeName: NODE, log: (l) => logs.push(l), timing: { backoffMs: 20, maxBackoffMs: 100 }, retryMs: 50 });
});

function startMirror(): void {
  stopMirror = new AbortController();
  mirrorDone = mirror.start(stopMirror.signal);
}

afterEach(async () => {
  stopMirror?.abort();
  await mirrorDone;
  client.close();
  await stopServing();
  await upstream.close();
  await local.close();
  await rm(dir, { recursive: true, force: true });
});

/** The common world: a session, agent, repo mount, policy; runs bound here, elsewhere and nowhere. */
async function world(): Promise<{ mine: Obj; theirs: Obj }> {
  await upstream.create('sessions', obj('Session', 's1', { description: 'team' }));
  await upstream.create('agents', obj('Agent', 'a1', { driver: 'Scripted' }));
  await upstream.create('repomounts', obj('RepoMount', 'repo', { path: '/src/app' }));
  await upstream.create('approvalpolicies', obj('ApprovalPolicy', 'p1', { rules: [] }));
  const mine = await upstream.create<Obj>('runs', runFor('mine', NODE));
  const theirs = await upstream.create<Obj>('runs', runFor('theirs', 'other'));
  await upstream.create('runs', runFor('unbound'));
  await upstream.create('approvals', approvalOf('ask-mine', mine));
  await upstream.create('approvals', approvalOf('ask-theirs', theirs));
  await upstream.create('interventions', obj('Intervention', 'steer-mine', { run: 'mine', type: 'Steer', text: 'go on' }));
  await upstream.create('interventions', obj('Intervention', 'steer-theirs', { run: 'theirs', type: 'Steer', text: 'go on' }));
  return { mine, theirs };
}

describe('Mirror', () => {
  it('copies what the node needs, with the control plane identity, and reports synced and connected', async () => {
    const { mine } = await world();
    startMirror();
    await eventually(() => mirror.synced() && mirror.connected());
    for (const [plural, name] of [['sessions', 's1'], ['agents', 'a1'], ['repomounts', 'repo'], ['approvalpolicies', 'p1'], ['runs', 'mine'], ['approvals', 'ask-mine'], ['interventions', 'steer-mine']]) {
      const up = (await upstream.find<Obj>(plural!, 'default', name!))!;
      const copy = await localGet(plural!, name!);
      expect(copy?.metadata).toMatchObject({ uid: up.metadata.uid, creationTimestamp: up.metadata.creationTimestamp, generation: up.metadata.generation });
      expect(copy?.spec).toEqual(up.spec);
      expect(copy?.metadata.annotations?.[MIRRORED_ANNOTATION]).toBe(`${up.metadata.generation}/${up.metadata.resourceVersion}`);
    }
    // The approval still points at the run by the same uid: the node's garbage collection and the ingest agree.
    expect((await localGet('approvals', 'ask-mine'))?.metadata.ownerReferences?.[0]?.uid).toBe(mine.metadata.uid);
    for (const [plural, name] of [['runs', 'theirs'], ['runs', 'unbound'], ['approvals', 'ask-theirs'], ['interventions', 'steer-theirs']]) {
      expect(await localGet(plural!, name!)).toBeUndefined();
    }
    expect(tokensAsked).toBeGreaterThan(0);
  });

  it('brings spec and label changes down, never the run status, except a NodeLost failure', async () => {
    await world();
    startMirror();
    await eventually(() => mirror.synced());
    // The node's run controller reports on its copy.
    const copy = (await localGet('runs', 'mine'))!;
    await local.updateStatus('runs', { ...copy, status: { phase: 'Running', startedAt: '2024-01-01T00:00:00Z' } });
    const up = (await upstream.get<Obj>('runs', 'default', 'mine'))!;
    const changed = await upstream.update<Obj>('runs', { ...up, metadata: { ...up.metadata, labels: { team: 'a' } }, spec: { ...up.spec, suspend: true } });
    await upstream.updateStatus('runs', { ...changed, status: { phase: 'Queued', conditions: [{ type: 'Scheduled', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z', reason: 'Scheduled', message: '' }] } });
    const seen = await until(async () => {
      const r = await localGet('runs', 'mine');
      return r?.spec.suspend === true && r.metadata.labels?.team === 'a' ? r : undefined;
    });
    expect(seen.metadata.generation).toBe(changed.metadata.generation);
    expect(seen.status).toEqual({ phase: 'Running', startedAt: '2024-01-01T00:00:00Z' });
    // The control plane lost the node and failed the run: the node stops it too.
    const now = (await upstream.get<Obj>('runs', 'default', 'mine'))!;
    await upstream.updateStatus('runs', { ...now, status: { phase: 'Failed', reason: 'NodeLost', message: 'node laptop was away too long', finishedAt: '2024-01-01T01:00:00Z' } });
    const lost = await eventually(async () => ((await localGet('runs', 'mine'))?.status?.reason === 'NodeLost' ? localGet('runs', 'mine') : undefined));
    expect(lost?.status).toEqual({ phase: 'Failed', reason: 'NodeLost', message: 'node laptop was away too long', finishedAt: '2024-01-01T01:00:00Z', startedAt: '2024-01-01T00:00:00Z' });
  });

  it('keeps a spec change the node made until the control plane changes the spec itself', async () => {
    await world();
    startMirror();
    await eventually(() => mirror.synced());
    // An Interrupt applied on the node pauses the run in its local spec.
    const copy = (await localGet('runs', 'mine'))!;
    await local.update('runs', { ...copy, metadata: { ...copy.metadata, annotations: { ...copy.metadata.annotations, 'sidekicks.dev/interrupted-by': 'int-1' } }, spec: { ...copy.spec, suspend: true } });
    // A status change upstream (the ingest applying the node's status), then a label: neither touches the spec.
    const up = (await upstream.get<Obj>('runs', 'default', 'mine'))!;
    const statusOnly = await upstream.updateStatus<Obj>('runs', { ...up, status: { phase: 'Running' } });
    const labeled = await upstream.update<Obj>('runs', { ...statusOnly, metadata: { ...statusOnly.metadata, labels: { seen: 'yes' } } });
    const kept = await until(async () => {
      const r = await localGet('runs', 'mine');
      return r?.metadata.annotations?.[MIRRORED_ANNOTATION]?.endsWith(`/${labeled.metadata.resourceVersion}`) ? r : undefined;
    });
    expect(kept.metadata.labels).toEqual({ seen: 'yes' });
    expect(kept.spec.suspend).toBe(true);
    expect(kept.metadata.annotations?.['sidekicks.dev/interrupted-by']).toBe('int-1');
    // A spec change upstream is newer intent: it comes down.
    await upstream.update('runs', { ...labeled, spec: { ...labeled.spec, priority: 5 } });
    const after = await until(async () => {
      const r = await localGet('runs', 'mine');
      return r?.spec.priority === 5 ? r : undefined;
    });
    expect(after.spec.suspend).toBeUndefined();
  });

  it('brings an approval decided upstream down, spec and status, and keeps one the control plane has not received', async () => {
    const { mine } = await world();
    startMirror();
    await eventually(() => mirror.synced());
    // The node raised an approval that has not reached the control plane yet.
    await local.create('approvals', approvalOf('ask-local', mine));
    const up = (await upstream.get<Obj>('approvals', 'default', 'ask-mine'))!;
    const decided = await upstream.update<Obj>('approvals', { ...up, spec: { ...up.spec, decision: { verdict: 'Approve', by: 'alice' } } });
    await upstream.updateStatus('approvals', { ...decided, status: { phase: 'Approved', decidedAt: '2024-01-01T00:00:00Z' } });
    const copy = await until(async () => {
      const a = await localGet('approvals', 'ask-mine');
      return a?.status?.phase === 'Approved' ? a : undefined;
    });
    expect(copy.spec.decision).toEqual({ verdict: 'Approve', by: 'alice' });
    // A re-list (the mirror restarted) keeps the node's own approval; one deleted upstream goes.
    stopMirror.abort();
    await mirrorDone;
    await upstream.delete('approvals', 'default', 'ask-mine');
    mirror = new Mirror({ client, store: local, nodeName: NODE, log: (l) => logs.push(l), timing: { backoffMs: 20, maxBackoffMs: 100 }, retryMs: 50 });
    startMirror();
    await eventually(async () => mirror.synced() && (await localGet('approvals', 'ask-mine')) === undefined);
    expect(await localGet('approvals', 'ask-local')).toBeDefined();
  });

  it('deletes what the control plane deleted, and a run rebound away with its approvals', async () => {
    await world();
    startMirror();
    await eventually(() => mirror.synced());
    await upstream.delete('repomounts', 'default', 'repo');
    await eventually(async () => (await localGet('repomounts', 'repo')) === undefined);
    // The node's run controller holds its run with a finalizer until the worktree is retired.
    const copy = (await localGet('runs', 'mine'))!;
    await local.update('runs', { ...copy, metadata: { ...copy.metadata, finalizers: ['sidekicks.dev/run'] } });
    const up = (await upstream.get<Obj>('runs', 'default', 'mine'))!;
    await upstream.update('runs', { ...up, spec: { ...up.spec, nodeName: 'other' } });
    const leaving = await until(async () => {
      const r = await localGet('runs', 'mine');
      return r?.metadata.deletionTimestamp ? r : undefined;
    });
    expect(leaving.metadata.finalizers).toEqual(['sidekicks.dev/run']);
    await local.update('runs', { ...leaving, metadata: { ...leaving.metadata, finalizers: [] } });
    await eventually(async () => (await localGet('runs', 'mine')) === undefined && (await localGet('approvals', 'ask-mine')) === undefined && (await localGet('interventions', 'steer-mine')) === undefined);
  });

  it('replaces a copy whose object was recreated upstream under the same name (new uid) while the node was away', async () => {
    await world();
    startMirror();
    await eventually(() => mirror.synced());
    stopMirror.abort();
    await mirrorDone;
    await upstream.delete('agents', 'default', 'a1');
    const again = await upstream.create<Obj>('agents', obj('Agent', 'a1', { driver: 'OpenAI' }));
    mirror = new Mirror({ client, store: local, nodeName: NODE, log: (l) => logs.push(l), timing: { backoffMs: 20, maxBackoffMs: 100 }, retryMs: 50 });
    startMirror();
    const copy = await until(async () => {
      const a = await localGet('agents', 'a1');
      return a?.metadata.uid === again.metadata.uid ? a : undefined;
    });
    expect(copy.spec).toEqual({ driver: 'OpenAI' });
  });

  it('keeps the last state while the control plane is away and catches up when it returns (re-watch, then re-list after 410)', async () => {
    await world();
    startMirror();
    await eventually(() => mirror.synced() && mirror.connected());
    const agentBefore = (await localGet('agents', 'a1'))!;
    // Away for a few writes: the watch resumes where it was.
    await stopServing();
    await eventually(() => !mirror.connected());
    await upstream.create('agents', obj('Agent', 'a2', { driver: 'Scripted' }));
    expect(await localGet('runs', 'mine')).toBeDefined();
    await serve();
    await eventually(async () => mirror.connected() && (await localGet('agents', 'a2')) !== undefined);
    expect(logs.some((l) => l.includes('history expired'))).toBe(false);
    // Away for more writes than the control plane remembers: 410, a new list, deletes found by it.
    await stopServing();
    await eventually(() => !mirror.connected());
    await upstream.delete('sessions', 'default', 's1');
    await upstream.create('runs', runFor('later', NODE));
    const s = (await upstream.get<Obj>('approvalpolicies', 'default', 'p1'))!;
    for (let i = 0; i < HISTORY; i++) await upstream.update('approvalpolicies', { ...s, metadata: { ...s.metadata, resourceVersion: undefined, labels: { n: String(i) } } });
    expect(await localGet('sessions', 's1')).toBeDefined();
    await serve();
    await eventually(async () => (await localGet('sessions', 's1')) === undefined && (await localGet('runs', 'later')) !== undefined);
    await eventually(async () => (await localGet('approvalpolicies', 'p1'))?.metadata.labels?.n === String(HISTORY - 1));
    expect(logs.some((l) => l.includes('runs: history expired'))).toBe(true);
    // Unchanged objects are not rewritten by the re-list.
    expect((await localGet('agents', 'a1'))?.metadata.resourceVersion).toBe(agentBefore.metadata.resourceVersion);
  });
});
