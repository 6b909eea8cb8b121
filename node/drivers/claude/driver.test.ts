import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { eventually } from '../../../test/eventually.js';
import { ClaudeDriver } from './driver.js';
import { ClaudePermissionChannel } from './permission.js';
import { PERMISSION_SOCKET_ENV, PERMISSION_TOKEN_ENV } from './permission-wire.js';
import type { AgentConfig, DriverCheckpoint, ToolBroker } from '../contract.js';
import { permissionBroker, startRecorded } from '../test-harness.js';
import { alive } from '../../../test/support/process-alive.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const fakeBin = path.join(root, 'test/fakes/claude');
const childPath = [fakeBin, path.dirname(process.execPath), '/usr/bin', '/bin'].join(path.delimiter);

let buildDir: string;
let mcpScript: string;
let work: string;
let argvLog: string;

beforeAll(async () => {
  // The permission server must run as its own process, as the CLI spawns it: compile just our files.
  buildDir = await mkdtemp(path.join(os.tmpdir(), 'sk-claude-build-'));
  const sources = ['permission-mcp.ts', 'permission-wire.ts'].map((f) => path.join(here, f));
  await promisify(execFile)(
    path.join(root, 'node_modules/.bin/tsc'),
    ['--ignoreConfig', '--outDir', buildDir, '--rootDir', root, '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--skipLibCheck', '--types', 'node', ...sources],
    { cwd: root },
  );
  await writeFile(path.join(buildDir, 'package.json'), '{"type":"module"}');
  mcpScript = path.join(buildDir, path.relative(root, here), 'permission-mcp.js');
}, 60_000);

afterAll(async () => {
  await rm(buildDir, { recursive: true, force: true });
});

beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'sk-claude-ws-'));
  argvLog = path.join(work, '.argv.jsonl');
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

function agent(overrides: Partial<AgentConfig> = {}, scenario = 'edit-file'): AgentConfig {
  return {
    name: 'claude',
    driver: 'Claude',
    tools: ['RunCommand', 'ReadFile', 'WriteFile', 'ListFiles', 'EditFile'],
    maxTurns: 50,
    env: { FAKE_CLAUDE_SCENARIO: scenario, FAKE_CLAUDE_ARGV_LOG: argvLog },
    ...overrides,
  };
}

function harness(opts: { agent?: AgentConfig; checkpoint?: DriverCheckpoint; tools?: ToolBroker; prompt?: string; readOnly?: boolean } = {}) {
  const driver = new ClaudeDriver({
    permissionServerScript: mcpScript,
    interruptGraceMs: 500,
    environment: () => ({ PATH: childPath, HOME: work }),
  });
  return { driver, ...startRecorded(driver, { ...opts, workspace: work, prompt: opts.prompt ?? 'Write hello.txt', agent: opts.agent ?? agent() }) };
}

