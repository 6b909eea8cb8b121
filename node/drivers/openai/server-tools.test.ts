import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { FakeOpenAIServer, streamed } from '../../../test/fakes/openai-server.js';
import type { ServerTool } from '../contract.js';
import { OpenAIDriver } from './driver.js';
import { harness, tempWorkspace, testAgent } from '../test-harness.js';

let ws: Awaited<ReturnType<typeof tempWorkspace>>;
let server: FakeOpenAIServer;
beforeEach(async () => {
  ws = await tempWorkspace();
  server = await FakeOpenAIServer.start();
});
afterEach(async () => {
  await server.close();
  await ws.cleanup();
});

const shout: ServerTool = {
  name: 'shout',
  description: 'Upper-cases its text.',
  inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  command: ['/bin/sh', '-c', 'tr a-z A-Z'],
  env: {},
  timeoutSeconds: 10,
};

describe('OpenAIDriver with server-defined tools', () => {
  it('offers a Tool as a function with its inputSchema as parameters, and runs the call the model makes', async () => {
    server.enqueue(
      streamed({ content: '', toolCalls: [{ id: 'call_s', name: 'shout', arguments: '{"text":"quiet please"}' }] }),
      streamed({ content: 'Shouted.' }),
    );
    const h = harness({ agent: testAgent({ driver: 'OpenAI', model: 'm', endpoint: { baseURL: server.baseURL }, tools: ['ReadFile'], serverTools: [shout] }), workspace: ws.path });
    await new OpenAIDriver().start(h.ctx);

    const [first, second] = server.requests;
    expect(first!.body.tools).toEqual([
      expect.objectContaining({ function: expect.objectContaining({ name: 'ReadFile' }) }),
      { type: 'function', function: { name: 'shout', description: 'Upper-cases its text.', parameters: shout.inputSchema } },
    ]);
    expect(h.permissions).toEqual([{ callId: 'call_s', tool: 'shout', input: { text: 'quiet please' } }]);
    // The command reads the input JSON on stdin.
    expect(h.events).toContainEqual(expect.objectContaining({ type: 'tool.result', tool: 'shout', ok: true, output: '{"TEXT":"QUIET PLEASE"}' }));
    expect(second!.body.messages.at(-1)).toEqual({ role: 'tool', content: '{"TEXT":"QUIET PLEASE"}', tool_call_id: 'call_s' });
    expect(h.events.at(-1)).toEqual({ type: 'run.completed', summary: 'Shouted.' });
  });

  it('a Tool the agent was not given stays an unknown tool to the model', async () => {
    server.enqueue(streamed({ content: '', toolCalls: [{ id: 'call_x', name: 'shout', arguments: '{"text":"x"}' }] }), streamed({ content: 'ok' }));
    const h = harness({ agent: testAgent({ driver: 'OpenAI', model: 'm', endpoint: { baseURL: server.baseURL }, tools: ['ReadFile'] }), workspace: ws.path });
    await new OpenAIDriver().start(h.ctx);
    expect(h.permissions).toEqual([]);
    expect(h.events).toContainEqual(expect.objectContaining({ type: 'tool.result', tool: 'shout', ok: false, output: expect.stringContaining('unknown tool "shout"') }));
  });
});
