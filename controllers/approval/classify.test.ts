import { describe, expect, it } from '@jest/globals';
import { classifyToolCall, hostOf, type Classification } from './classify.js';

const ROOT = '/work/ws';

function tool(name: string, input: Record<string, unknown>, driver = 'Scripted', workspace = ROOT): Classification {
  return classifyToolCall({ tool: name, input }, { workspace, driver });
}



describe('classifyToolCall: tools', () => {
  it('reads Claude Code tools through normalizeClaudeTool', () => {
    const bash = tool('Bash', { command: 'git push -f', description: 'Force-push the rebased branch' }, 'Claude');
    expect(bash.tool).toBe('RunCommand');
    expect(bash.categories).toEqual(['ToolExecution', 'NetworkAccess', 'DestructiveGit']);
    expect(bash.request.details?.split('\n')[0]).toBe('Force-push the rebased branch');

    expect(tool('Write', { file_path: '/etc/hosts', content: '' }, 'Claude')).toMatchObject({ tool: 'WriteFile', categories: ['FileWrite'], request: { path: '/etc/hosts' } });
    expect(tool('Write', { file_path: '/work/ws/src/a.ts', content: '' }, 'Claude').categories).toEqual([]);
    expect(tool('MultiEdit', { file_path: '/tmp/x.ts', edits: [] }, 'Claude')).toMatchObject({ tool: 'EditFile', categories: ['FileWrite'] });
    expect(tool('NotebookEdit', { notebook_path: '/tmp/n.ipynb' }, 'Claude')).toMatchObject({ tool: 'EditFile', categories: ['FileWrite'] });
    for (const [name, input] of [
      ['Read', { file_path: '/etc/passwd' }],
      ['Glob', { pattern: '**/*.ts' }],
      ['Grep', { pattern: 'TODO', path: '/' }],
      ['TodoWrite', { todos: [] }],
      ['Task', { prompt: 'explore' }],
    ] as const) {
      expect(tool(name, input, 'Claude').categories).toEqual([]);
    }
  });

  it('Claude calls already normalized by the permission hook classify the same', () => {
    expect(tool('RunCommand', { command: 'git push -f' }, 'Claude').categories).toEqual(['ToolExecution', 'NetworkAccess', 'DestructiveGit']);
  });

  it('WebFetch and WebSearch are NetworkAccess', () => {
    const fetch = tool('WebFetch', { url: 'https://docs.example.com/a?b=1', prompt: 'summarize' }, 'Claude');
    expect(fetch.categories).toEqual(['NetworkAccess']);
    expect(fetch.request.url).toBe('https://docs.example.com/a?b=1');
    expect(hostOf(fetch.request.url!)).toBe('docs.example.com');
    const search = tool('WebSearch', { query: 'jsonwebtoken 9 changelog' }, 'Claude');
    expect(search.categories).toEqual(['NetworkAccess']);
    expect(search.request.summary).toContain('jsonwebtoken 9 changelog');
  });

  it('ExitPlanMode is PlanApproval with the plan as details', () => {
    const plan = '1. Add the schema\n2. Migrate';
    const c = tool('ExitPlanMode', { plan }, 'Claude');
    expect(c.categories).toEqual(['PlanApproval']);
    expect(c.request.details).toBe(plan);
    expect(c.request.summary).toBe('plan: 1. Add the schema …');
  });

  it('AskUserQuestion is UserInput', () => {
    const c = tool('AskUserQuestion', { questions: [{ question: 'Which database?', options: [] }] }, 'Claude');
    expect(c.categories).toEqual(['UserInput']);
    expect(c.request.details).toBe('Which database?');
  });

  it('MCP tools and unknown tools are ToolExecution', () => {
    expect(tool('mcp__github__create_issue', { title: 'x' }, 'Claude')).toMatchObject({ tool: 'mcp__github__create_issue', categories: ['ToolExecution'] });
    expect(tool('Frobnicate', {}).categories).toEqual(['ToolExecution']);
  });

  it("reads a vocabulary only for its driver: another driver's Bash is an unknown tool", () => {
    const c = tool('Bash', { command: 'git push -f' }, 'OpenAI');
    expect(c.tool).toBe('Bash');
    expect(c.categories).toEqual(['ToolExecution']);
  });

  it('reads Codex exec with an argv and a workdir', () => {
    const c = tool('exec', { command: ['bash', '-lc', 'npm install left-pad'] }, 'Codex');
    expect(c.tool).toBe('RunCommand');
    expect(c.categories).toEqual(['ToolExecution', 'NetworkAccess']);
    expect(c.request.command).toBe("bash -lc 'npm install left-pad'");
    expect(c.request.summary).toBe('npm install left-pad');
    expect(tool('shell', { command: ['touch', 'a'], workdir: '/tmp' }, 'Codex').request.path).toBe('/tmp/a');
    expect(tool('local_shell', { action: { type: 'exec', command: ['touch', 'b'], working_directory: '/tmp' } }, 'Codex').request.path).toBe('/tmp/b');
  });

  it('reads Codex patches and file changes', () => {
    const patch = '*** Begin Patch\n*** Add File: /tmp/new.txt\n+hi\n*** Update File: src/a.ts\n@@\n-a\n+b\n*** End Patch';
    const c = tool('apply_patch', { input: patch }, 'Codex');
    expect(c).toMatchObject({ tool: 'EditFile', categories: ['FileWrite'], request: { path: '/tmp/new.txt' } });
    expect(tool('file_change', { changes: [{ path: '/work/ws/a.ts', kind: 'add' }] }, 'Codex')).toMatchObject({ tool: 'WriteFile', categories: [] });
    expect(tool('apply_patch', { changes: { '/etc/x': { type: 'delete' } } }, 'Codex').categories).toEqual(['FileWrite']);
    // The shape codex-events.ts already emits.
    expect(tool('EditFile', { paths: ['/work/ws/a', '/etc/x'], changes: [] }, 'Codex').request.path).toBe('/etc/x');
  });

  it('reads Codex web_search and MCP calls', () => {
    expect(tool('web_search', { query: 'x' }, 'Codex')).toMatchObject({ tool: 'WebSearch', categories: ['NetworkAccess'] });
    expect(tool('mcp_tool_call', { server: 'gh', tool: 'list_prs', arguments: {} }, 'Codex')).toMatchObject({ tool: 'mcp__gh__list_prs', categories: ['ToolExecution'] });
  });
});