async function invocations(): Promise<{ pid: number; argv: string[] }[]> {
  return (await readFile(argvLog, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { pid: number; argv: string[] });
}

describe('ClaudeDriver', () => {
  it('declares its capabilities', () => {
    const driver = new ClaudeDriver({ environment: () => ({}) });
    expect(driver.capabilities()).toEqual({ resume: true, steer: false, interactiveRequests: true, toolCalls: true, reasoningStream: true });
  });

  it('maps the stream to events in order, writes in the workspace, and checkpoints the session', async () => {
    const h = harness();
    await h.started;
    const ev = h.normalized();
    expect(ev.map((e) => e.type)).toEqual(['turn', 'assistant.thinking', 'assistant.message', 'turn', 'tool.invoked', 'tool.result', 'turn', 'assistant.message', 'usage', 'run.completed']);
    expect(ev[4]).toEqual({ type: 'tool.invoked', callId: 'toolu_fake_1', tool: 'WriteFile', input: { file_path: path.join(work, 'hello.txt'), content: 'hello from claude\n', path: path.join(work, 'hello.txt') } });
    expect(ev[5]).toMatchObject({ type: 'tool.result', callId: 'toolu_fake_1', tool: 'WriteFile', ok: true });
    expect(ev[8]).toEqual({ type: 'usage', inputTokens: 150, outputTokens: 40, costUSD: 0.0123 });
    expect(ev[9]).toEqual({ type: 'run.completed', summary: 'Done: hello.txt written.' });
    expect(await readFile(path.join(work, 'hello.txt'), 'utf8')).toBe('hello from claude\n');
    const checkpoint = h.lastCheckpoint();
    expect(checkpoint?.resumeId).toMatch(/^[0-9a-f-]{36}$/);
    expect(checkpoint?.turns).toBe(3);
    expect(checkpoint?.transcript[0]).toEqual({ role: 'user', content: 'Write hello.txt', source: 'prompt' });
    expect(h.events.filter((e) => e.type === 'raw')).toHaveLength(7);
  });

  it('passes model, instructions, turn limit, the permission hook and the exact built-in tools on argv', async () => {
    const h = harness({ agent: agent({ model: 'claude-opus-4', instructions: 'Be brief.', maxTurns: 7, tools: ['ReadFile', 'ListFiles', 'EditFile', 'WriteFile'] }), readOnly: true });
    await h.started;
    const [{ argv }] = await invocations();
    expect(argv.slice(0, 3)).toEqual(['--output-format', 'stream-json', '--verbose']);
    expect(argv.slice(-2)).toEqual(['-p', 'Write hello.txt']);
    expect(argv).toEqual(expect.arrayContaining(['--model', 'claude-opus-4', '--append-system-prompt', 'Be brief.', '--max-turns', '7']));
    expect(argv[argv.indexOf('--permission-prompt-tool') + 1]).toBe('mcp__sidekicks__permission_prompt');
    expect(argv[argv.indexOf('--mcp-config') + 1]).toMatch(/mcp\.json$/);
    expect(argv).toContain('--strict-mcp-config');
    // Reads only: the agent's write tools are dropped in a read-only workspace, RunCommand was never given.
    expect(argv[argv.indexOf('--tools') + 1]).toBe('Read,Glob,Grep');
    expect(argv).not.toContain('--disallowedTools');
    // Settings the agent could write (HOME, workspace) must not carry allow rules past the gate.
    expect(argv[argv.indexOf('--setting-sources') + 1]).toBe('');
    expect(argv).not.toContain('--resume');
  });

  it('keeps a prompt that starts with a dash from reading as a flag', async () => {
    const h = harness({ prompt: '--help me fix the build', checkpoint: { transcript: [], resumeId: 'sess-1', turns: 0 } });
    await h.started;
    const [{ argv }] = await invocations();
    expect(argv.slice(-3)).toEqual(['-p', '--', '--help me fix the build']);
    expect(h.normalized().at(-1)).toEqual({ type: 'run.completed', summary: 'Resumed sess-1: --help me fix the build' });
  });

  it('routes a permission prompt through the broker and runs the tool when allowed', async () => {
    const b = permissionBroker(async () => ({ allow: true }));
    const h = harness({ agent: agent({}, 'needs-permission'), tools: b.tools });
    await h.started;
    expect(b.permission).toHaveBeenCalledTimes(1);
    expect(b.permission.mock.calls[0][0]).toEqual({ callId: 'toolu_fake_1', tool: 'WriteFile', input: { file_path: path.join(work, 'guarded.txt'), content: 'approved content\n', path: path.join(work, 'guarded.txt') } });
    expect(await readFile(path.join(work, 'guarded.txt'), 'utf8')).toBe('approved content\n');
    expect(h.normalized().find((e) => e.type === 'tool.result')).toMatchObject({ ok: true });
    expect(h.normalized().at(-1)).toEqual({ type: 'run.completed', summary: 'Wrote guarded.txt.' });
  });

  it('reports a denial to the agent and the tool never runs', async () => {
    const b = permissionBroker(async () => ({ allow: false, reason: 'Rejected by alice' }));
    const h = harness({ agent: agent({}, 'needs-permission'), tools: b.tools });
    await h.started;
    expect(existsSync(path.join(work, 'guarded.txt'))).toBe(false);
    expect(h.normalized().find((e) => e.type === 'tool.result')).toEqual({ type: 'tool.result', callId: 'toolu_fake_1', tool: 'WriteFile', ok: false, output: 'Rejected by alice' });
    expect(h.normalized().at(-1)).toEqual({ type: 'run.completed', summary: 'Permission was denied; I did not write the file.' });
  });

  it('fails closed when the broker cannot decide', async () => {
    const b = permissionBroker(async () => {
      throw new Error('approval store unavailable');
    });
    const h = harness({ agent: agent({}, 'needs-permission'), tools: b.tools });
    await h.started;
    expect(existsSync(path.join(work, 'guarded.txt'))).toBe(false);
    expect(h.normalized().find((e) => e.type === 'tool.result')).toMatchObject({ ok: false, output: expect.stringContaining('approval store unavailable') });
  });

  it.each([
    ['error', { category: 'Provider', reason: 'ProviderError', message: 'API error: Overloaded' }],
    ['max-turns', { category: 'Budget', reason: 'BudgetExhausted' }],
    ['crash', { category: 'Provider', reason: 'ProviderExited', message: expect.stringContaining('fatal: simulated crash') }],
  ])('maps the %s scenario to run.failed', async (scenario, failure) => {
    const h = harness({ agent: agent({}, scenario) });
    await h.started;
    expect(h.normalized().at(-1)).toMatchObject({ type: 'run.failed', ...failure });
  });

  it('fails with DriverNotFound when the binary is missing', async () => {
    const h = harness({ agent: agent({ command: 'claude-does-not-exist' }) });
    await h.started;
    expect(h.normalized()).toEqual([{ type: 'run.failed', category: 'Provider', reason: 'DriverNotFound', message: expect.stringContaining('"claude-does-not-exist" was not found') }]);
  });

  it('resumes the saved session with --resume and counts turns from the checkpoint', async () => {
    const h = harness({ checkpoint: { transcript: [], resumeId: 'sess-saved', turns: 5 }, agent: agent({ maxTurns: 8 }) });
    await h.started;
    const [{ argv }] = await invocations();
    expect(argv[argv.indexOf('--resume') + 1]).toBe('sess-saved');
    expect(argv[argv.indexOf('--max-turns') + 1]).toBe('3');
    expect(h.normalized().at(-1)).toEqual({ type: 'run.completed', summary: 'Resumed sess-saved: Write hello.txt' });
    expect(h.lastCheckpoint()).toMatchObject({ resumeId: 'sess-saved', turns: 6 });
  });

  it('interrupt stops the child and leaves the run resumable, without a verdict', async () => {
    const h = harness({ agent: agent({}, 'slow') });
    await eventually(() => h.normalized().some((e) => e.type === 'assistant.message'));
    const [{ pid }] = await invocations();
    expect(alive(pid)).toBe(true);
    await h.driver.interrupt();
    await h.started;
    expect(alive(pid)).toBe(false);
    expect(h.normalized().some((e) => e.type === 'run.completed' || e.type === 'run.failed')).toBe(false);
    expect(h.lastCheckpoint()?.resumeId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('the abort signal stops the child too', async () => {
    const h = harness({ agent: agent({}, 'slow') });
    await eventually(() => h.normalized().some((e) => e.type === 'assistant.message'));
    const [{ pid }] = await invocations();
    h.abort.abort();
    await h.started;
    expect(alive(pid)).toBe(false);
  });

  it('steer degrades to interrupt + resume with the steer text', async () => {
    const h = harness({ agent: agent({}, 'slow') });
    await eventually(() => h.normalized().some((e) => e.type === 'assistant.message'));
    const session = h.lastCheckpoint()?.resumeId;
    await expect(h.driver.steer('Focus on the tests')).resolves.toBe('degraded');
    await h.started;
    const calls = await invocations();
    expect(calls).toHaveLength(2);
    expect(alive(calls[0].pid)).toBe(false);
    expect(calls[1].argv.slice(-2)).toEqual(['-p', 'Focus on the tests']);
    expect(calls[1].argv[calls[1].argv.indexOf('--resume') + 1]).toBe(session);
    expect(h.normalized().at(-1)).toEqual({ type: 'run.completed', summary: `Resumed ${session}: Focus on the tests` });
    expect(h.lastCheckpoint()?.transcript).toContainEqual({ role: 'user', content: 'Focus on the tests', source: 'steer' });
  });

  it('rejects steer when no run is active', async () => {
    const driver = new ClaudeDriver({ environment: () => ({}) });
    await expect(driver.steer('x')).rejects.toThrow('no active run');
  });
});

describe('claude-permission-mcp (the MCP server the CLI spawns)', () => {
  async function session(env: Record<string, string>) {
    const child = spawn(process.execPath, [mcpScript], { env: { PATH: childPath, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
    const replies = new Map<number | null, Record<string, unknown>>();
    createInterface({ input: child.stdout }).on('line', (line) => {
      const msg = JSON.parse(line) as { id: number | null };
      replies.set(msg.id, msg);
    });
    const send = (msg: object) => child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...msg })}\n`);
    const reply = (id: number) => eventually(() => replies.get(id));
    return { child, send, reply, replies };
  }

  it('speaks initialize, tools/list and errors per JSON-RPC', async () => {
    const s = await session({});
    s.send({ id: 1, method: 'initialize', params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
    expect(await s.reply(1)).toMatchObject({ jsonrpc: '2.0', id: 1, result: { protocolVersion: '2025-03-26', capabilities: { tools: {} } } });
    s.send({ method: 'notifications/initialized' });
    s.send({ id: 2, method: 'tools/list' });
    expect(await s.reply(2)).toMatchObject({ result: { tools: [{ name: 'permission_prompt', inputSchema: { required: ['tool_name', 'input'] } }] } });
    s.send({ id: 3, method: 'resources/list' });
    expect(await s.reply(3)).toMatchObject({ error: { code: -32601 } });
    s.child.stdin.write('not json\n');
    expect(await eventually(() => s.replies.get(null))).toMatchObject({ error: { code: -32700 } });
    expect(s.replies.size).toBe(4);
    s.child.stdin.end();
  });

  it('denies when the driver socket is unreachable (fail closed)', async () => {
    const s = await session({ [PERMISSION_SOCKET_ENV]: path.join(work, 'nobody-listens.sock'), [PERMISSION_TOKEN_ENV]: 't' });
    s.send({ id: 1, method: 'tools/call', params: { name: 'permission_prompt', arguments: { tool_name: 'Bash', input: { command: 'rm -rf /' }, tool_use_id: 'toolu_1' } } });
    const reply = (await s.reply(1)) as { result: { content: { type: string; text: string }[] } };
    expect(JSON.parse(reply.result.content[0].text)).toEqual({ behavior: 'deny', message: expect.stringContaining('unreachable') });
    s.child.stdin.end();
  });
});

describe('ClaudePermissionChannel', () => {
  async function ask(socketPath: string, request: object): Promise<unknown> {
    const socket = net.createConnection(socketPath);
    socket.write(`${JSON.stringify(request)}\n`);
    const line = await new Promise<string>((resolve) => createInterface({ input: socket }).once('line', resolve));
    socket.destroy();
    return JSON.parse(line);
  }

  it('answers with the broker decision for the right token, and refuses a wrong one without asking', async () => {
    const b = permissionBroker(async (call) => ({ allow: call.tool === 'RunCommand' }));
    const channel = await ClaudePermissionChannel.open({ broker: b.tools, serverScript: mcpScript });
    const config = JSON.parse(await readFile(channel.mcpConfigPath, 'utf8')) as { mcpServers: Record<string, { env: Record<string, string> }> };
    const env = config.mcpServers.sidekicks.env;
    const socketPath = env[PERMISSION_SOCKET_ENV];
    expect(await ask(socketPath, { token: env[PERMISSION_TOKEN_ENV], tool_name: 'Bash', input: { command: 'ls' }, tool_use_id: 'toolu_9' })).toEqual({ allow: true });
    expect(b.permission).toHaveBeenCalledWith({ callId: 'toolu_9', tool: 'RunCommand', input: { command: 'ls' } });
    expect(await ask(socketPath, { token: 'forged', tool_name: 'Bash', input: {} })).toEqual({ allow: false, message: expect.stringContaining('did not come from this run') });
    expect(b.permission).toHaveBeenCalledTimes(1);
    await channel.close();
    expect(existsSync(channel.mcpConfigPath)).toBe(false);
  });
});
