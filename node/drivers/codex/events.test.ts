import { describe, expect, it } from '@jest/globals';
import { changedPaths, CodexEventMapper, fileChangesOf, fileChangeTool, mcpToolName } from './events.js';
import { commandApprovalCall, fileChangeApprovalCall } from './approvals.js';
import type { Json } from '../json-lines.js';

// Notifications in the shape of codex-rs/app-server-protocol src/protocol/v2.rs (camelCase fields,
// ThreadItem tagged by `type`), as `codex app-server` sends them.
const ids = { threadId: 'th-1', turnId: 'turn_1' };
const cmd = { type: 'commandExecution', id: 'item_1', command: "/bin/bash -lc 'npm test'", cwd: '/w', processId: null, commandActions: [] };

describe('CodexEventMapper', () => {
  it.each<[string, string, Json, unknown[]]>([
    ['turn/started counts a turn', 'turn/started', { threadId: 'th-1', turn: { id: 'turn_1', items: [], status: 'inProgress', error: null } }, [{ type: 'turn', turn: 1 }]],
    ['agentMessage', 'item/completed', { ...ids, item: { type: 'agentMessage', id: 'item_3', text: 'Done.', phase: null } }, [{ type: 'assistant.message', text: 'Done.' }]],
    ['reasoning summary and content', 'item/completed', { ...ids, item: { type: 'reasoning', id: 'item_0', summary: ['**Scanning** files'], content: ['raw'] } }, [{ type: 'assistant.thinking', text: '**Scanning** files\n\nraw' }]],
    ['an empty reasoning item', 'item/completed', { ...ids, item: { type: 'reasoning', id: 'item_0', summary: [], content: [] } }, []],
    [
      'commandExecution started',
      'item/started',
      { ...ids, item: { ...cmd, status: 'inProgress', aggregatedOutput: null, exitCode: null, durationMs: null } },
      [{ type: 'tool.invoked', callId: 'item_1', tool: 'RunCommand', input: { command: "/bin/bash -lc 'npm test'", cwd: '/w' } }],
    ],
    [
      'commandExecution completed alone (invoked first, then result)',
      'item/completed',
      { ...ids, item: { ...cmd, status: 'failed', aggregatedOutput: 'boom\n', exitCode: 1, durationMs: 12 } },
      [
        { type: 'tool.invoked', callId: 'item_1', tool: 'RunCommand', input: { command: "/bin/bash -lc 'npm test'", cwd: '/w' } },
        { type: 'tool.result', callId: 'item_1', tool: 'RunCommand', ok: false, output: 'boom\n', exitCode: 1, durationMs: 12 },
      ],
    ],
    [
      'a declined command says it was refused',
      'item/completed',
      { ...ids, item: { ...cmd, status: 'declined', aggregatedOutput: null, exitCode: null, durationMs: null } },
      [
        { type: 'tool.invoked', callId: 'item_1', tool: 'RunCommand', input: { command: "/bin/bash -lc 'npm test'", cwd: '/w' } },
        { type: 'tool.result', callId: 'item_1', tool: 'RunCommand', ok: false, output: 'refused: declined by the approval gate' },
      ],
    ],
    [
      'fileChange of an existing file and a new one',
      'item/completed',
      { ...ids, item: { type: 'fileChange', id: 'item_2', status: 'completed', changes: [{ path: '/w/a.ts', kind: { type: 'update', move_path: null }, diff: '@@' }, { path: '/w/b.md', kind: { type: 'add' }, diff: 'x' }] } },
      [
        { type: 'tool.invoked', callId: 'item_2', tool: 'EditFile', input: { paths: ['/w/a.ts', '/w/b.md'], changes: [{ path: '/w/a.ts', kind: 'update' }, { path: '/w/b.md', kind: 'add' }] } },
        { type: 'tool.result', callId: 'item_2', tool: 'EditFile', ok: true, output: 'update /w/a.ts\nadd /w/b.md' },
      ],
    ],
    [
      'mcpToolCall completed',
      'item/completed',
      { ...ids, item: { type: 'mcpToolCall', id: 'item_5', server: 'docs', tool: 'search', status: 'completed', arguments: { q: 'x' }, result: { content: [{ type: 'text', text: 'hit' }], structuredContent: null }, error: null, durationMs: 3 } },
      [
        { type: 'tool.invoked', callId: 'item_5', tool: 'mcp__docs__search', input: { q: 'x' } },
        { type: 'tool.result', callId: 'item_5', tool: 'mcp__docs__search', ok: true, output: 'hit' },
      ],
    ],
    [
      'webSearch',
      'item/completed',
      { ...ids, item: { type: 'webSearch', id: 'item_6', query: 'codex app-server', action: null } },
      [
        { type: 'tool.invoked', callId: 'item_6', tool: 'WebSearch', input: { query: 'codex app-server' } },
        { type: 'tool.result', callId: 'item_6', tool: 'WebSearch', ok: true, output: 'codex app-server' },
      ],
    ],
    ['the plan as thinking', 'turn/plan/updated', { ...ids, explanation: null, plan: [{ step: 'a', status: 'completed' }, { step: 'b', status: 'inProgress' }, { step: 'c', status: 'pending' }] }, [{ type: 'assistant.thinking', text: 'Plan:\n[x] a\n[~] b\n[ ] c' }]],
    ['our own userMessage echo', 'item/completed', { ...ids, item: { type: 'userMessage', id: 'item_9', content: [{ type: 'text', text: 'hi' }] } }, []],
    ['a non-fatal error is remembered, not fatal', 'error', { ...ids, error: { message: 'Reconnecting... 1/5' }, willRetry: true }, []],
    ['an unknown notification', 'account/rateLimits/updated', { rateLimits: {} }, []],
  ])('%s', (_name, method, params, expected) => {
    expect(new CodexEventMapper().map(method, params)).toEqual(expected);
  });

  it('assembles a message from its deltas when the completed item has no text, and remembers the last one', () => {
    const mapper = new CodexEventMapper();
    for (const delta of ['Hel', 'lo']) mapper.map('item/agentMessage/delta', { ...ids, itemId: 'item_4', delta });
    expect(mapper.map('item/completed', { ...ids, item: { type: 'agentMessage', id: 'item_4', text: '' } })).toEqual([{ type: 'assistant.message', text: 'Hello' }]);
    mapper.map('item/completed', { ...ids, item: { type: 'agentMessage', id: 'item_5', text: 'final answer' } });
    expect(mapper.lastMessage).toBe('final answer');
  });

  it('invokes a tool once, and a refused item carries the reason it was given', () => {
    const mapper = new CodexEventMapper();
    expect(mapper.map('item/started', { ...ids, item: { ...cmd, status: 'inProgress' } })).toHaveLength(1);
    mapper.refused('item_1', 'rejected by alice: not today');
    expect(mapper.map('item/completed', { ...ids, item: { ...cmd, status: 'declined' } })).toEqual([{ type: 'tool.result', callId: 'item_1', tool: 'RunCommand', ok: false, output: 'refused: rejected by alice: not today' }]);
  });

  it('shows a plan again only when it changed', () => {
    const mapper = new CodexEventMapper();
    const plan = { ...ids, plan: [{ step: 'a', status: 'pending' }] };
    expect(mapper.map('turn/plan/updated', plan)).toHaveLength(1);
    expect(mapper.map('turn/plan/updated', plan)).toEqual([]);
  });

  it('counts the usage of the running turn by its total, ignoring replays of other turns and repeats', () => {
    const mapper = new CodexEventMapper(2);
    const usage = (turnId: string, input: number, output: number, last: [number, number]) => ({
      threadId: 'th-1',
      turnId,
      tokenUsage: { total: { inputTokens: input, cachedInputTokens: 0, outputTokens: output, reasoningOutputTokens: 0, totalTokens: input + output }, last: { inputTokens: last[0], cachedInputTokens: 0, outputTokens: last[1], reasoningOutputTokens: 0, totalTokens: 0 }, modelContextWindow: 272000 },
    });
    // thread/resume replays the thread's usage for an old turn: a baseline, not new usage.
    expect(mapper.map('thread/tokenUsage/updated', usage('turn_old', 5000, 300, [1200, 80]))).toEqual([]);
    expect(mapper.map('turn/started', { threadId: 'th-1', turn: { id: 'turn_3' } })).toEqual([{ type: 'turn', turn: 3 }]);
    expect(mapper.map('thread/tokenUsage/updated', usage('turn_3', 6200, 380, [1200, 80]))).toEqual([{ type: 'usage', inputTokens: 1200, outputTokens: 80 }]);
    expect(mapper.map('thread/tokenUsage/updated', usage('turn_3', 6200, 380, [1200, 80]))).toEqual([]);
    expect(mapper.map('thread/tokenUsage/updated', usage('turn_3', 7000, 400, [800, 20]))).toEqual([{ type: 'usage', inputTokens: 800, outputTokens: 20 }]);
    // Without a baseline the last call's usage is the turn's.
    const fresh = new CodexEventMapper();
    fresh.map('turn/started', { threadId: 'th-1', turn: { id: 'turn_1' } });
    expect(fresh.map('thread/tokenUsage/updated', usage('turn_1', 1200, 80, [1200, 80]))).toEqual([{ type: 'usage', inputTokens: 1200, outputTokens: 80 }]);
  });

  it.each<[string, Json, unknown]>([
    ['completed', { turn: { id: 't', status: 'completed', error: null } }, { status: 'completed' }],
    ['interrupted', { turn: { id: 't', status: 'interrupted', error: null } }, { status: 'interrupted' }],
    ['failed with the turn error', { turn: { id: 't', status: 'failed', error: { message: 'unexpected status 401 Unauthorized', codexErrorInfo: 'unauthorized' } } }, { status: 'failed', message: 'unexpected status 401 Unauthorized' }],
  ])('reads the turn outcome: %s', (_name, params, expected) => {
    const mapper = new CodexEventMapper();
    mapper.map('turn/started', { threadId: 'th-1', turn: { id: 't' } });
    expect(mapper.turnOutcome(params)).toEqual(expected);
    expect(mapper.activeTurnId).toBeUndefined();
  });

  // As codex 0.169.0 sends them (captured from the real app-server).
  it.each<[string, Json, unknown[]]>([
    ['warning', { threadId: 'th-1', message: 'Model metadata for `gpt-fake` not found. Defaulting to fallback metadata; this can degrade performance and cause issues.' }, [{ type: 'driver.warning', kind: 'warning', message: 'Model metadata for `gpt-fake` not found. Defaulting to fallback metadata; this can degrade performance and cause issues.' }]],
    ['deprecationNotice', { summary: 'Full-history hydration is deprecated for paginated threads.', details: null }, [{ type: 'driver.warning', kind: 'deprecationNotice', message: 'Full-history hydration is deprecated for paginated threads.' }]],
    ['configWarning', { summary: 'Unknown key', details: 'foo.bar is ignored', path: '/h/.codex/config.toml' }, [{ type: 'driver.warning', kind: 'configWarning', message: 'Unknown key — foo.bar is ignored — /h/.codex/config.toml' }]],
    ['guardianWarning', { threadId: 'th-1', message: 'reviewer unavailable' }, [{ type: 'driver.warning', kind: 'guardianWarning', message: 'reviewer unavailable' }]],
    ['warning', { threadId: null, message: '' }, []],
  ])('passes on %s as driver.warning', (method, params, expected) => {
    expect(new CodexEventMapper().map(method, params)).toEqual(expected);
  });

  it('falls back to the last error notification when a failed turn carries none', () => {
    const mapper = new CodexEventMapper();
    mapper.map('error', { ...ids, error: { message: 'stream disconnected before completion' }, willRetry: false });
    expect(mapper.turnOutcome({ turn: { id: 't', status: 'failed', error: null } })).toEqual({ status: 'failed', message: 'stream disconnected before completion' });
  });

  it('names tools and change sets', () => {
    expect(fileChangeTool([{ kind: 'add' }])).toBe('WriteFile');
    expect(fileChangeTool([{ kind: 'add' }, { kind: 'delete' }])).toBe('EditFile');
    expect(fileChangeTool([])).toBe('EditFile');
    expect(mcpToolName({ server: 's', tool: 't' })).toBe('mcp__s__t');
    const moved = fileChangesOf({ changes: [{ path: '/w/a', kind: { type: 'update', move_path: '/elsewhere/a' }, diff: '' }] });
    expect(moved).toEqual([{ path: '/w/a', kind: 'update', movePath: '/elsewhere/a' }]);
    expect(changedPaths(moved)).toEqual(['/w/a', '/elsewhere/a']);
  });
});

