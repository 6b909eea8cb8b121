import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from '../../../test/eventually.js';
import { CodexDriver } from './codex.js';
import type { AgentConfig, DriverCheckpoint, DriverEvent, ToolBroker } from './contract.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fakeBin = path.resolve(here, '../../../test/fakes/codex');
const childPath = [fakeBin, path.dirname(process.execPath), '/usr/bin', '/bin'].join(path.delimiter);

let work: string;
let argvLog: string;

beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'sk-codex-ws-'));
  argvLog = path.join(work, '.argv.jsonl');
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

function agent(overrides: Partial<AgentConfig> = {}, scenario = 'edit-file'): AgentConfig {
  return {
    name: 'codex',
    driver: 'Codex',
    tools: ['RunCommand', 'ReadFile', 'WriteFile', 'ListFiles', 'EditFile'],
    maxTurns: 50,
    env: { FAKE_CODEX_SCENARIO: scenario, FAKE_CODEX_ARGV_LOG: argvLog },
    ...overrides,
  };
}

// Codex enforces its own sandbox and never asks: the broker must not be consulted.
const tools: ToolBroker = {
  permission: async () => {
    throw new Error('codex exec does not ask for permission');
  },
  execute: async () => {
    throw new Error('codex runs its own tools');
  },
};

function harness(opts: { agent?: AgentConfig; checkpoint?: DriverCheckpoint; prompt?: string; readOnly?: boolean } = {}) {
  const events: DriverEvent[] = [];
  const abort = new AbortController();
  const driver = new CodexDriver({ interruptGraceMs: 500, environment: () => ({ PATH: childPath, HOME: work }) });
  const started = driver.start({
    run: { namespace: 'default', name: 'r1', uid: 'uid-1', session: 's1' },
    prompt: opts.prompt ?? 'Write notes.md',
    agent: opts.agent ?? agent(),
    workspace: { path: work, readOnly: opts.readOnly ?? false },
    ...(opts.checkpoint ? { checkpoint: opts.checkpoint } : {}),
    tools,
    emit: (e) => events.push(e),
    signal: abort.signal,
  });
  const normalized = () => events.filter((e) => e.type !== 'raw' && e.type !== 'checkpoint');
  const lastCheckpoint = () => [...events].reverse().find((e): e is Extract<DriverEvent, { type: 'checkpoint' }> => e.type === 'checkpoint')?.checkpoint;
  return { driver, started, events, normalized, lastCheckpoint, abort };
}

