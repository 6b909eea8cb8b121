import { describe, expect, it } from '@jest/globals';
import { ClaudeStreamMapper, normalizeClaudeTool, parseClaudeLine, toolResultText } from './stream.js';

// Sample lines in the shape Claude Code 2.x prints with `-p --output-format stream-json --verbose`
// (recorded protocol: hrntknr/claude-code-protocol docs; field names per Anthropic's Agent SDK types).
const SID = '0e639165-79b1-4bd4-bb0f-4cb4c15115d4';
const init = JSON.stringify({ type: 'system', subtype: 'init', cwd: '/w', session_id: SID, tools: ['Bash', 'Read'], mcp_servers: [], model: 'claude-sonnet-4-5-20250929', permissionMode: 'default', apiKeySource: 'none', claude_code_version: '2.1.0', uuid: 'u1' });
const assistant = (id: string, block: object) =>
  JSON.stringify({ type: 'assistant', message: { id, type: 'message', role: 'assistant', model: 'm', content: [block], stop_reason: null, usage: { input_tokens: 3, output_tokens: 1 } }, parent_tool_use_id: null, session_id: SID, uuid: 'u' });
const toolResult = (block: object) => JSON.stringify({ type: 'user', message: { role: 'user', content: [block] }, parent_tool_use_id: null, session_id: SID, uuid: 'u', tool_use_result: {} });
const result = (fields: object) =>
  JSON.stringify({ type: 'result', is_error: false, duration_ms: 1998, duration_api_ms: 1976, num_turns: 2, session_id: SID, total_cost_usd: 0.0079825, usage: { input_tokens: 3, cache_creation_input_tokens: 10, cache_read_input_tokens: 15635, output_tokens: 6 }, permission_denials: [], uuid: 'u', ...fields });

describe('parseClaudeLine', () => {
  it.each([
    ['blank', ''],
    ['not JSON', 'Error: something on stdout'],
    ['truncated JSON', '{"type":"assistant","message":'],
    ['an array', '[1,2]'],
    ['no type', '{"session_id":"x"}'],
  ])('ignores %s', (_name, line) => {
    expect(parseClaudeLine(line)).toBeUndefined();
  });

  it('parses a typed object', () => {
    expect(parseClaudeLine(init)?.type).toBe('system');
  });
});

