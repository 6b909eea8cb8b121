import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { FakeOpenAIServer, streamed } from '../../test/fakes/openai-server.js';
import { serveRuntimeRoutes, type RouteServer } from '../../test/runtime-routes.js';
import { modelProxyRoutes } from '../../api/runtime/model-proxy.js';
import type { Agent } from '../../resources/kinds/agent.js';
import type { Run } from '../../resources/kinds/run.js';
import { OpenAIDriver } from '../../node/drivers/openai/driver.js';
import { harness, tempWorkspace } from '../../node/drivers/test-harness.js';
import { startModelRelay, type ModelRelay } from '../../node/model-relay.js';
import { storePerTest } from '../test-support.js';
import { agentConfigFor } from './agent-config.js';

const openStore = storePerTest('agent-config-');

function agent(endpoint: NonNullable<Agent['spec']['endpoint']>): Agent {
  return {
    apiVersion: 'sidekicks.dev/v1alpha1',
    kind: 'Agent',
    metadata: { namespace: 'team', name: 'coder' },
    spec: { driver: 'OpenAI', model: 'gpt-test', maxTurns: 50, endpoint },
    status: {},
  };
}

const relay = { apiKey: 'skr-relay-secret', baseURLFor: (ns: string, name: string) => `http://127.0.0.1:1234/agents/${ns}/${name}` };
const env = { OPENAI_API_KEY: 'sk-local' };

describe('agentConfigFor: where the endpoint and its key come from', () => {
  it.each([
    ['a node-kept key, with a relay: read here', { credentials: 'Node' as const }, relay, { baseURL: 'https://api.example/v1', apiKey: 'sk-local' }],
    ['no credentials field: the node keeps it', {}, relay, { baseURL: 'https://api.example/v1', apiKey: 'sk-local' }],
    ['a control-plane key on a node: the relay, no key read', { credentials: 'ControlPlane' as const }, relay, { baseURL: 'http://127.0.0.1:1234/agents/team/coder', apiKey: 'skr-relay-secret' }],
    ['a control-plane key on the daemon (no relay): read here', { credentials: 'ControlPlane' as const }, undefined, { baseURL: 'https://api.example/v1', apiKey: 'sk-local' }],
  ])('%s', async (_name, extra, withRelay, want) => {
    const config = await agentConfigFor(agent({ baseURL: 'https://api.example/v1', apiKeyFrom: { env: 'OPENAI_API_KEY' }, ...extra }), env, withRelay);
    expect(config.endpoint).toEqual(want);
  });

  it('does not need the variable on a node whose relay makes the calls', async () => {
    const config = await agentConfigFor(agent({ baseURL: 'https://api.example/v1', credentials: 'ControlPlane', apiKeyFrom: { env: 'TEAM_OPENAI_API_KEY' } }), {}, relay);
    expect(config.endpoint?.apiKey).toBe('skr-relay-secret');
    await expect(agentConfigFor(agent({ baseURL: 'https://api.example/v1', credentials: 'ControlPlane', apiKeyFrom: { env: 'TEAM_OPENAI_API_KEY' } }), {})).rejects.toThrow(
      'spec.endpoint.apiKeyFrom: environment variable TEAM_OPENAI_API_KEY is not set on this machine',
    );
  });
});

describe('an OpenAI agent whose key the control plane keeps, run on a node', () => {
  let upstream: FakeOpenAIServer;
  let proxy: RouteServer;
  let nodeRelay: ModelRelay;
  let ws: Awaited<ReturnType<typeof tempWorkspace>>;
  beforeEach(async () => {
    upstream = await FakeOpenAIServer.start();
    ws = await tempWorkspace();
  });
  afterEach(async () => {
    await nodeRelay.close();
    await proxy.close();
    await upstream.close();
    await ws.cleanup();
  });

  it('runs its turns through the relay and the proxy; the key never reaches the node', async () => {
    const store = await openStore();
    const coder = agent({ baseURL: upstream.baseURL, credentials: 'ControlPlane', apiKeyFrom: { env: 'TEAM_OPENAI_API_KEY' } });
    await store.create('agents', coder);
    await store.create<Run>('runs', {
      apiVersion: 'sidekicks.dev/v1alpha1',
      kind: 'Run',
      metadata: { namespace: 'team', name: 'r1' },
      spec: { session: 's', agent: 'coder', prompt: 'Say hi', nodeName: 'laptop' },
      status: { phase: 'Running' },
    } as Run);
    proxy = await serveRuntimeRoutes(modelProxyRoutes({ store, env: { TEAM_OPENAI_API_KEY: 'sk-control-plane' } }), { 'access-laptop': { name: 'laptop', owner: 'alice' } });
    nodeRelay = await startModelRelay({ url: proxy.origin, accessToken: async () => 'access-laptop' });
    upstream.enqueue(streamed({ content: 'hi from the proxy', usage: { prompt: 4, completion: 3 } }));

    // The node's environment has no key at all.
    const config = await agentConfigFor(coder, {}, nodeRelay);
    expect(JSON.stringify(config)).not.toContain('sk-control-plane');
    const h = harness({ agent: config, workspace: ws.path, prompt: 'Say hi' });
    await new OpenAIDriver().start(h.ctx);

    expect(h.events.at(-1)).toEqual({ type: 'run.completed', summary: 'hi from the proxy' });
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.headers.authorization).toBe('Bearer sk-control-plane');
  });
});
