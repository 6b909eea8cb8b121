import { describe, expect, it } from '@jest/globals';
import type { Agent } from '../../resources/kinds/agent.js';
import { LocalDriverProbe } from './probe.js';

const relay = { apiKey: 'skr-relay-secret', baseURLFor: (ns: string, name: string) => `http://127.0.0.1:1234/agents/${ns}/${name}` };

function agent(credentials: 'Node' | 'ControlPlane'): Agent {
  return {
    apiVersion: 'sidekicks.dev/v1alpha1',
    kind: 'Agent',
    metadata: { namespace: 'team', name: 'coder' },
    spec: { driver: 'OpenAI', model: 'gpt-test', maxTurns: 50, endpoint: { baseURL: 'https://api.example/v1', credentials, apiKeyFrom: { env: 'TEAM_OPENAI_API_KEY' } } },
    status: {},
  };
}

describe('LocalDriverProbe for an endpoint whose key the control plane keeps', () => {
  it('is Ready on a node with a model relay, without reading a key or calling out', async () => {
    const result = await new LocalDriverProbe({}, relay).probe(agent('ControlPlane'));
    expect(result).toEqual({ ready: true, reason: 'ControlPlaneProxy', message: "model calls go through the control plane's proxy to https://api.example/v1" });
  });

  it('reads the key locally where there is no relay (the daemon), and on a node for a node-kept key', async () => {
    for (const [credentials, withRelay] of [['ControlPlane', undefined], ['Node', relay]] as const) {
      const result = await new LocalDriverProbe({}, withRelay).probe(agent(credentials));
      expect(result).toMatchObject({ ready: false, reason: 'SecretNotFound' });
      expect(result.message).toContain('environment variable TEAM_OPENAI_API_KEY is not set on this machine');
    }
  });
});
