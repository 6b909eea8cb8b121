import { describe, expect, it } from '@jest/globals';
import { reply } from '../../../test/fakes/openai-server.js';
import { ChunkError, TurnAssembler } from './turn.js';

describe('TurnAssembler', () => {
  it('assembles content, tool calls split across chunks, finish_reason and usage', () => {
    const a = new TurnAssembler();
    const chunks = reply({
      content: 'Let me look.',
      toolCalls: [
        { id: 'call_1', name: 'ReadFile', arguments: '{"path":"a.txt"}' },
        { id: 'call_2', name: 'ListFiles', arguments: '{"recursive":true}' },
      ],
      usage: { prompt: 12, completion: 7 },
    });
    for (const c of chunks) a.add(c);
    expect(a.finished).toBe(true);
    expect(a.result()).toEqual({
      content: 'Let me look.',
      reasoning: '',
      toolCalls: [
        { id: 'call_1', name: 'ReadFile', arguments: '{"path":"a.txt"}' },
        { id: 'call_2', name: 'ListFiles', arguments: '{"recursive":true}' },
      ],
      finishReason: 'tool_calls',
      usage: { inputTokens: 12, outputTokens: 7 },
    });
  });

  it('orders interleaved tool call deltas by index', () => {
    const a = new TurnAssembler();
    a.add({ choices: [{ index: 0, delta: { tool_calls: [{ index: 1, id: 'b', function: { name: 'WriteFile', arguments: '{"pa' } }] } }] });
    a.add({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'a', function: { name: 'ReadFile', arguments: '{}' } }] } }] });
    a.add({ choices: [{ index: 0, delta: { tool_calls: [{ index: 1, function: { arguments: 'th":"x"}' } }] } }] });
    expect(a.result().toolCalls).toEqual([
      { id: 'a', name: 'ReadFile', arguments: '{}' },
      { id: 'b', name: 'WriteFile', arguments: '{"path":"x"}' },
    ]);
  });

  it('reads a usage chunk whose choices are null, and reasoning deltas', () => {
    const a = new TurnAssembler();
    expect(a.add({ choices: [{ index: 0, delta: { reasoning_content: 'hmm' } }] }).reasoning).toBe('hmm');
    expect(a.add({ choices: [{ index: 0, delta: { reasoning: ' ok' } }] }).reasoning).toBe(' ok');
    a.add({ choices: null, usage: { prompt_tokens: 3, completion_tokens: 4 } });
    expect(a.result()).toMatchObject({ reasoning: 'hmm ok', usage: { inputTokens: 3, outputTokens: 4 } });
    expect(a.finished).toBe(false);
  });

  it('throws on an in-stream error object and on chunks that are not objects', () => {
    const a = new TurnAssembler();
    expect(() => a.add({ error: { message: 'model overloaded' } })).toThrow(new ChunkError('model overloaded', true));
    expect(() => a.add('nope')).toThrow(ChunkError);
    expect(() => a.add({ choices: 'x' })).toThrow(ChunkError);
  });
});
