import { describe, expect, it } from '@jest/globals';
import { CodexEventMapper, fileChangeTool, mcpToolName, parseCodexLine } from './codex-events.js';

// Sample lines in the shape of codex-rs/exec/src/exec_events.rs (ThreadEvent, tag "type";
// ThreadItem {id, type, ...details}) as `codex exec --json` prints them.
const line = (o: object) => JSON.stringify(o);

describe('parseCodexLine', () => {
  it.each([
    ['blank', ''],
    ['a log line', '2025-10-01T12:00:00Z INFO starting'],
    ['truncated JSON', '{"type":"item.completed","item":{'],
    ['no type', '{"thread_id":"x"}'],
  ])('ignores %s', (_name, text) => {
    expect(parseCodexLine(text)).toBeUndefined();
  });
});

describe('CodexEventMapper', () => {
  it.each([
    ['thread.started names the thread', { type: 'thread.started', thread_id: '0199a213-81c0-7800-8aa1-bbab2a035a53' }, []],
    ['turn.started counts a turn', { type: 'turn.started' }, [{ type: 'turn', turn: 1 }]],
    ['agent_message', { type: 'item.completed', item: { id: 'item_3', type: 'agent_message', text: 'Done.' } }, [{ type: 'assistant.message', text: 'Done.' }]],
    ['reasoning', { type: 'item.completed', item: { id: 'item_0', type: 'reasoning', text: '**Scanning** files' } }, [{ type: 'assistant.thinking', text: '**Scanning** files' }]],
    [
      'command_execution started',
      { type: 'item.started', item: { id: 'item_1', type: 'command_execution', command: "bash -lc ls", aggregated_output: '', exit_code: null, status: 'in_progress' } },
      [{ type: 'tool.invoked', callId: 'item_1', tool: 'RunCommand', input: { command: 'bash -lc ls' } }],
    ],
    [
      'command_execution completed alone (invoked first, then result)',
      { type: 'item.completed', item: { id: 'item_1', type: 'command_execution', command: 'false', aggregated_output: 'boom\n', exit_code: 1, status: 'failed' } },
      [
        { type: 'tool.invoked', callId: 'item_1', tool: 'RunCommand', input: { command: 'false' } },
        { type: 'tool.result', callId: 'item_1', tool: 'RunCommand', ok: false, output: 'boom\n', exitCode: 1 },
      ],
    ],
    [
      'file_change of an existing file',
      { type: 'item.completed', item: { id: 'item_2', type: 'file_change', changes: [{ path: 'src/a.ts', kind: 'update' }, { path: 'b.md', kind: 'add' }], status: 'completed' } },
      [
        { type: 'tool.invoked', callId: 'item_2', tool: 'EditFile', input: { paths: ['src/a.ts', 'b.md'], changes: [{ path: 'src/a.ts', kind: 'update' }, { path: 'b.md', kind: 'add' }] } },
        { type: 'tool.result', callId: 'item_2', tool: 'EditFile', ok: true, output: 'update src/a.ts\nadd b.md' },
      ],
    ],
    [
      'mcp_tool_call completed',
      { type: 'item.completed', item: { id: 'item_5', type: 'mcp_tool_call', server: 'docs', tool: 'search', arguments: { q: 'x' }, result: { content: [{ type: 'text', text: 'hit' }], structured_content: null }, error: null, status: 'completed' } },
      [
        { type: 'tool.invoked', callId: 'item_5', tool: 'mcp__docs__search', input: { q: 'x' } },
        { type: 'tool.result', callId: 'item_5', tool: 'mcp__docs__search', ok: true, output: 'hit' },
      ],
    ],
    ['todo_list as the plan', { type: 'item.started', item: { id: 'item_9', type: 'todo_list', items: [{ text: 'a', completed: true }, { text: 'b', completed: false }] } }, [{ type: 'assistant.thinking', text: 'Plan:\n[x] a\n[ ] b' }]],
    ['a non-fatal error item', { type: 'item.completed', item: { id: 'item_7', type: 'error', message: 'model rerouted' } }, []],
    ['a top-level error is remembered, not fatal', { type: 'error', message: 'Reconnecting... 1/5' }, []],
    ['turn.failed', { type: 'turn.failed', error: { message: 'unexpected status 401 Unauthorized' } }, [{ type: 'run.failed', category: 'Provider', reason: 'ProviderError', message: 'unexpected status 401 Unauthorized' }]],
    ['the legacy {id, msg} format is not this protocol', { id: '0', msg: { type: 'agent_message', message: 'hi' } }, []],
  ])('%s', (_name, event, expected) => {
    expect(new CodexEventMapper().map(line(event))).toEqual(expected);
  });

  it('remembers the thread, the last error and the last message, and completes with usage', () => {
    const mapper = new CodexEventMapper(2);
    mapper.map(line({ type: 'thread.started', thread_id: 'th-1' }));
    mapper.map(line({ type: 'turn.started' }));
    mapper.map(line({ type: 'error', message: 'Reconnecting... 1/5' }));
    mapper.map(line({ type: 'item.completed', item: { id: 'item_0', type: 'agent_message', text: 'first' } }));
    mapper.map(line({ type: 'item.completed', item: { id: 'item_1', type: 'agent_message', text: 'final answer' } }));
    expect(mapper.map(line({ type: 'turn.completed', usage: { input_tokens: 24763, cached_input_tokens: 24448, output_tokens: 122 } }))).toEqual([
      { type: 'usage', inputTokens: 24763, outputTokens: 122 },
      { type: 'run.completed', summary: 'final answer' },
    ]);
    expect(mapper.resumeId).toBe('th-1');
    expect(mapper.turns).toBe(3);
    expect(mapper.lastError).toBe('Reconnecting... 1/5');
  });

  it('shows a plan again only when it changed, and invokes a tool once', () => {
    const mapper = new CodexEventMapper();
    const todo = { type: 'item.updated', item: { id: 'item_9', type: 'todo_list', items: [{ text: 'a', completed: false }] } };
    expect(mapper.map(line(todo))).toHaveLength(1);
    expect(mapper.map(line(todo))).toEqual([]);
    const cmd = { id: 'item_1', type: 'command_execution', command: 'ls', aggregated_output: '', exit_code: null, status: 'in_progress' };
    mapper.map(line({ type: 'item.started', item: cmd }));
    expect(mapper.map(line({ type: 'item.completed', item: { ...cmd, aggregated_output: 'a\n', exit_code: 0, status: 'completed' } })).map((e) => e.type)).toEqual(['tool.result']);
  });

  it('names tools', () => {
    expect(fileChangeTool([{ kind: 'add' }])).toBe('WriteFile');
    expect(fileChangeTool([{ kind: 'add' }, { kind: 'delete' }])).toBe('EditFile');
    expect(mcpToolName({ server: 's', tool: 't' })).toBe('mcp__s__t');
  });
});