async function invocations(): Promise<{ pid: number; argv: string[]; env: Record<string, string> }[]> {
  return (await readFile(argvLog, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { pid: number; argv: string[]; env: Record<string, string> });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('CodexDriver', () => {
  it('declares its capabilities', () => {
    expect(new CodexDriver({ environment: () => ({}) }).capabilities()).toEqual({ resume: true, steer: false, interactiveRequests: false, toolCalls: true, reasoningStream: true });
  });

  it('maps the event stream in order, writes in the workspace, and checkpoints the thread', async () => {
    const h = harness();
    await h.started;
    const notes = path.join(work, 'notes.md');
    expect(h.normalized()).toEqual([
      { type: 'turn', turn: 1 },
      { type: 'assistant.thinking', text: '**Planning** the file creation' },
      { type: 'assistant.thinking', text: 'Plan:\n[ ] write notes.md' },
      { type: 'tool.invoked', callId: 'item_2', tool: 'RunCommand', input: { command: "bash -lc 'ls'" } },
      { type: 'tool.result', callId: 'item_2', tool: 'RunCommand', ok: true, output: 'README.md\n', exitCode: 0 },
      { type: 'tool.invoked', callId: 'item_3', tool: 'WriteFile', input: { paths: [notes], changes: [{ path: notes, kind: 'add' }] } },
      { type: 'tool.result', callId: 'item_3', tool: 'WriteFile', ok: true, output: `add ${notes}` },
      { type: 'assistant.thinking', text: 'Plan:\n[x] write notes.md' },
      { type: 'assistant.message', text: 'Created notes.md.' },
      { type: 'usage', inputTokens: 1200, outputTokens: 80 },
      { type: 'run.completed', summary: 'Created notes.md.' },
    ]);
    expect(await readFile(notes, 'utf8')).toBe('notes from codex\n');
    expect(h.lastCheckpoint()).toMatchObject({ resumeId: expect.stringMatching(/^[0-9a-f-]{36}$/), turns: 1 });
  });

  it('builds argv like the official SDK: exec options, then -- and the prompt', async () => {
    const h = harness({ agent: agent({ model: 'gpt-5-codex', instructions: 'Be brief.' }), readOnly: true });
    await h.started;
    const [{ argv }] = await invocations();
    expect(argv).toEqual(['exec', '--json', '--model', 'gpt-5-codex', '--sandbox', 'read-only', '--cd', work, '--skip-git-repo-check', '--', 'Be brief.\n\nWrite notes.md']);
  });

  it('resumes the saved thread with the resume subcommand', async () => {
    const h = harness({ checkpoint: { transcript: [], resumeId: 'th-saved', turns: 2 } });
    await h.started;
    const [{ argv }] = await invocations();
    expect(argv).toEqual(['exec', '--json', '--sandbox', 'workspace-write', '--cd', work, '--skip-git-repo-check', 'resume', 'th-saved', '--', 'Write notes.md']);
    expect(h.normalized().at(-1)).toEqual({ type: 'run.completed', summary: 'Resumed th-saved: Write notes.md' });
    expect(h.lastCheckpoint()).toMatchObject({ resumeId: 'th-saved', turns: 3 });
  });

  it('continues a checkpoint that already holds the prompt instead of repeating it', async () => {
    const h = harness({ checkpoint: { transcript: [{ role: 'user', content: 'Write notes.md', source: 'prompt' }], resumeId: 'th-saved', turns: 1 } });
    await h.started;
    const [{ argv }] = await invocations();
    expect(argv.at(-1)).toBe('Continue the task from where you stopped.');
  });

  it.each([
    ['error', { category: 'Provider', reason: 'ProviderError', message: 'unexpected status 401 Unauthorized' }],
    ['crash', { category: 'Provider', reason: 'ProviderExited', message: expect.stringContaining('Model provider refused the request') }],
  ])('maps the %s scenario to run.failed', async (scenario, failure) => {
    const h = harness({ agent: agent({}, scenario) });
    await h.started;
    expect(h.normalized().at(-1)).toMatchObject({ type: 'run.failed', ...failure });
  });

  it('fails the run when the turn budget is already spent', async () => {
    const h = harness({ checkpoint: { transcript: [], resumeId: 'th', turns: 3 }, agent: agent({ maxTurns: 3 }) });
    await h.started;
    expect(h.normalized()).toEqual([{ type: 'run.failed', category: 'Budget', reason: 'BudgetExhausted', message: 'The run used its 3 model turns.' }]);
  });

  it('fails with DriverNotFound when the binary is missing', async () => {
    const h = harness({ agent: agent({ command: '/nonexistent/codex' }) });
    await h.started;
    expect(h.normalized()).toEqual([{ type: 'run.failed', category: 'Provider', reason: 'DriverNotFound', message: expect.stringContaining('at /nonexistent/codex') }]);
  });

  it('interrupt kills the child without a verdict', async () => {
    const h = harness({ agent: agent({}, 'slow') });
    await eventually(() => h.normalized().some((e) => e.type === 'assistant.message'));
    const [{ pid }] = await invocations();
    await h.driver.interrupt();
    await h.started;
    expect(alive(pid)).toBe(false);
    expect(h.normalized().some((e) => e.type === 'run.completed' || e.type === 'run.failed')).toBe(false);
    expect(h.lastCheckpoint()?.resumeId).toBeDefined();
  });

  it('steer degrades to interrupt + resume with the steer text', async () => {
    const h = harness({ agent: agent({}, 'slow') });
    await eventually(() => h.normalized().some((e) => e.type === 'assistant.message'));
    const thread = h.lastCheckpoint()?.resumeId;
    await expect(h.driver.steer('Only touch docs/')).resolves.toBe('degraded');
    await h.started;
    const calls = await invocations();
    expect(calls).toHaveLength(2);
    expect(alive(calls[0].pid)).toBe(false);
    expect(calls[1].argv.slice(-4)).toEqual(['resume', thread, '--', 'Only touch docs/']);
    expect(h.normalized().at(-1)).toEqual({ type: 'run.completed', summary: `Resumed ${thread}: Only touch docs/` });
    expect(h.lastCheckpoint()?.transcript).toContainEqual({ role: 'user', content: 'Only touch docs/', source: 'steer' });
  });

  it.each([
    [false, undefined],
    [true, 'sk-daemon-secret'],
  ])('strips credentials from the daemon environment unless passthrough is allowed (%s)', async (allowEnvPassthrough, expected) => {
    process.env.SK_TEST_API_KEY = 'sk-daemon-secret';
    try {
      const events: DriverEvent[] = [];
      const driver = new CodexDriver({ allowEnvPassthrough });
      await driver.start({
        run: { namespace: 'default', name: 'r1', uid: 'uid-1', session: 's1' },
        prompt: 'hi',
        agent: agent({ command: path.join(fakeBin, 'codex'), env: { FAKE_CODEX_ARGV_LOG: argvLog, OPENAI_API_KEY: 'from-agent-env' } }),
        workspace: { path: work, readOnly: false },
        tools,
        emit: (e) => events.push(e),
        signal: new AbortController().signal,
      });
      expect(events.at(-1)).toMatchObject({ type: 'run.completed' });
      const [{ env }] = await invocations();
      expect(env.SK_TEST_API_KEY).toBe(expected);
      expect(env.OPENAI_API_KEY).toBe('from-agent-env');
    } finally {
      delete process.env.SK_TEST_API_KEY;
    }
  });

  it('a follow-up sent during the turn runs after it, on the same thread', async () => {
    const h = harness();
    await h.driver.send('Now add a title', 'user');
    await h.started;
    const calls = await invocations();
    expect(calls).toHaveLength(2);
    expect(calls[1].argv.slice(-2)).toEqual(['--', 'Now add a title']);
    expect(h.normalized().filter((e) => e.type === 'run.completed')).toHaveLength(1);
  });
});
