import { describe, expect, it } from '@jest/globals';
import { classifyToolCall, hostOf } from './classify.js';
import { tool } from './classify/test-support.js';

describe('classifyToolCall: tools', () => {
  // Claude Code's calls arrive translated by its driver (normalizeClaudeTool: Bash → RunCommand,
  // Write → WriteFile, Edit/MultiEdit/NotebookEdit → EditFile with `path` beside `file_path`, …).
  it('reads Claude Code calls as its driver translates them', () => {
    const bash = tool('RunCommand', { command: 'git push -f', description: 'Force-push the rebased branch' });
    expect(bash.tool).toBe('RunCommand');
    expect(bash.categories).toEqual(['ToolExecution', 'NetworkAccess', 'DestructiveGit']);
    expect(bash.request.details?.split('\n')[0]).toBe('Force-push the rebased branch');

    expect(tool('WriteFile', { file_path: '/etc/hosts', path: '/etc/hosts', content: '' })).toMatchObject({ tool: 'WriteFile', categories: ['FileWrite'], request: { path: '/etc/hosts' } });
    expect(tool('WriteFile', { file_path: '/work/ws/src/a.ts', path: '/work/ws/src/a.ts', content: '' }).categories).toEqual([]);
    expect(tool('EditFile', { file_path: '/tmp/x.ts', path: '/tmp/x.ts', edits: [] })).toMatchObject({ tool: 'EditFile', categories: ['FileWrite'] });
    expect(tool('EditFile', { notebook_path: '/tmp/n.ipynb', path: '/tmp/n.ipynb' })).toMatchObject({ tool: 'EditFile', categories: ['FileWrite'] });
    for (const [name, input] of [
      ['ReadFile', { file_path: '/etc/passwd', path: '/etc/passwd' }],
      ['ListFiles', { pattern: '**/*.ts' }],
      ['ListFiles', { pattern: 'TODO', path: '/' }],
      ['Read', { file_path: '/etc/passwd' }],
      ['Glob', { pattern: '**/*.ts' }],
      ['Grep', { pattern: 'TODO', path: '/' }],
      ['TodoWrite', { todos: [] }],
      ['Task', { prompt: 'explore' }],
    ] as const) {
      expect(tool(name, input).categories).toEqual([]);
    }
  });

  it('WebFetch and WebSearch are NetworkAccess', () => {
    const fetch = tool('WebFetch', { url: 'https://docs.example.com/a?b=1', prompt: 'summarize' });
    expect(fetch.categories).toEqual(['NetworkAccess']);
    expect(fetch.request.url).toBe('https://docs.example.com/a?b=1');
    expect(hostOf(fetch.request.url!)).toBe('docs.example.com');
    const search = tool('WebSearch', { query: 'jsonwebtoken 9 changelog' });
    expect(search.categories).toEqual(['NetworkAccess']);
    expect(search.request.summary).toContain('jsonwebtoken 9 changelog');
  });

  it('ExitPlanMode is PlanApproval with the plan as details', () => {
    const plan = '1. Add the schema\n2. Migrate';
    const c = tool('ExitPlanMode', { plan });
    expect(c.categories).toEqual(['PlanApproval']);
    expect(c.request.details).toBe(plan);
    expect(c.request.summary).toBe('plan: 1. Add the schema …');
  });

  it('AskUserQuestion is UserInput', () => {
    const c = tool('AskUserQuestion', { questions: [{ question: 'Which database?', options: [] }] });
    expect(c.categories).toEqual(['UserInput']);
    expect(c.request.details).toBe('Which database?');
  });

  it('MCP tools and unknown tools are ToolExecution', () => {
    expect(tool('mcp__github__create_issue', { title: 'x' })).toMatchObject({ tool: 'mcp__github__create_issue', categories: ['ToolExecution'] });
    expect(tool('Frobnicate', {}).categories).toEqual(['ToolExecution']);
  });

  it("a tool name no driver translated is an unknown tool: another agent's Bash is not Claude Code's", () => {
    const c = tool('Bash', { command: 'git push -f' });
    expect(c.tool).toBe('Bash');
    expect(c.categories).toEqual(['ToolExecution']);
  });

  // Codex's calls arrive translated by its driver (codexGateCall: exec/shell/local_shell →
  // RunCommand with an argv, apply_patch/file_change → WriteFile/EditFile with `paths`, …).
  it('reads a command given as an argv, with a workdir', () => {
    const c = tool('RunCommand', { command: ['bash', '-lc', 'npm install left-pad'] });
    expect(c.tool).toBe('RunCommand');
    expect(c.categories).toEqual(['ToolExecution', 'NetworkAccess']);
    expect(c.request.command).toBe("bash -lc 'npm install left-pad'");
    expect(c.request.summary).toBe('npm install left-pad');
    expect(tool('RunCommand', { command: ['touch', 'a'], workdir: '/tmp' }).request.path).toBe('/tmp/a');
    expect(tool('RunCommand', { type: 'exec', command: ['touch', 'b'], working_directory: '/tmp' }).request.path).toBe('/tmp/b');
  });

  it('reads file changes given as a list of paths', () => {
    expect(tool('EditFile', { paths: ['/tmp/new.txt', 'src/a.ts'] })).toMatchObject({ tool: 'EditFile', categories: ['FileWrite'], request: { path: '/tmp/new.txt' } });
    expect(tool('WriteFile', { paths: ['/work/ws/a.ts'] })).toMatchObject({ tool: 'WriteFile', categories: [] });
    expect(tool('EditFile', { paths: ['/etc/x'] }).categories).toEqual(['FileWrite']);
    // The shape node/drivers/codex/events.ts emits for a fileChange item.
    expect(tool('EditFile', { paths: ['/work/ws/a', '/etc/x'], changes: [] }).request.path).toBe('/etc/x');
  });

  it('reads translated web searches and MCP calls', () => {
    expect(tool('WebSearch', { query: 'x' })).toMatchObject({ tool: 'WebSearch', categories: ['NetworkAccess'] });
    expect(tool('mcp__gh__list_prs', {})).toMatchObject({ tool: 'mcp__gh__list_prs', categories: ['ToolExecution'] });
  });
});
