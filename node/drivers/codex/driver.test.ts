/**
 * The Codex driver against the fake app-server (test/fakes/codex), the JSON Schema the pinned
 * Codex CLI generates for what the driver sends, the fake's JSON-RPC checked against the real one,
 * and the app-server's lifetime tied to the driver host.
 *
 * Why this file is long: the driver's scenarios share one fake app-server setup and read as one
 * conversation each; the three smaller suites at the end check the fake and the schema it is held to.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { Ajv, type ValidateFunction } from 'ajv';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from '../../../test/eventually.js';
import { CodexDriver } from './driver.js';
import { CodexEventMapper } from './events.js';
import type { AgentConfig, DriverCheckpoint, PermissionDecision, ToolBroker } from '../contract.js';
import { alive } from '../../../test/support/process-alive.js';
import { readLines } from '../line-reader.js';
import { compileHost, permissionBroker, startRecorded } from '../test-harness.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fakeBin = path.resolve(here, '../../../test/fakes/codex');
const fakeCodex = path.join(fakeBin, 'codex');
const childPath = [fakeBin, path.dirname(process.execPath), '/usr/bin', '/bin'].join(path.delimiter);

let work: string;
let codexHome: string;
let fakeLog: string;

beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'sk-codex-ws-'));
  codexHome = await mkdtemp(path.join(os.tmpdir(), 'sk-codex-home-'));
  fakeLog = path.join(codexHome, 'fake.jsonl');
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
  await rm(codexHome, { recursive: true, force: true });
});

type Step = Record<string, unknown>;

function agent(script?: Step[], overrides: Partial<AgentConfig> = {}): AgentConfig {
  return {
    name: 'codex',
    driver: 'Codex',
    tools: ['RunCommand', 'ReadFile', 'WriteFile', 'ListFiles', 'EditFile'],
    maxTurns: 50,
    env: { FAKE_CODEX_LOG: fakeLog, CODEX_HOME: codexHome, ...(script ? { FAKE_CODEX_SCRIPT: JSON.stringify(script) } : {}) },
    ...overrides,
  };
}

function harness(opts: { agent?: AgentConfig; checkpoint?: DriverCheckpoint; tools?: ToolBroker; prompt?: string; readOnly?: boolean } = {}) {
  const driver = new CodexDriver({ interruptGraceMs: 500, environment: () => ({ PATH: childPath, HOME: work }) });
  return { driver, ...startRecorded(driver, { ...opts, workspace: work, prompt: opts.prompt ?? 'Write notes.md', agent: opts.agent ?? agent() }) };
}

interface LogEntry {
  pid: number;
  argv?: string[];
  env?: Record<string, string>;
  received?: { id?: number; method?: string; params?: Record<string, any>; result?: any };
  warning?: string;
}

/** What the fake logged: its start (argv, env), every message it received, every protocol problem. */
async function fakeLogEntries(): Promise<LogEntry[]> {
  return (await readFile(fakeLog, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as LogEntry);
}

const received = async (method?: string) => (await fakeLogEntries()).flatMap((e) => (e.received && (!method || e.received.method === method) ? [e.received] : []));
const starts = async () => (await fakeLogEntries()).filter((e) => e.argv);

describe('CodexDriver', () => {
  it('declares steer and interactive requests: both go through the app-server', () => {
    expect(new CodexDriver({ environment: () => ({}) }).capabilities()).toEqual({ resume: true, steer: true, interactiveRequests: true, toolCalls: true, reasoningStream: true });
  });

  it('speaks the app-server handshake and starts the thread with our settings', async () => {
    const h = harness({ agent: agent([{ say: 'ok' }], { model: 'gpt-5-codex', instructions: 'Be brief.' }), readOnly: true });
    await h.started;
    const [start] = await starts();
    // Codex's own web search is off: no tool of ours stands for it (see codexLaunch).
    expect(start!.argv).toEqual(['app-server', '-c', 'web_search="disabled"']);
    const msgs = await received();
    expect(msgs.slice(0, 4).map((m) => m.method)).toEqual(['initialize', 'initialized', 'thread/start', 'turn/start']);
    expect(msgs[0]).toEqual({ id: 0, method: 'initialize', params: { clientInfo: { name: 'sidekicks', title: 'Sidekicks', version: '0.1.0' } } });
    expect(msgs[1]).toEqual({ method: 'initialized' });
    expect(msgs[2]!.params).toEqual({ cwd: work, approvalPolicy: 'untrusted', sandbox: 'read-only', model: 'gpt-5-codex', developerInstructions: 'Be brief.' });
    expect(msgs[3]!.params).toEqual({ threadId: h.lastCheckpoint()!.resumeId, input: [{ type: 'text', text: 'Write notes.md' }] });
    expect(msgs.every((m) => !('jsonrpc' in m))).toBe(true);
    expect((await fakeLogEntries()).filter((e) => e.warning)).toEqual([]);
  });

  it('maps a turn in order: reasoning, plan, trusted and approved commands, an approved write, the answer, usage', async () => {
    const script = [
      { think: '**Planning** the notes' },
      { plan: [['write notes.md', 'inProgress']] },
      { run: 'ls' },
      { run: 'echo built > build.log' },
      { write: 'notes.md', content: 'notes from codex\n' },
      { say: 'Created notes.md.' },
    ];
    const b = permissionBroker();
    const h = harness({ agent: agent(script), tools: b.tools });
    await h.started;
    const notes = path.join(work, 'notes.md');
    const ev = h.normalized();
    const ids = ev.flatMap((e) => (e.type === 'tool.invoked' ? [e.callId] : []));
    expect(ev).toEqual([
      { type: 'turn', turn: 1 },
      { type: 'assistant.thinking', text: '**Planning** the notes' },
      { type: 'assistant.thinking', text: 'Plan:\n[~] write notes.md' },
      { type: 'tool.invoked', callId: ids[0], tool: 'RunCommand', input: { command: "/bin/bash -lc 'ls'", cwd: work } },
      { type: 'tool.result', callId: ids[0], tool: 'RunCommand', ok: true, output: '', exitCode: 0, durationMs: expect.any(Number) },
      { type: 'tool.invoked', callId: ids[1], tool: 'RunCommand', input: { command: "/bin/bash -lc 'echo built > build.log'", cwd: work } },
      { type: 'tool.result', callId: ids[1], tool: 'RunCommand', ok: true, output: '', exitCode: 0, durationMs: expect.any(Number) },
      { type: 'tool.invoked', callId: ids[2], tool: 'WriteFile', input: { paths: [notes], changes: [{ path: notes, kind: 'add' }] } },
      { type: 'tool.result', callId: ids[2], tool: 'WriteFile', ok: true, output: `add ${notes}` },
      { type: 'assistant.message', text: 'Created notes.md.' },
      { type: 'usage', inputTokens: 1200, outputTokens: 80 },
      { type: 'run.completed', summary: 'Created notes.md.' },
    ]);
    // `ls` is a read Codex trusts; the write and the other command were asked of our gate, as our tools.
    expect(b.permission.mock.calls.map(([c]) => c)).toEqual([
      { callId: ids[1], tool: 'RunCommand', input: { command: "/bin/bash -lc 'echo built > build.log'", cwd: work } },
      { callId: ids[2], tool: 'WriteFile', input: { path: notes, paths: [notes], changes: [{ path: notes, kind: 'add' }] } },
    ]);
    expect(await readFile(notes, 'utf8')).toBe('notes from codex\n');
    expect(await readFile(path.join(work, 'build.log'), 'utf8')).toBe('built\n');
    expect(await received('item/commandExecution/requestApproval')).toEqual([]);
    const answers = (await received()).filter((m) => m.result !== undefined);
    expect(answers.map((m) => m.result)).toEqual([{ decision: 'accept' }, { decision: 'accept' }]);
    expect(h.lastCheckpoint()).toMatchObject({ resumeId: expect.stringMatching(/^[0-9a-f-]{36}$/), turns: 1 });
  });

  it('a refused command never runs: Codex gets decline, the agent gets the reason, the run goes on', async () => {
    const b = permissionBroker(async (call) => (call.tool === 'RunCommand' ? { allow: false, reason: 'rejected by alice: not today' } : { allow: true }));
    const h = harness({ agent: agent([{ run: 'touch denied.txt' }, { say: 'Carrying on.' }]), tools: b.tools });
    await h.started;
    expect(existsSync(path.join(work, 'denied.txt'))).toBe(false);
    const result = h.normalized().find((e) => e.type === 'tool.result');
    expect(result).toMatchObject({ tool: 'RunCommand', ok: false, output: 'refused: rejected by alice: not today' });
    const answers = (await received()).filter((m) => m.result !== undefined);
    expect(answers.map((m) => m.result)).toEqual([{ decision: 'decline' }]);
    // The decision has no reason field: the reason reached the turn as steer text, which the fake echoes.
    const [steer] = await received('turn/steer');
    expect(steer!.params!.input[0].text).toContain('rejected by alice: not today');
    expect(h.messages().at(-1)).toMatch(/^Carrying on\. \(steer: The command you asked for was refused .*rejected by alice: not today\)$/);
    expect(h.normalized().at(-1)).toMatchObject({ type: 'run.completed' });
  });

  it('fails closed: a gate that throws declines, and so does a tool the agent lacks or a write in a read-only workspace', async () => {
    const b = permissionBroker(async () => {
      throw new Error('approval store unavailable');
    });
    const h = harness({ agent: agent([{ run: 'touch a.txt' }, { say: 'ok' }]), tools: b.tools });
    await h.started;
    expect(existsSync(path.join(work, 'a.txt'))).toBe(false);
    expect(h.normalized().find((e) => e.type === 'tool.result')).toMatchObject({ ok: false, output: expect.stringContaining('the approval could not be obtained (approval store unavailable)') });

    const lacking = permissionBroker();
    const h2 = harness({ agent: agent([{ write: 'x.md', content: 'x' }, { say: 'ok' }], { tools: ['RunCommand', 'ReadFile'] }), tools: lacking.tools });
    await h2.started;
    expect(existsSync(path.join(work, 'x.md'))).toBe(false);
    expect(h2.normalized().find((e) => e.type === 'tool.result')).toMatchObject({ tool: 'WriteFile', ok: false, output: 'refused: tool WriteFile is not enabled for agent codex' });

    const h3 = harness({ agent: agent([{ write: 'y.md', content: 'y' }, { say: 'ok' }]), tools: lacking.tools, readOnly: true });
    await h3.started;
    expect(existsSync(path.join(work, 'y.md'))).toBe(false);
    expect(h3.normalized().find((e) => e.type === 'tool.result')).toMatchObject({ output: 'refused: the workspace is read-only' });
    expect(lacking.permission).not.toHaveBeenCalled();
  });

  it('a refused file change is not written', async () => {
    const outside = path.join(codexHome, 'outside.txt');
    const b = permissionBroker(async (call) => ({ allow: false, reason: `no writes to ${String(call.input.path)}` }));
    const h = harness({ agent: agent([{ write: outside, content: 'x' }, { say: 'ok' }]), tools: b.tools });
    await h.started;
    expect(existsSync(outside)).toBe(false);
    expect(b.permission.mock.calls[0]![0]).toMatchObject({ tool: 'WriteFile', input: { path: outside } });
    expect(h.normalized().find((e) => e.type === 'tool.result')).toMatchObject({ tool: 'WriteFile', ok: false, output: `refused: no writes to ${outside}` });
  });

  it('steer goes into the running turn (applied) and reaches the agent', async () => {
    const h = harness({ agent: agent([{ say: 'Waiting for guidance.' }, { waitForSteer: true }, { say: 'Finished' }]) });
    await eventually(() => h.messages().includes('Waiting for guidance.'));
    await expect(h.driver.steer('Only touch docs/')).resolves.toBe('applied');
    await h.started;
    expect(h.normalized().at(-1)).toEqual({ type: 'run.completed', summary: 'Finished (steer: Only touch docs/)' });
    const [steer] = await received('turn/steer');
    expect(steer!.params).toEqual({ threadId: h.lastCheckpoint()!.resumeId, input: [{ type: 'text', text: 'Only touch docs/' }], expectedTurnId: expect.stringMatching(/^turn_/) });
    expect(h.lastCheckpoint()?.transcript).toContainEqual({ role: 'user', content: 'Only touch docs/', source: 'steer' });
    expect(await starts()).toHaveLength(1);
  });

  it('steer that the turn refuses is the next message instead (degraded)', async () => {
    let release!: (d: PermissionDecision) => void;
    const b = permissionBroker(() => new Promise((resolve) => (release = resolve)));
    const h = harness({ agent: agent([{ unsteerable: true }, { run: 'echo reviewed' }, { say: 'Reviewed.' }]), tools: b.tools });
    // The turn is active (waiting on its approval) but takes no steering, like a review turn.
    await eventually(() => b.permission.mock.calls.length === 1);
    await expect(h.driver.steer('Also check the docs')).resolves.toBe('degraded');
    release({ allow: true });
    await h.started;
    expect(h.messages()).toEqual(['Reviewed.', 'Done: Also check the docs']);
    expect((await received('turn/start')).map((t) => t.params!.input[0].text)).toEqual(['Write notes.md', 'Also check the docs']);
    expect(h.lastCheckpoint()?.transcript.filter((m) => m.role === 'user')).toEqual([
      { role: 'user', content: 'Write notes.md', source: 'prompt' },
      { role: 'user', content: 'Also check the docs', source: 'steer' },
    ]);
  });

  it('a follow-up sent during the turn is the next turn of the same thread, in the same process', async () => {
    const h = harness({ agent: agent([{ say: 'first' }, { waitForSteer: true }]) });
    await eventually(() => h.messages().includes('first'));
    await h.driver.send('Now add a title', 'user');
    await h.driver.steer('go on');
    await h.started;
    const turns = await received('turn/start');
    expect(turns.map((t) => t.params!.input[0].text)).toEqual(['Write notes.md', 'Now add a title']);
    expect(new Set(turns.map((t) => t.params!.threadId)).size).toBe(1);
    expect(await starts()).toHaveLength(1);
    expect(h.normalized().filter((e) => e.type === 'run.completed')).toEqual([{ type: 'run.completed', summary: 'Done: Now add a title' }]);
    expect(h.lastCheckpoint()?.turns).toBe(2);
  });

  it('interrupt stops the turn with turn/interrupt, without a verdict, and the app-server exits', async () => {
    const h = harness({ agent: agent([{ say: 'Working slowly.' }, { hang: true }]) });
    await eventually(() => h.messages().length > 0);
    const [{ pid }] = await starts();
    await h.driver.interrupt();
    await h.started;
    expect(await received('turn/interrupt')).toEqual([{ id: expect.any(Number), method: 'turn/interrupt', params: { threadId: h.lastCheckpoint()!.resumeId, turnId: expect.stringMatching(/^turn_/) } }]);
    await eventually(() => !alive(pid));
    expect(h.normalized().some((e) => e.type === 'run.completed' || e.type === 'run.failed')).toBe(false);
    expect(h.lastCheckpoint()).toMatchObject({ resumeId: expect.any(String), turns: 1 });
  });

  it('an interrupt while an approval is pending stops the turn; a decision that comes later runs nothing', async () => {
    let release!: (d: PermissionDecision) => void;
    const b = permissionBroker(() => new Promise((resolve) => (release = resolve)));
    const h = harness({ agent: agent([{ run: 'touch late.txt' }, { say: 'never' }]), tools: b.tools });
    await eventually(() => b.permission.mock.calls.length === 1);
    await h.driver.interrupt();
    await h.started;
    release({ allow: true });
    expect(existsSync(path.join(work, 'late.txt'))).toBe(false);
    expect(h.messages()).not.toContain('never');
  });

  it('resumes the checkpointed thread with thread/resume, continuing instead of repeating the prompt, counting only new usage', async () => {
    const first = harness({ agent: agent([{ say: 'Half done.' }]) });
    await first.started;
    const checkpoint = first.lastCheckpoint()!;
    const h = harness({ checkpoint });
    await h.started;
    const [resume] = await received('thread/resume');
    // excludeTurns: the current form; without it 0.169 answers with a deprecationNotice (journalled, see below).
    expect(resume!.params).toEqual({ threadId: checkpoint.resumeId, cwd: work, approvalPolicy: 'untrusted', sandbox: 'workspace-write', excludeTurns: true });
    expect((await received('turn/start')).at(-1)!.params!.input[0].text).toBe('Continue the task from where you stopped.');
    expect(h.normalized()).toEqual([
      { type: 'turn', turn: 2 },
      { type: 'assistant.message', text: `Resumed ${checkpoint.resumeId}: Continue the task from where you stopped.` },
      { type: 'usage', inputTokens: 1200, outputTokens: 80 },
      { type: 'run.completed', summary: `Resumed ${checkpoint.resumeId}: Continue the task from where you stopped.` },
    ]);
    expect(h.lastCheckpoint()).toMatchObject({ resumeId: checkpoint.resumeId, turns: 2 });
  });

  it('passes on what Codex warns about as driver.warning: an unknown model, a deprecated call', async () => {
    const h = harness({ agent: agent([{ say: 'ok' }], { model: 'gpt-fake' }) });
    await h.started;
    expect(h.normalized()).toContainEqual({ type: 'driver.warning', kind: 'warning', message: expect.stringMatching(/^Model metadata for `gpt-fake` not found/) });
    // What the driver never sends itself, the mapper still reads: a resume without excludeTurns.
    const threadId = h.lastCheckpoint()!.resumeId!;
    const old = await converseWithFake([initLine, JSON.stringify({ id: 2, method: 'thread/resume', params: { threadId } })], 3);
    const notice = old.find((m) => m.method === 'deprecationNotice')!;
    expect(new CodexEventMapper().map(notice.method, notice.params)).toEqual([{ type: 'driver.warning', kind: 'deprecationNotice', message: expect.stringContaining('use `excludeTurns: true`') }]);
    expect(h.normalized().filter((e) => e.type === 'driver.warning')).toHaveLength(1);
  });

  it('makes spec.endpoint a Responses model provider, its key in an env var of its own', async () => {
    const h = harness({ agent: agent([{ say: 'ok' }], { endpoint: { baseURL: 'http://127.0.0.1:9/v1', apiKey: 'sk-endpoint' } }) });
    await h.started;
    const [start] = await starts();
    expect(start!.argv).toEqual([
      'app-server',
      '-c',
      'web_search="disabled"',
      '-c',
      'model_provider="sidekicks"',
      '-c',
      'model_providers.sidekicks={ name = "Sidekicks agent endpoint", base_url = "http://127.0.0.1:9/v1", wire_api = "responses", env_key = "SIDEKICKS_CODEX_API_KEY" }',
    ]);
    expect(start!.env!.SIDEKICKS_CODEX_API_KEY).toBe('sk-endpoint');
  });

  it('fails with ResumeFailed when Codex no longer knows the thread', async () => {
    const h = harness({ checkpoint: { transcript: [], resumeId: 'th-gone', turns: 1 } });
    await h.started;
    expect(h.normalized()).toEqual([{ type: 'run.failed', category: 'Provider', reason: 'ResumeFailed', message: 'Codex could not resume thread th-gone: no rollout found for thread id th-gone' }]);
  });

  it('maps a failed turn to run.failed (Provider), after non-fatal retry errors', async () => {
    const h = harness({ agent: agent([{ retryError: 'Reconnecting... 1/5' }, { say: 'partial' }, { fail: 'unexpected status 401 Unauthorized' }]) });
    await h.started;
    expect(h.normalized().at(-1)).toEqual({ type: 'run.failed', category: 'Provider', reason: 'ProviderError', message: 'unexpected status 401 Unauthorized' });
  });

  it('maps a crash mid-turn to ProviderExited with what Codex said on stderr', async () => {
    const h = harness({ agent: agent([{ say: 'about to crash' }, { crash: 'Model provider refused the request' }]) });
    await h.started;
    expect(h.normalized().at(-1)).toEqual({ type: 'run.failed', category: 'Provider', reason: 'ProviderExited', message: expect.stringContaining('Model provider refused the request') });
    expect(h.normalized().at(-1)).toMatchObject({ message: expect.stringContaining('exited with code 1') });
  });

  it('fails with DriverStartFailed when the binary is not an app-server', async () => {
    const h = harness({ agent: agent(undefined, { command: '/bin/false' }) });
    await h.started;
    expect(h.normalized()).toEqual([{ type: 'run.failed', category: 'Provider', reason: 'DriverStartFailed', message: 'codex app-server exited with code 1 before it was ready: no output on stderr' }]);
  });

  it('fails with BudgetExhausted when the turns are spent, before or between turns', async () => {
    const spent = harness({ checkpoint: { transcript: [], resumeId: 'th', turns: 3 }, agent: agent(undefined, { maxTurns: 3 }) });
    await spent.started;
    expect(spent.normalized()).toEqual([{ type: 'run.failed', category: 'Budget', reason: 'BudgetExhausted', message: 'The run used its 3 model turns.' }]);

    const h = harness({ agent: agent([{ say: 'one' }, { waitForSteer: true }], { maxTurns: 1 }) });
    await eventually(() => h.messages().includes('one'));
    await h.driver.send('and another thing');
    await h.driver.steer('go on');
    await h.started;
    expect(h.normalized().at(-1)).toEqual({ type: 'run.failed', category: 'Budget', reason: 'BudgetExhausted', message: 'The run used its 1 model turns.' });
    expect(await received('turn/start')).toHaveLength(1);
  });

  it('fails with DriverNotFound when the binary is missing', async () => {
    const h = harness({ agent: agent(undefined, { command: '/nonexistent/codex' }) });
    await h.started;
    expect(h.normalized()).toEqual([{ type: 'run.failed', category: 'Provider', reason: 'DriverNotFound', message: expect.stringContaining('at /nonexistent/codex') }]);
  });

  it.each([
    [false, undefined],
    [true, 'sk-daemon-secret'],
  ])('strips credentials from the daemon environment unless passthrough is allowed (%s)', async (allowEnvPassthrough, expected) => {
    process.env.SK_TEST_API_KEY = 'sk-daemon-secret';
    try {
      const driver = new CodexDriver({ allowEnvPassthrough });
      const agentConfig = agent(undefined, { command: fakeCodex, env: { ...agent().env, OPENAI_API_KEY: 'from-agent-env' } });
      const { started, events } = startRecorded(driver, { workspace: work, prompt: 'hi', agent: agentConfig });
      await started;
      expect(events.at(-1)).toEqual({ type: 'run.completed', summary: 'Done: hi' });
      const [{ env }] = await starts();
      expect(env!.SK_TEST_API_KEY).toBe(expected);
      expect(env!.OPENAI_API_KEY).toBe('from-agent-env');
    } finally {
      delete process.env.SK_TEST_API_KEY;
    }
  });
});

describe('what the driver sends is valid for the pinned Codex app-server (its generated JSON Schema)', () => {
  const realCodex = path.resolve(here, '../../../node_modules/.bin/codex');
  let schemaDir: string;
  let ajv: Ajv;
  beforeAll(async () => {
    schemaDir = await mkdtemp(path.join(os.tmpdir(), 'sk-codex-schema-'));
    await new Promise<void>((resolve, reject) =>
      execFile(realCodex, ['app-server', 'generate-json-schema', '--out', schemaDir], { env: { PATH: childPath, HOME: schemaDir } }, (err) => (err ? reject(err) : resolve())),
    );
    // The generated schemas use Rust's integer formats (uint32, int64…): types are what is checked here.
    ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  }, 60_000);
  afterAll(async () => rm(schemaDir, { recursive: true, force: true }));

  const schema = async (name: string) => ajv.compile(JSON.parse(await readFile(path.join(schemaDir, name), 'utf8')) as object);
  const problems = (validate: ValidateFunction, value: unknown) => (validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));

  it('handshake, thread/start, turn/start, turn/steer, turn/interrupt, thread/resume and the approval answers', async () => {
    // One run that is allowed a command and refused a write (accept, decline, the reason as turn/steer)…
    const b = permissionBroker(async (call) => (call.tool === 'RunCommand' ? { allow: true } : { allow: false, reason: 'not that file' }));
    const first = harness({ agent: agent([{ run: 'echo hi > a.txt' }, { write: 'b.md', content: 'x\n' }, { say: 'done' }], { model: 'gpt-5-codex', instructions: 'Be brief.' }), tools: b.tools });
    await first.started;
    // …its resume…
    await harness({ checkpoint: first.lastCheckpoint()! }).started;
    // …and a run steered, then interrupted.
    const third = harness({ agent: agent([{ say: 'waiting' }, { waitForSteer: true }, { hang: true }]) });
    await eventually(() => third.messages().length > 0);
    await expect(third.driver.steer('only docs/')).resolves.toBe('applied');
    await third.driver.interrupt();
    await third.started;

    const sent = await received();
    expect([...new Set(sent.map((m) => m.method ?? 'response'))].sort()).toEqual(
      ['initialize', 'initialized', 'response', 'thread/resume', 'thread/start', 'turn/interrupt', 'turn/start', 'turn/steer'].sort(),
    );
    const [request, notification, commandAnswer, fileAnswer] = await Promise.all([
      schema('ClientRequest.json'),
      schema('ClientNotification.json'),
      schema('CommandExecutionRequestApprovalResponse.json'),
      schema('FileChangeRequestApprovalResponse.json'),
    ]);
    for (const m of sent) {
      if (m.method && m.id !== undefined) expect({ method: m.method, problems: problems(request, m) }).toEqual({ method: m.method, problems: [] });
      else if (m.method) expect({ method: m.method, problems: problems(notification, m) }).toEqual({ method: m.method, problems: [] });
      else expect({ answer: m.result, problems: [...problems(commandAnswer, m.result), ...problems(fileAnswer, m.result)] }).toEqual({ answer: m.result, problems: [] });
    }
  });
});