describe('ClaudeStreamMapper', () => {
  it.each([
    ['system init names the session, no events', init, [], SID],
    ['assistant text', assistant('msg_1', { type: 'text', text: 'Hello' }), [{ type: 'turn', turn: 1 }, { type: 'assistant.message', text: 'Hello' }], SID],
    ['assistant thinking', assistant('msg_1', { type: 'thinking', thinking: 'Hmm', signature: 'sig' }), [{ type: 'turn', turn: 1 }, { type: 'assistant.thinking', text: 'Hmm' }], SID],
    [
      'tool_use, normalized to our tool name',
      assistant('msg_1', { type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls', description: 'List' } }),
      [{ type: 'turn', turn: 1 }, { type: 'tool.invoked', callId: 'toolu_1', tool: 'RunCommand', input: { command: 'ls', description: 'List' } }],
      SID,
    ],
    ['unknown type', JSON.stringify({ type: 'stream_event', event: {} }), [], undefined],
    ['malformed', '{"type":"assistant"', [], undefined],
  ])('%s', (_name, line, events, resumeId) => {
    const mapper = new ClaudeStreamMapper();
    expect(mapper.map(line)).toEqual(events);
    expect(mapper.resumeId).toBe(resumeId);
  });

  it('counts one turn per API message although each block comes on its own line', () => {
    const mapper = new ClaudeStreamMapper(4);
    mapper.map(assistant('msg_1', { type: 'thinking', thinking: 'a', signature: '' }));
    mapper.map(assistant('msg_1', { type: 'text', text: 'b' }));
    mapper.map(assistant('msg_2', { type: 'text', text: 'c' }));
    expect(mapper.turns).toBe(6);
  });

  it('pairs tool results with their call, string or block content, error flag', () => {
    const mapper = new ClaudeStreamMapper();
    mapper.map(assistant('msg_1', { type: 'tool_use', id: 'toolu_1', name: 'Write', input: { file_path: '/w/a.txt', content: 'x' } }));
    expect(mapper.map(toolResult({ tool_use_id: 'toolu_1', type: 'tool_result', content: [{ type: 'text', text: 'File created' }] }))).toEqual([
      { type: 'tool.result', callId: 'toolu_1', tool: 'WriteFile', ok: true, output: 'File created' },
    ]);
    expect(mapper.map(toolResult({ tool_use_id: 'toolu_1', type: 'tool_result', content: 'denied', is_error: true }))).toEqual([
      { type: 'tool.result', callId: 'toolu_1', tool: 'WriteFile', ok: false, output: 'denied' },
    ]);
  });

  it.each([
    ['success', { subtype: 'success', result: 'All done' }, { type: 'run.completed', summary: 'All done' }],
    ['success flagged is_error (e.g. bad API key)', { subtype: 'success', is_error: true, result: 'Invalid API key · Please run /login' }, { type: 'run.failed', category: 'Provider', reason: 'ProviderError', message: 'Invalid API key · Please run /login' }],
    ['error_during_execution', { subtype: 'error_during_execution', errors: ['API error: Overloaded'] }, { type: 'run.failed', category: 'Provider', reason: 'ProviderError', message: 'API error: Overloaded' }],
    ['error_max_turns', { subtype: 'error_max_turns', errors: [] }, { type: 'run.failed', category: 'Budget', reason: 'BudgetExhausted', message: 'Claude Code stopped at its turn limit (2 turns).' }],
  ])('result %s → usage then the verdict', (_name, fields, verdict) => {
    const events = new ClaudeStreamMapper().map(result(fields));
    expect(events).toEqual([{ type: 'usage', inputTokens: 3 + 10 + 15635, outputTokens: 6, costUSD: 0.0079825 }, verdict]);
  });
});

describe('helpers', () => {
  it('normalizes known tools and adds path beside file_path', () => {
    expect(normalizeClaudeTool('Edit', { file_path: '/a', old_string: 'x', new_string: 'y' })).toEqual({ tool: 'EditFile', input: { file_path: '/a', old_string: 'x', new_string: 'y', path: '/a' } });
    expect(normalizeClaudeTool('WebFetch', { url: 'https://x' })).toEqual({ tool: 'WebFetch', input: { url: 'https://x' } });
  });

  // The approval gate reads only our names: whatever Claude Code calls, the permission hook hands over this.
  it.each<[string, Record<string, unknown>, string, Record<string, unknown>]>([
    ['Bash', { command: 'git push -f', description: 'push' }, 'RunCommand', { command: 'git push -f', description: 'push' }],
    ['Write', { file_path: '/etc/hosts', content: '' }, 'WriteFile', { file_path: '/etc/hosts', content: '', path: '/etc/hosts' }],
    ['MultiEdit', { file_path: '/tmp/x.ts', edits: [] }, 'EditFile', { file_path: '/tmp/x.ts', edits: [], path: '/tmp/x.ts' }],
    ['NotebookEdit', { notebook_path: '/tmp/n.ipynb' }, 'EditFile', { notebook_path: '/tmp/n.ipynb', path: '/tmp/n.ipynb' }],
    ['Read', { file_path: '/etc/passwd' }, 'ReadFile', { file_path: '/etc/passwd', path: '/etc/passwd' }],
    ['Glob', { pattern: '**/*.ts' }, 'ListFiles', { pattern: '**/*.ts' }],
    ['Grep', { pattern: 'TODO', path: '/' }, 'ListFiles', { pattern: 'TODO', path: '/' }],
    ['LS', { path: '/w' }, 'ListFiles', { path: '/w' }],
    ['TodoWrite', { todos: [] }, 'TodoWrite', { todos: [] }],
    ['ExitPlanMode', { plan: 'p' }, 'ExitPlanMode', { plan: 'p' }],
    ['mcp__github__create_issue', { title: 'x' }, 'mcp__github__create_issue', { title: 'x' }],
    ['RunCommand', { command: 'ls' }, 'RunCommand', { command: 'ls' }],
  ])('translates %s %j to %s %j', (name, input, tool, translated) => {
    expect(normalizeClaudeTool(name, input)).toEqual({ tool, input: translated });
  });

  it('flattens tool_result content', () => {
    expect(toolResultText([{ type: 'text', text: 'a' }, { type: 'image', source: {} }, { type: 'text', text: 'b' }])).toBe('a\n[image]\nb');
    expect(toolResultText(undefined)).toBe('');
  });
});