describe('approval requests as tool calls for the gate', () => {
  it.each<[string, Json, unknown]>([
    [
      'a command, with its cwd and reason',
      { ...ids, itemId: 'item_1', command: "/bin/bash -lc 'curl https://example.com'", cwd: '/w', reason: 'needs the network', commandActions: [] },
      { callId: 'item_1', tool: 'RunCommand', input: { command: "/bin/bash -lc 'curl https://example.com'", cwd: '/w', description: 'needs the network' } },
    ],
    ['a subcommand callback of one item', { ...ids, itemId: 'item_1', approvalId: 'a-1', command: 'git push', cwd: '/w' }, { callId: 'item_1/a-1', tool: 'RunCommand', input: { command: 'git push', cwd: '/w' } }],
    ['a network-only prompt', { ...ids, itemId: 'item_2', networkApprovalContext: { host: 'registry.npmjs.org', protocol: 'https', port: 443 } }, { callId: 'item_2', tool: 'WebFetch', input: { url: 'https://registry.npmjs.org:443' } }],
  ])('%s', (_name, params, expected) => {
    expect(commandApprovalCall(params)).toEqual(expected);
  });

  it('judges a file change by the paths its item named, plus any root asked for', () => {
    const mapper = new CodexEventMapper();
    mapper.map('item/started', { ...ids, item: { type: 'fileChange', id: 'item_3', status: 'inProgress', changes: [{ path: '/w/new.md', kind: { type: 'add' }, diff: 'x' }] } });
    expect(fileChangeApprovalCall({ ...ids, itemId: 'item_3', reason: null, grantRoot: null }, mapper)).toEqual({
      callId: 'item_3',
      tool: 'WriteFile',
      input: { path: '/w/new.md', paths: ['/w/new.md'], changes: [{ path: '/w/new.md', kind: 'add' }] },
    });
    expect(fileChangeApprovalCall({ ...ids, itemId: 'item_3', grantRoot: '/etc' }, mapper).input).toMatchObject({ paths: ['/w/new.md', '/etc'] });
    // An item we never saw: no paths, which the classifier treats as a write to ask about.
    expect(fileChangeApprovalCall({ ...ids, itemId: 'item_x' }, mapper)).toEqual({ callId: 'item_x', tool: 'EditFile', input: { paths: [], changes: [] } });
  });
});
