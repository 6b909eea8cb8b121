import { describe, expect, it } from '@jest/globals';
import type { ToolCall } from '../contract.js';
import { codexGateCall } from './gate-call.js';

const call = (tool: string, input: Record<string, unknown>): ToolCall => ({ callId: 'c1', tool, input });

describe('codexGateCall: Codex tool names in our vocabulary', () => {
  const patch = '*** Begin Patch\n*** Add File: /tmp/new.txt\n+hi\n*** Update File: src/a.ts\n*** Move to: src/b.ts\n@@\n-a\n+b\n*** Delete File: old.ts\n*** End Patch';

  it.each<[string, ToolCall, ToolCall]>([
    ['exec with an argv', call('exec', { command: ['bash', '-lc', 'npm i'] }), call('RunCommand', { command: ['bash', '-lc', 'npm i'] })],
    ['shell with a workdir', call('shell', { command: ['touch', 'a'], workdir: '/tmp' }), call('RunCommand', { command: ['touch', 'a'], workdir: '/tmp' })],
    ['exec_command', call('exec_command', { command: 'ls' }), call('RunCommand', { command: 'ls' })],
    ['command_execution', call('command_execution', { command: 'ls' }), call('RunCommand', { command: 'ls' })],
    [
      'local_shell, whose command is nested in its action',
      call('local_shell', { action: { type: 'exec', command: ['touch', 'b'], working_directory: '/tmp' } }),
      call('RunCommand', { type: 'exec', command: ['touch', 'b'], working_directory: '/tmp' }),
    ],
    ['apply_patch as patch text', call('apply_patch', { input: patch }), call('EditFile', { paths: ['/tmp/new.txt', 'src/a.ts', 'src/b.ts', 'old.ts'] })],
    ['apply_patch adding files only', call('apply_patch', { patch: '*** Add File: a.txt\n+x' }), call('WriteFile', { paths: ['a.txt'] })],
    ['file_change as a list', call('file_change', { changes: [{ path: '/w/a.ts', kind: 'add' }] }), call('WriteFile', { paths: ['/w/a.ts'] })],
    ['apply_patch as a map by path', call('apply_patch', { changes: { '/etc/x': { type: 'delete' } } }), call('EditFile', { paths: ['/etc/x'] })],
    ['apply_patch with nothing readable', call('apply_patch', {}), call('EditFile', { paths: [] })],
    ['web_search', call('web_search', { query: 'x' }), call('WebSearch', { query: 'x' })],
    ['mcp_tool_call', call('mcp_tool_call', { server: 'gh', tool: 'list_prs', arguments: { state: 'open' } }), call('mcp__gh__list_prs', { state: 'open' })],
    ['mcp_tool_call without arguments', call('mcp_tool_call', { server: 'gh', tool: 'x' }), call('mcp__gh__x', {})],
  ])('translates %s', (_, codex, ours) => {
    expect(codexGateCall(codex)).toEqual(ours);
  });

  it.each<ToolCall>([
    call('RunCommand', { command: 'ls', cwd: '/w' }),
    call('WebFetch', { url: 'https://example.com' }),
    call('EditFile', { paths: ['/w/a'], changes: [], path: '/w/a' }),
    call('some_custom_tool', { x: 1 }),
  ])('passes a call already in our vocabulary (or unknown) through: %j', (ours) => {
    expect(codexGateCall(ours)).toBe(ours);
  });
});
