import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeOpenAIServer, reply, streamed } from '../test/fakes/openai-server.js';
import { serveRuntimeRoutes, type RouteServer } from '../test/runtime-routes.js';
import { freePort } from '../test/services.js';
import { modelProxyRoutes } from '../api/runtime/model-proxy.js';
import { HEADER_PROTOCOL } from '../api/runtime/protocol.js';
import { openStore } from '../api/store/open-store.js';
import { schemeResolver } from '../api/store/scheme-resolver.js';
import type { ObjectStore } from '../api/store/object-store.js';
import { scheme } from '../resources/index.js';
import type { Agent } from '../resources/kinds/agent.js';
import type { Run } from '../resources/kinds/run.js';
import { ProviderCallError, streamChatCompletion } from './drivers/openai/client.js';
import { startModelRelay, type ModelRelay } from './model-relay.js';

let dir: string;
let store: ObjectStore;
let upstream: FakeOpenAIServer;
let proxy: RouteServer;
let relay: ModelRelay | undefined;
let tokenAsks: number;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'model-relay-'));
  store = await openStore({ kind: 'sqlite', path: join(dir, 'db.sqlite') }, schemeResolver(scheme));
  upstream = await FakeOpenAIServer.start();
  proxy = await serveRuntimeRoutes(modelProxyRoutes({ store, env: { TEAM_OPENAI_API_KEY: 'sk-control-plane' } }), { 'access-laptop': { name: 'laptop', owner: 'alice' } });
  tokenAsks = 0;
  await store.create<Agent>('agents', {
    apiVersion: 'sidekicks.dev/v1alpha1',
    kind: 'Agent',
    metadata: { namespace: 'team', name: 'coder' },
    spec: { driver: 'OpenAI', model: 'gpt-test', maxTurns: 50, endpoint: { baseURL: upstream.baseURL, credentials: 'ControlPlane', apiKeyFrom: { env: 'TEAM_OPENAI_API_KEY' } } },
    status: {},
  });
  await store.create<Run>('runs', {
    apiVersion: 'sidekicks.dev/v1alpha1',
    kind: 'Run',
    metadata: { namespace: 'team', name: 'r1' },
    spec: { session: 's', agent: 'coder', prompt: 'p', nodeName: 'laptop' },
    status: { phase: 'Running' },
  } as Run);
});
afterEach(async () => {
  await relay?.close();
  relay = undefined;
  await proxy.close();
  await upstream.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function startRelay(token = 'access-laptop', url = proxy.origin): Promise<ModelRelay> {
  relay = await startModelRelay({
    url,
    accessToken: async () => {
      tokenAsks += 1;
      return token;
    },
  });
  return relay;
}

const observer = { onRaw: () => undefined, onReasoning: () => undefined, onAnswer: () => undefined };
const body = { model: 'gpt-test', stream: true, messages: [{ role: 'user', content: 'hi' }] };

describe('model relay', () => {
  it("takes the OpenAI client's call on loopback to the control plane's proxy with the node's access token", async () => {
    const r = await startRelay();
    expect(r.baseURLFor('team', 'coder')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/agents\/team\/coder$/);
    upstream.enqueue(streamed({ content: 'relayed answer', usage: { prompt: 3, completion: 2 } }));

    const turn = await streamChatCompletion({ baseURL: r.baseURLFor('team', 'coder'), apiKey: r.apiKey }, body, observer, new AbortController().signal);
    expect(turn.content).toBe('relayed answer');
    expect(turn.usage).toEqual({ inputTokens: 3, outputTokens: 2 });
    expect(tokenAsks).toBe(1);
    // The provider sees the control plane's key; the relay's secret and the node's token stop at the control plane.
    expect(upstream.requests[0]!.headers.authorization).toBe('Bearer sk-control-plane');
  });

  it('streams the answer through as it arrives, not when it ends', async () => {
    const r = await startRelay();
    // The upstream sends the whole turn and then holds the response open: only an unbuffered
    // relay and proxy let the client read the turn before the upstream ends it.
    upstream.enqueue({ kind: 'stream', chunks: reply({ content: 'early words' }), hold: true });
    const res = await fetch(`${r.baseURLFor('team', 'coder')}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${r.apiKey}` },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('"finish_reason":"stop"')) {
      const { done, value } = await reader.read();
      expect(done).toBe(false);
      text += Buffer.from(value!).toString('utf8');
    }
    expect(text).toContain('"content":"early"');
    expect(text).not.toContain('[DONE]');
    await reader.cancel();
  });

  it('refuses a caller without its secret, before asking for a token or calling out', async () => {
    const r = await startRelay();
    for (const authorization of ['Bearer sk-guess', '']) {
      const res = await fetch(`${r.baseURLFor('team', 'coder')}/chat/completions`, { method: 'POST', headers: { authorization }, body: JSON.stringify(body) });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { message: string } }).error.message).toBe('model relay: missing or wrong bearer token');
    }
    expect(tokenAsks).toBe(0);
    expect(upstream.requests).toHaveLength(0);
  });

  it('sends the protocol version, and hands a refusal of the node back to the driver as it came', async () => {
    let seen: string | undefined;
    const r = await startModelRelay({
      url: proxy.origin,
      accessToken: async () => 'revoked-token',
      fetch: (input, init) => {
        seen = new Headers(init?.headers).get(HEADER_PROTOCOL) ?? undefined;
        return fetch(input, init);
      },
    });
    relay = r;
    const err = await streamChatCompletion({ baseURL: r.baseURLFor('team', 'coder'), apiKey: r.apiKey }, body, observer, new AbortController().signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderCallError);
    expect(err).toMatchObject({ status: 401, reason: 'Unauthorized', retryable: false });
    expect(seen).toBe('1');
    expect(upstream.requests).toHaveLength(0);
  });

  it('answers 502 naming the control plane when it cannot be reached', async () => {
    const port = await freePort();
    const r = await startRelay('access-laptop', `http://127.0.0.1:${port}`);
    const err = await streamChatCompletion({ baseURL: r.baseURLFor('team', 'coder'), apiKey: r.apiKey }, body, observer, new AbortController().signal).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 502, retryable: true });
    expect((err as Error).message).toContain(`model relay: could not reach the control plane at http://127.0.0.1:${port}: ECONNREFUSED`);
  });
});
