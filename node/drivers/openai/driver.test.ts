import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { eventually } from '../../../test/eventually.js';
import { FakeOpenAIServer, httpError, streamed } from '../../../test/fakes/openai-server.js';
import type { DriverEvent } from '../contract.js';
import { OpenAIDriver } from './driver.js';
import { harness, tempWorkspace, testAgent } from '../test-harness.js';

let ws: Awaited<ReturnType<typeof tempWorkspace>>;
let server: FakeOpenAIServer;
let waits: number[];
beforeEach(async () => {
  ws = await tempWorkspace();
  server = await FakeOpenAIServer.start();
  waits = [];
});
afterEach(async () => {
  await server.close();
  await ws.cleanup();
});

const agent = (extra: Partial<Parameters<typeof testAgent>[0]> = {}) =>
  testAgent({ driver: 'OpenAI', model: 'qwen-coder', endpoint: { baseURL: server.baseURL, apiKey: 'sk-test' }, instructions: 'You are careful.', ...extra });
// Retry waits are recorded, not slept: the tests check the backoff without spending it.
const driver = () => new OpenAIDriver({ sleep: async (ms) => void waits.push(ms), random: () => 0 });
const ofType = <T extends DriverEvent['type']>(events: DriverEvent[], type: T) => events.filter((e): e is Extract<DriverEvent, { type: T }> => e.type === type);