/** Sends lines to a fresh fake app-server and collects its answers until it has said `count` things. */
async function converseWithFake(lines: string[], count: number): Promise<Record<string, any>[]> {
  const child = spawn(fakeCodex, ['app-server'], { env: { PATH: childPath, CODEX_HOME: codexHome }, cwd: work, stdio: ['pipe', 'pipe', 'inherit'] });
  const out: Record<string, any>[] = [];
  readLines(child.stdout, { onLine: (l) => out.push(JSON.parse(l) as Record<string, any>) });
  for (const line of lines) child.stdin.write(`${line}\n`);
  await eventually(() => out.length >= count);
  child.stdin.end();
  await new Promise((resolve) => child.once('exit', resolve));
  return out;
}
const initLine = JSON.stringify({ id: 'i', method: 'initialize', params: { clientInfo: { name: 't', version: '1' } } });

describe('the fake app-server speaks JSON-RPC like the real one', () => {
  const converse = converseWithFake;
  const init = initLine;

  it('rejects what is not a valid request, and everything before initialize', async () => {
    const out = await converse(
      ['{"id":1,"method":"thread/start","params":{}}', 'not json', '[1]', '{"id":1.5,"method":"x"}', '{"id":2}', init, init, '{"id":3,"method":"nope/nope","params":{}}', '{"id":4,"method":"thread/start","params":{"sandbox":"yolo"}}', '{"id":5,"method":"turn/start","params":{"threadId":"t","input":[]}}'],
      10,
    );
    expect(out).toEqual([
      { id: 1, error: { code: -32600, message: 'Not initialized' } },
      { id: null, error: { code: -32700, message: 'Parse error' } },
      { id: null, error: { code: -32600, message: 'Invalid Request: not an object' } },
      { id: null, error: { code: -32600, message: 'Invalid Request: id must be a string or an integer' } },
      { id: 2, error: { code: -32600, message: 'Invalid Request: no method' } },
      { id: 'i', result: expect.objectContaining({ userAgent: 'fake_codex/0.0.0 (t; 1)' }) },
      { id: 'i', error: { code: -32600, message: 'Already initialized' } },
      { id: 3, error: { code: -32601, message: 'Method not found: nope/nope' } },
      { id: 4, error: { code: -32602, message: 'Invalid params for thread/start: bad `sandbox` "yolo"' } },
      { id: 5, error: { code: -32600, message: 'thread not found: t' } },
    ]);
  });

  it('refuses a steer for a turn that is not the active one', async () => {
    const start = JSON.stringify({ id: 1, method: 'thread/start', params: { cwd: work } });
    const out = await converse([init, start], 3);
    const threadId = out.find((m) => m.id === 1)!.result.thread.id as string;
    const again = await converse([init, JSON.stringify({ id: 2, method: 'thread/resume', params: { threadId } }), JSON.stringify({ id: 3, method: 'turn/steer', params: { threadId, input: [{ type: 'text', text: 'x' }], expectedTurnId: 'turn_0' } })], 3);
    expect(again.find((m) => m.id === 2)).toMatchObject({ result: { thread: { id: threadId } } });
    expect(again.find((m) => m.id === 3)).toEqual({ id: 3, error: { code: -32600, message: 'no active turn to steer' } });
  });
});

describe('the app-server does not outlive the driver host', () => {
  let host: Awaited<ReturnType<typeof compileHost>>;
  beforeAll(async () => (host = await compileHost()), 120_000);
  afterAll(async () => host.cleanup());

  it('exits when the host is killed outright (its stdin closes)', async () => {
    const child = spawn(host.command[0]!, host.command.slice(1), { stdio: ['pipe', 'pipe', 'ignore'], env: { ...process.env, PATH: childPath } });
    const lines: string[] = [];
    readLines(child.stdout, { onLine: (l) => lines.push(l) });
    const start = {
      type: 'start',
      run: { namespace: 'default', name: 'r', uid: 'u', session: 's' },
      prompt: 'hang around',
      agent: agent([{ say: 'hanging' }, { hang: true }], { command: fakeCodex }),
      workspace: { path: work, readOnly: false },
      allowEnvPassthrough: false,
    };
    child.stdin.write(`${JSON.stringify(start)}\n`);
    await eventually(() => lines.some((l) => l.includes('"hanging"')));
    const [{ pid }] = await starts();
    expect(alive(pid)).toBe(true);
    child.kill('SIGKILL');
    await eventually(() => !alive(pid));
  });
});
