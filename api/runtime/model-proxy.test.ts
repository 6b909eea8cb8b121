import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeOpenAIServer, httpError, streamed } from '../../test/fakes/openai-server.js';
import { freePort } from '../../test/services.js';
import { serveRuntimeRoutes, type RouteServer } from '../../test/runtime-routes.js';
import { openStore } from '../store/open-store.js';
import { schemeResolver } from '../store/scheme-resolver.js';
import type { ObjectStore } from '../store/object-store.js';
import { scheme } from '../../resources/index.js';
import type { Agent } from '../../resources/kinds/agent.js';
import type { Run, RunPhase } from '../../resources/kinds/run.js';
import { RUNTIME_API_PREFIX } from './protocol.js';
import { modelProxyRoutes } from './model-proxy.js';

let dir: string;
let store: ObjectStore;
let upstream: FakeOpenAIServer;
let proxy: RouteServer;
const logs: string[] = [];
const env = { TEAM_OPENAI_API_KEY: 'sk-control-plane', DATABASE_URL: 'postgres://secret' };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'model-proxy-'));
  store = await openStore({ kind: 'sqlite', path: join(dir, 'db.sqlite') }, schemeResolver(scheme));
  upstream = await FakeOpenAIServer.start();
  logs.length = 0;
  const routes = modelProxyRoutes({ store, env, log: (l) => logs.push(l) });
  proxy = await serveRuntimeRoutes(routes, { 'token-laptop': { name: 'laptop', owner: 'alice' }, 'token-other': { name: 'other', owner: 'bob' } });
});
afterEach(async () => {
  await proxy.close();
  await upstream.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function agent(name: string, endpoint: Partial<NonNullable<Agent['spec']['endpoint']>> = {}): Promise<void> {
  await store.create<Agent>('agents', {
    apiVersion: 'sidekicks.dev/v1alpha1',
    kind: 'Agent',
    metadata: { namespace: 'team', name },
    spec: { driver: 'OpenAI', model: 'gpt-test', maxTurns: 50, endpoint: { baseURL: upstream.baseURL, credentials: 'ControlPlane', apiKeyFrom: { env: 'TEAM_OPENAI_API_KEY' }, ...endpoint } },
    status: {},
  });
}

async function run(name: string, agentName: string, nodeName: string, phase: RunPhase): Promise<void> {
  await store.create<Run>('runs', {
    apiVersion: 'sidekicks.dev/v1alpha1',
    kind: 'Run',
    metadata: { namespace: 'team', name },
    spec: { session: 's', agent: agentName, prompt: 'p', nodeName },
    status: { phase },
  } as Run);
}

function call(agentName: string, opts: { token?: string; model?: string; path?: string } = {}): Promise<Response> {
  return fetch(`${proxy.origin}${RUNTIME_API_PREFIX}/models/team/${agentName}/${opts.path ?? 'chat/completions'}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.token ?? 'token-laptop'}` },
    body: JSON.stringify({ model: opts.model ?? 'gpt-test', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
  });
}

const errorMessage = async (res: Response) => ((await res.json()) as { error: { message: string } }).error.message;

describe('model proxy routes', () => {
  it("calls the agent's endpoint with the control plane's key and streams the answer back", async () => {
    await agent('coder');
    await run('r1', 'coder', 'laptop', 'Running');
    upstream.enqueue(streamed({ content: 'hello from upstream' }));

    const res = await call('coder');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const text = await res.text();
    const content = text
      .split('\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => (JSON.parse(l.slice(6)) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? '')
      .join('');
    expect(content).toBe('hello from upstream');
    expect(text).toContain('data: [DONE]');

    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.headers.authorization).toBe('Bearer sk-control-plane');
    expect(upstream.requests[0]!.body).toMatchObject({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
    expect(logs.join('\n')).not.toContain('sk-control-plane');
  });

  it('passes an upstream error through with its status, message and Retry-After', async () => {
    await agent('coder');
    await run('r1', 'coder', 'laptop', 'Running');
    upstream.enqueue(httpError(429, 'slow down', { 'retry-after': '7' }));
    const res = await call('coder');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(await errorMessage(res)).toBe('slow down');
  });

  it.each([
    ['the run is bound to another node', 'other-node', 'Running', 'token-laptop'],
    ['the run is finished', 'laptop', 'Completed', 'token-laptop'],
    ['the caller is another node', 'laptop', 'Running', 'token-other'],
  ] as const)('refuses a node that has no active run of the agent: %s', async (_name, nodeName, phase, token) => {
    await agent('coder');
    await run('r1', 'coder', nodeName, phase);
    const res = await call('coder', { token });
    expect(res.status).toBe(403);
    expect(await errorMessage(res)).toMatch(/has no active run of agent team\/coder/);
    expect(upstream.requests).toHaveLength(0);
  });

  it('refuses a request without a node token', async () => {
    await agent('coder');
    await run('r1', 'coder', 'laptop', 'Running');
    expect((await call('coder', { token: 'nonsense' })).status).toBe(401);
    expect(upstream.requests).toHaveLength(0);
  });

  it('refuses an agent whose credentials are kept on the node', async () => {
    await agent('local', { credentials: 'Node', baseURL: upstream.baseURL });
    await run('r1', 'local', 'laptop', 'Running');
    const res = await call('local');
    expect(res.status).toBe(403);
    expect(await errorMessage(res)).toMatch(/agent team\/local keeps its credentials on the node/);
    expect(upstream.requests).toHaveLength(0);
  });

  it("refuses another model than the agent's", async () => {
    await agent('coder');
    await run('r1', 'coder', 'laptop', 'Running');
    const res = await call('coder', { model: 'gpt-expensive' });
    expect(res.status).toBe(403);
    expect(await errorMessage(res)).toBe(`model proxy: model "gpt-expensive" is not agent team/coder's model "gpt-test"`);
    expect(upstream.requests).toHaveLength(0);
  });

  it('lends only environment variables named like API keys, and says when one is not set', async () => {
    await agent('leaky', { apiKeyFrom: { env: 'DATABASE_URL' } });
    await agent('unset', { apiKeyFrom: { env: 'MISSING_API_KEY' } });
    await run('r1', 'leaky', 'laptop', 'Running');
    await run('r2', 'unset', 'laptop', 'Running');

    const leaky = await call('leaky');
    expect(leaky.status).toBe(403);
    expect(await errorMessage(leaky)).toMatch(/does not lend environment variable DATABASE_URL/);
    const unset = await call('unset');
    expect(unset.status).toBe(400);
    expect(await errorMessage(unset)).toMatch(/environment variable MISSING_API_KEY is not set on the control plane/);
    expect(upstream.requests).toHaveLength(0);
  });

  it('answers 404 for an unknown agent and 502 when the endpoint cannot be reached', async () => {
    const missing = await call('ghost');
    expect(missing.status).toBe(404);
    expect(await errorMessage(missing)).toBe('model proxy: agent team/ghost not found');

    const closed = await freePort();
    await agent('down', { baseURL: `http://127.0.0.1:${closed}/v1` });
    await run('r1', 'down', 'laptop', 'Running');
    const down = await call('down');
    expect(down.status).toBe(502);
    expect(await errorMessage(down)).toMatch(/^model proxy: the control plane could not reach http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions: ECONNREFUSED$/);
  });

  it('serves only the OpenAI-compatible calls', async () => {
    await agent('coder');
    await run('r1', 'coder', 'laptop', 'Running');
    expect((await call('coder', { path: 'files' })).status).toBe(404);
    expect((await call('coder', { path: '../admin' })).status).toBe(404);
  });
});