describe('OpenAIDriver', () => {
  it('runs the tool loop: streams a turn, executes tool calls, sends results back, completes', async () => {
    server.enqueue(
      streamed({ content: 'I will write it.', toolCalls: [{ id: 'call_a', name: 'WriteFile', arguments: '{"path":"hello.txt","content":"hi there"}' }], usage: { prompt: 50, completion: 20 } }),
      streamed({ content: 'Wrote hello.txt.', usage: { prompt: 90, completion: 5 } }, { multiline: true }),
    );
    const h = harness({ agent: agent({ tools: ['WriteFile', 'ReadFile'] }), workspace: ws.path, prompt: 'Write hello.txt' });
    await driver().start(h.ctx);

    expect(h.types()).toEqual(['turn', 'usage', 'assistant.message', 'tool.invoked', 'tool.result', 'turn', 'usage', 'assistant.message', 'run.completed']);
    expect(ofType(h.events, 'tool.invoked')).toEqual([{ type: 'tool.invoked', callId: 'call_a', tool: 'WriteFile', input: { path: 'hello.txt', content: 'hi there' } }]);
    expect(ofType(h.events, 'tool.result')[0]).toMatchObject({ callId: 'call_a', ok: true });
    expect(await readFile(path.join(ws.path, 'hello.txt'), 'utf8')).toBe('hi there');
    expect(ofType(h.events, 'usage')).toEqual([
      { type: 'usage', inputTokens: 50, outputTokens: 20 },
      { type: 'usage', inputTokens: 90, outputTokens: 5 },
    ]);
    expect(h.events.at(-1)).toEqual({ type: 'run.completed', summary: 'Wrote hello.txt.' });

    const [first, second] = server.requests;
    expect(first!.headers.authorization).toBe('Bearer sk-test');
    expect(first!.body).toMatchObject({ model: 'qwen-coder', stream: true, stream_options: { include_usage: true } });
    expect(first!.body.messages).toEqual([
      { role: 'system', content: 'You are careful.' },
      { role: 'user', content: 'Write hello.txt' },
    ]);
    expect(first!.body.tools!.map((t) => t.function.name)).toEqual(['WriteFile', 'ReadFile']);
    expect(first!.body.tools![0]!.function.parameters).toMatchObject({ type: 'object', required: ['path', 'content'] });
    const toolOutput = ofType(h.events, 'tool.result')[0]!.output;
    expect(second!.body.messages.slice(2)).toEqual([
      { role: 'assistant', content: 'I will write it.', tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'WriteFile', arguments: '{"path":"hello.txt","content":"hi there"}' } }] },
      { role: 'tool', content: toolOutput, tool_call_id: 'call_a' },
    ]);
    // A checkpoint once the answer is in, after each tool result, and at the end.
    expect(ofType(h.events, 'checkpoint').map((e) => [e.checkpoint.turns, e.checkpoint.transcript.at(-1)!.role])).toEqual([
      [1, 'assistant'],
      [1, 'tool'],
      [2, 'assistant'],
    ]);
  });

  it('after a restart mid-call, does not run the interrupted command again, tells the model, and continues', async () => {
    // The checkpoint of a run killed while its RunCommand call c1 ran: the answer is in, no result.
    const checkpoint = {
      turns: 1,
      transcript: [
        { role: 'user' as const, content: 'Build it', source: 'prompt' as const },
        { role: 'assistant' as const, content: '', toolCalls: [{ id: 'c1', name: 'RunCommand', arguments: '{"command":"echo ran >> side-effect.txt"}' }, { id: 'c2', name: 'ListFiles', arguments: '{}' }] },
      ],
    };
    server.enqueue(streamed({ content: 'I will check the workspace first.' }));
    const h = harness({ agent: agent(), workspace: ws.path, checkpoint, interruptedCalls: ['c1'] });
    await driver().start(h.ctx);

    expect(h.types()).toEqual(['tool.skipped_during_recovery', 'tool.result', 'tool.invoked', 'tool.result', 'turn', 'assistant.message', 'run.completed']);
    expect(ofType(h.events, 'tool.result')[0]).toMatchObject({ callId: 'c1', ok: false, output: expect.stringContaining('not run again') });
    await expect(readFile(path.join(ws.path, 'side-effect.txt'), 'utf8')).rejects.toThrow();
    expect(h.permissions.map((c) => c.callId)).toEqual(['c2']);
    // The model was asked once, after both calls had their results.
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.body.messages.slice(-2).map((m) => [m.role, m.tool_call_id])).toEqual([
      ['tool', 'c1'],
      ['tool', 'c2'],
    ]);
  });

  it('sends a refused permission back to the model as the tool result', async () => {
    server.enqueue(
      streamed({ toolCalls: [{ id: 'call_rm', name: 'RunCommand', arguments: '{"command":"rm -rf /"}' }] }),
      streamed({ content: 'Understood, I will not.' }),
    );
    const h = harness({ agent: agent(), workspace: ws.path, deny: (call) => (call.tool === 'RunCommand' ? 'not on my watch' : undefined) });
    await driver().start(h.ctx);
    expect(ofType(h.events, 'tool.result')).toEqual([expect.objectContaining({ ok: false, output: 'refused: not on my watch' })]);
    expect(server.requests[1]!.body.messages.at(-1)).toEqual({ role: 'tool', content: 'refused: not on my watch', tool_call_id: 'call_rm' });
    expect(h.events.at(-1)).toEqual({ type: 'run.completed', summary: 'Understood, I will not.' });
  });

  it('tells the model about unknown tools and unparseable arguments instead of running them', async () => {
    server.enqueue(
      streamed({ toolCalls: [{ id: 'c1', name: 'DeleteRepo', arguments: '{}' }, { id: 'c2', name: 'ReadFile', arguments: '{"path": ' }] }),
      streamed({ content: 'Sorry.' }),
    );
    const h = harness({ agent: agent(), workspace: ws.path });
    await driver().start(h.ctx);
    expect(h.permissions).toEqual([]);
    const results = ofType(h.events, 'tool.result');
    expect(results[0]).toMatchObject({ callId: 'c1', ok: false, output: expect.stringContaining('unknown tool "DeleteRepo"') });
    expect(results[1]).toMatchObject({ callId: 'c2', ok: false, output: expect.stringContaining('not valid JSON') });
    expect(server.requests[1]!.body.messages.filter((m) => m.role === 'tool')).toHaveLength(2);
  });

  it.each([
    [401, 'Unauthorized', 'Incorrect API key provided: sk-test.'],
    [403, 'Forbidden', 'Project does not have access to model qwen-coder'],
    [404, 'NotFound', 'The model `qwen-coder` does not exist'],
  ])('fails at once on HTTP %i with the provider message', async (status, reason, message) => {
    server.enqueue(httpError(status, message));
    const h = harness({ agent: agent(), workspace: ws.path });
    await driver().start(h.ctx);
    expect(h.types()).toEqual(['turn', 'run.failed']);
    const failed = ofType(h.events, 'run.failed')[0]!;
    expect(failed).toMatchObject({ category: 'Provider', reason });
    expect(failed.message).toContain(`HTTP ${status}`);
    expect(failed.message).toContain(message);
    expect(server.requests).toHaveLength(1);
    expect(waits).toEqual([]);
  });

  it('honours Retry-After on 429 and then succeeds', async () => {
    server.enqueue(httpError(429, 'Rate limit reached', { 'retry-after': '2' }), streamed({ content: 'finally' }));
    const h = harness({ agent: agent(), workspace: ws.path });
    await driver().start(h.ctx);
    expect(waits).toEqual([2000]);
    expect(h.events.at(-1)).toEqual({ type: 'run.completed', summary: 'finally' });
    expect(ofType(h.events, 'turn')).toHaveLength(1);
  });

  it('retries 500s with exponential backoff, then fails with the status in the message', async () => {
    server.enqueue(...[1, 2, 3, 4].map(() => httpError(500, 'The server had an error')));
    const h = harness({ agent: agent(), workspace: ws.path });
    await driver().start(h.ctx);
    expect(server.requests).toHaveLength(4);
    expect(waits).toEqual([250, 500, 1000]);
    const failed = ofType(h.events, 'run.failed')[0]!;
    expect(failed).toMatchObject({ category: 'Provider', reason: 'ServerError' });
    expect(failed.message).toMatch(/HTTP 500 .*The server had an error \(gave up after 4 attempts\)/);
  });

  it('re-requests a turn whose connection dropped mid-stream, without duplicating its text', async () => {
    server.enqueue(
      streamed({ content: 'Partial answer that gets cut', reasoning: 'thinking hard' }, { dropAfter: 5 }),
      streamed({ content: 'Partial answer that gets cut off no more.', reasoning: 'thinking hard' }),
    );
    const h = harness({ agent: agent(), workspace: ws.path });
    await driver().start(h.ctx);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.body.messages).toEqual(server.requests[0]!.body.messages);
    expect(ofType(h.events, 'assistant.message')).toEqual([{ type: 'assistant.message', text: 'Partial answer that gets cut off no more.' }]);
    expect(ofType(h.events, 'turn')).toHaveLength(1);
    // Reasoning streams as it arrives, so the dropped attempt's reasoning was already shown.
    expect(ofType(h.events, 'assistant.thinking').at(-1)).toEqual({ type: 'assistant.thinking', text: 'thinking hard' });
    expect(ofType(h.events, 'raw').some((e) => e.data.includes('retrying turn 1'))).toBe(true);
    expect(h.events.at(-1)).toMatchObject({ type: 'run.completed' });
  });

  it('fails with Transport when the endpoint cannot be reached', async () => {
    const closed = await FakeOpenAIServer.start();
    const baseURL = closed.baseURL;
    await closed.close();
    const h = harness({ agent: agent({ endpoint: { baseURL } }), workspace: ws.path });
    await driver().start(h.ctx);
    expect(waits).toHaveLength(3);
    expect(h.events.at(-1)).toMatchObject({ type: 'run.failed', category: 'Transport', reason: 'ConnectionFailed' });
  });

  it('fails with MaxTurns (Budget) when the model keeps calling tools', async () => {
    server.enqueue(streamed({ toolCalls: [{ id: 'c1', name: 'ListFiles', arguments: '{}' }] }));
    const h = harness({ agent: agent({ maxTurns: 1 }), workspace: ws.path });
    await driver().start(h.ctx);
    expect(h.types()).toEqual(['turn', 'tool.invoked', 'tool.result', 'run.failed']);
    expect(h.events.at(-1)).toMatchObject({ type: 'run.failed', category: 'Budget', reason: 'BudgetExhausted' });
  });

  it('resumes from a checkpoint without repeating completed turns', async () => {
    server.enqueue(streamed({ toolCalls: [{ id: 'c1', name: 'WriteFile', arguments: '{"path":"a.txt","content":"1"}' }] }), { kind: 'stream', chunks: [], hold: true });
    const first = harness({ agent: agent(), workspace: ws.path });
    const d1 = driver();
    const running = d1.start(first.ctx);
    await eventually(() => server.requests.length === 2);
    await d1.interrupt();
    await running;
    expect(first.types()).toEqual(['turn', 'tool.invoked', 'tool.result', 'turn']);
    const checkpoint = first.lastCheckpoint()!;
    expect(checkpoint.turns).toBe(1);

    server.enqueue(streamed({ content: 'All done.' }));
    const second = harness({ agent: agent(), workspace: ws.path, checkpoint });
    await driver().start(second.ctx);
    expect(second.types()).toEqual(['turn', 'assistant.message', 'run.completed']);
    expect(ofType(second.events, 'turn')).toEqual([{ type: 'turn', turn: 2 }]);
    expect(second.permissions).toEqual([]);
    expect(server.requests[2]!.body.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool']);
  });

  it('delivers a steer as the next user message after the current turn (degraded)', async () => {
    server.enqueue({ kind: 'stream', chunks: [], hold: true });
    const h = harness({ agent: agent(), workspace: ws.path });
    const d = driver();
    const running = d.start(h.ctx);
    await eventually(() => server.requests.length === 1);
    expect(await d.steer('Use tabs, not spaces.')).toBe('degraded');
    await d.interrupt();
    await running;
    expect(h.lastCheckpoint()!.transcript.at(-1)).toEqual({ role: 'user', content: 'Use tabs, not spaces.', source: 'steer' });
  });

  it('appends a steer that arrives during a turn before asking again', async () => {
    server.enqueue(streamed({ toolCalls: [{ id: 'c1', name: 'ListFiles', arguments: '{}' }] }), streamed({ content: 'ok, tabs' }));
    const h = harness({ agent: agent(), workspace: ws.path });
    const d = driver();
    h.ctx.tools.permission = async () => {
      await d.steer('Use tabs.');
      return { allow: true };
    };
    await d.start(h.ctx);
    expect(server.requests[1]!.body.messages.slice(-1)).toEqual([{ role: 'user', content: 'Use tabs.' }]);
    expect(h.events.at(-1)).toEqual({ type: 'run.completed', summary: 'ok, tabs' });
  });

  it('emits streamed reasoning as thinking before the answer', async () => {
    server.enqueue(streamed({ reasoning: 'The user wants a greeting.', content: 'Hello!' }));
    const h = harness({ agent: agent(), workspace: ws.path });
    await driver().start(h.ctx);
    expect(h.types()).toEqual(['turn', 'assistant.thinking', 'assistant.message', 'run.completed']);
    expect(ofType(h.events, 'assistant.thinking')).toEqual([{ type: 'assistant.thinking', text: 'The user wants a greeting.' }]);
  });

  it('fails with InvalidConfig when the agent has no endpoint', async () => {
    const h = harness({ agent: testAgent({ driver: 'OpenAI', model: 'm' }), workspace: ws.path });
    await driver().start(h.ctx);
    expect(h.events).toEqual([expect.objectContaining({ type: 'run.failed', category: 'Provider', reason: 'InvalidConfig' })]);
  });
});
