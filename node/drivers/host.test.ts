import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { readLines } from './line-reader.js';
import path from 'node:path';
import { eventually } from '../../test/eventually.js';
import { FakeOpenAIServer, httpError, streamed } from '../../test/fakes/openai-server.js';
import type { ScriptStep } from '../../resources/kinds/agent-script.js';
import type { AgentConfig, DriverCheckpoint, DriverEvent } from './contract.js';
import { DriverProcess } from './supervisor.js';
import { compileHost, tempWorkspace, testAgent } from './test-harness.js';
import { alive } from '../../test/support/process-alive.js';

let host: Awaited<ReturnType<typeof compileHost>>;
let ws: Awaited<ReturnType<typeof tempWorkspace>>;
const procs: DriverProcess[] = [];

beforeAll(async () => (host = await compileHost()), 120_000);
afterAll(async () => host.cleanup());
beforeEach(async () => (ws = await tempWorkspace()));
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.close()));
  await ws.cleanup();
});

/** Spawns a host and records what it says. */
function spawnHost(command = host.command) {
  const logs: string[] = [];
  const proc = DriverProcess.spawn({ command, log: (l) => logs.push(l), closeGraceMs: 2000 });
  procs.push(proc);
  const events: DriverEvent[] = [];
  const drained = (async () => {
    for await (const e of proc.events) events.push(e);
  })();
  const types = () => events.filter((e) => e.type !== 'checkpoint' && e.type !== 'raw').map((e) => e.type);
  const lastCheckpoint = () => events.findLast((e): e is Extract<DriverEvent, { type: 'checkpoint' }> => e.type === 'checkpoint')?.checkpoint;
  return { proc, events, drained, logs, types, lastCheckpoint };
}

function startScripted(proc: DriverProcess, script: ScriptStep[], checkpoint?: DriverCheckpoint, agent: Partial<AgentConfig> = {}) {
  proc.start({
    run: { namespace: 'default', name: 'run-1', uid: 'uid-1', session: 's' },
    prompt: 'Do it.',
    agent: testAgent({ driver: 'Scripted', script, ...agent }),
    workspace: { path: ws.path, readOnly: false },
    ...(checkpoint ? { checkpoint } : {}),
    allowEnvPassthrough: false,
  });
}

describe('driver host process', () => {
  it('runs a Scripted agent: tools through permission requests, input through send, then exits', async () => {
    const h = spawnHost();
    const asked: string[] = [];
    h.proc.onPermissionRequest(async (call) => {
      asked.push(call.tool);
      return call.tool === 'WriteFile' ? { allow: false, reason: 'writes need review' } : { allow: true };
    });
    startScripted(h.proc, [
      { say: 'Starting.' },
      { tool: 'RunCommand', input: { command: 'echo from-the-shell' } },
      { tool: 'WriteFile', input: { path: 'blocked.txt', content: 'x' } },
      { ask: 'Proceed?' },
      { say: 'Finished.' },
    ]);
    expect(await h.proc.capabilities).toEqual({ resume: true, steer: false, interactiveRequests: true, toolCalls: true, reasoningStream: true });
    await eventually(() => h.events.some((e) => e.type === 'request.input'));
    h.proc.send('yes');
    await h.drained;

    expect(h.types()).toEqual([
      'turn', 'assistant.message',
      'turn', 'tool.invoked', 'tool.result',
      'turn', 'tool.invoked', 'tool.result',
      'turn', 'request.input',
      'turn', 'assistant.message',
      'run.completed',
    ]);
    const results = h.events.filter((e): e is Extract<DriverEvent, { type: 'tool.result' }> => e.type === 'tool.result');
    expect(results[0]).toMatchObject({ ok: true, output: expect.stringContaining('from-the-shell') });
    expect(results[1]).toMatchObject({ ok: false, output: 'refused: writes need review' });
    expect(asked).toEqual(['RunCommand', 'WriteFile']);
    expect(await h.proc.exitReport).toEqual({ type: 'exit', status: 'completed' });
    expect(await h.proc.exited).toEqual({ code: 0, signal: null });
  });

  it('refuses every tool call when no permission handler is registered (fail closed)', async () => {
    const h = spawnHost();
    startScripted(h.proc, [{ tool: 'ListFiles', input: {} }]);
    await h.drained;
    expect(h.events.find((e) => e.type === 'tool.result')).toMatchObject({ ok: false, output: expect.stringContaining('refused: no approval handler') });
  });

  it('interrupts at a safe point, checkpoints, and a new host resumes from the next step', async () => {
    const script: ScriptStep[] = [{ say: 'one' }, { ask: 'Go on?' }, { say: 'two' }];
    const first = spawnHost();
    startScripted(first.proc, script);
    await eventually(() => first.events.some((e) => e.type === 'request.input'));
    first.proc.interrupt();
    await first.drained;
    expect(await first.proc.exitReport).toEqual({ type: 'exit', status: 'interrupted' });
    expect(first.types()).toEqual(['turn', 'assistant.message', 'turn', 'request.input']);
    const checkpoint = first.lastCheckpoint()!;
    expect(checkpoint.cursor).toBe(1);

    const second = spawnHost();
    startScripted(second.proc, script, checkpoint);
    await eventually(() => second.events.some((e) => e.type === 'request.input'));
    expect(await second.proc.steer('be quick')).toBe('degraded');
    second.proc.send('yes');
    await second.drained;
    expect(second.types()).toEqual(['turn', 'request.input', 'turn', 'assistant.message', 'run.completed']);
    expect(second.events.filter((e) => e.type === 'assistant.message')).toEqual([{ type: 'assistant.message', text: 'two' }]);
    expect(second.lastCheckpoint()!.transcript.filter((m) => m.source === 'steer')).toEqual([{ role: 'user', content: 'be quick', source: 'steer' }]);
  });

  it('SIGTERM interrupts the driver, which checkpoints before the host exits', async () => {
    const h = spawnHost();
    startScripted(h.proc, [{ say: 'one' }, { wait: 600 }, { say: 'two' }]);
    await eventually(() => h.events.some((e) => e.type === 'assistant.message'));
    process.kill(h.proc.pid!, 'SIGTERM');
    await h.drained;
    expect(await h.proc.exitReport).toEqual({ type: 'exit', status: 'interrupted' });
    expect(h.events.at(-1)).toMatchObject({ type: 'checkpoint', checkpoint: { cursor: 1 } });
    expect(h.types()).not.toContain('run.failed');
  });

  it('reports a crashed host as exactly one run.failed (Transport, DriverCrashed)', async () => {
    const h = spawnHost();
    startScripted(h.proc, [{ say: 'one' }, { wait: 600 }]);
    await eventually(() => h.events.some((e) => e.type === 'assistant.message'));
    process.kill(h.proc.pid!, 'SIGKILL');
    await h.drained;
    const failures = h.events.filter((e) => e.type === 'run.failed');
    expect(failures).toEqual([{ type: 'run.failed', category: 'Transport', reason: 'DriverCrashed', message: expect.stringContaining('signal SIGKILL') }]);
    expect(await h.proc.exitReport).toBeUndefined();
    expect(await h.proc.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await expect(h.proc.steer('too late')).rejects.toThrow('exited');
  });

  it('ignores malformed host lines and reports a host that dies without an exit message once', async () => {
    const script = [
      'console.log("not json at all")',
      'console.log(JSON.stringify({ type: "event", event: { type: "bogus" } }))',
      'console.log(JSON.stringify({ type: "event", event: { type: "assistant.message", text: "valid" } }))',
      'console.error("boom: out of memory")',
      'process.exit(3)',
    ].join(';');
    const h = spawnHost([process.execPath, '-e', script]);
    await h.drained;
    expect(h.events).toEqual([
      { type: 'assistant.message', text: 'valid' },
      { type: 'run.failed', category: 'Transport', reason: 'DriverCrashed', message: expect.stringMatching(/code 3.*boom: out of memory/) },
    ]);
    expect(h.logs.filter((l) => l.startsWith('ignored a malformed host message'))).toHaveLength(2);
  });

  it('logs nothing when the host exits while input is written to it (EPIPE is its exit, not a failure)', async () => {
    // The host closes its input and exits, as a host does when its run ends; the daemon keeps
    // writing (answers, steers) across that moment, as it does when a message crosses the exit.
    const h = spawnHost([process.execPath, '-e', 'require("node:fs").closeSync(0); setTimeout(() => process.exit(0), 100)']);
    let exited = false;
    void h.proc.exited.then(() => (exited = true));
    let writes = 0;
    while (!exited) {
      h.proc.send(`answer ${writes++}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(writes).toBeGreaterThan(1);
    await h.drained;
    h.proc.send('after the exit');
    expect(h.logs).toEqual([]);
  });

  it('still logs a host that closes its input but keeps running', async () => {
    const h = spawnHost([process.execPath, '-e', 'require("node:fs").closeSync(0); setInterval(() => {}, 1000)']);
    await eventually(() => {
      h.proc.send('are you there?');
      return h.logs.some((l) => /^host stdin: .*EPIPE.* \(the host closed its input but still runs\)$/.test(l));
    }, { timeoutMs: 10_000 });
  });

  it('reports a host command that cannot start as crashed', async () => {
    const h = spawnHost([path.join(ws.path, 'no-such-binary')]);
    await h.drained;
    expect(h.events).toEqual([expect.objectContaining({ type: 'run.failed', category: 'Transport', reason: 'DriverCrashed' })]);
  });

  it('close() ends the host and the processes its tools started, without a crash report', async () => {
    const h = spawnHost();
    h.proc.onPermissionRequest(async () => ({ allow: true }));
    startScripted(h.proc, [{ tool: 'RunCommand', input: { command: 'echo $$ > pid.txt; exec sleep 300' } }]);
    // The shell creates pid.txt before it writes it: wait for the pid itself.
    const pid = await eventually(async () => {
      const text = (await readFile(path.join(ws.path, 'pid.txt'), 'utf8')).trim();
      expect(text).toMatch(/^[1-9]\d*$/);
      return Number(text);
    });
    expect(() => process.kill(pid, 0)).not.toThrow();
    await h.proc.close();
    await h.drained;
    await eventually(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    expect(h.types()).not.toContain('run.failed');
  });
});

/** Reads the pid a command wrote into the workspace, once it is there. */
function pidFile(name: string): Promise<number> {
  return eventually(async () => {
    const pid = Number((await readFile(path.join(ws.path, name), 'utf8')).trim());
    // The file can be seen created and still empty.
    if (!pid) throw new Error(`${name} holds no pid yet`);
    return pid;
  });
}

describe('a driver host killed with SIGKILL', () => {
  // No exit hook runs in a SIGKILLed host; the commands it started lead groups of their own.
  it.each([
    ['the command itself', 'echo $$ > pid.txt; exec sleep 300'],
    ['a background job of the command', 'sleep 300 & echo $! > pid.txt; wait'],
  ])('takes what its RunCommand started with it: %s', async (_what, command) => {
    const h = spawnHost();
    h.proc.onPermissionRequest(async () => ({ allow: true }));
    startScripted(h.proc, [{ tool: 'RunCommand', input: { command } }]);
    const pid = await pidFile('pid.txt');
    expect(alive(pid)).toBe(true);
    process.kill(h.proc.pid!, 'SIGKILL');
    await h.drained;
    await eventually(() => !alive(pid));
  });

  it('takes the agent CLI it runs with it', async () => {
    const cli = path.join(ws.path, 'fake-claude');
    await writeFile(cli, '#!/bin/sh\necho $$ > cli-pid.txt\nexec sleep 300\n');
    await chmod(cli, 0o755);
    const h = spawnHost();
    h.proc.start({
      run: { namespace: 'default', name: 'run-1', uid: 'uid-1', session: 's' },
      prompt: 'Do it.',
      agent: testAgent({ driver: 'Claude', command: cli }),
      workspace: { path: ws.path, readOnly: false },
      allowEnvPassthrough: false,
    });
    const pid = await pidFile('cli-pid.txt');
    expect(alive(pid)).toBe(true);
    process.kill(h.proc.pid!, 'SIGKILL');
    await h.drained;
    await eventually(() => !alive(pid));
  });
});

describe('driver host process without a daemon', () => {
  it('ignores malformed input lines, and stops when its stdin closes (the daemon is gone)', async () => {
    const [file, ...args] = host.command;
    const child = spawn(file!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const lines: string[] = [];
    const stderr: string[] = [];
    readLines(child.stdout, { onLine: (l) => lines.push(l) });
    readLines(child.stderr, { onLine: (l) => stderr.push(l) });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    child.stdin.write('this is not json\n{"type":"start"}\n');
    const start = {
      type: 'start',
      run: { namespace: 'default', name: 'r', uid: 'u', session: 's' },
      prompt: 'p',
      agent: testAgent({ driver: 'Scripted', script: [{ say: 'hello' }, { wait: 600 }] }),
      workspace: { path: ws.path, readOnly: false },
      allowEnvPassthrough: false,
    };
    child.stdin.write(`${JSON.stringify(start)}\n`);
    await eventually(() => lines.some((l) => l.includes('"assistant.message"')));
    child.stdin.end();
    expect(await exited).toBe(0);
    expect(JSON.parse(lines.at(-1)!)).toEqual({ type: 'exit', status: 'interrupted' });
    expect(stderr.filter((l) => l.startsWith('ignored a malformed message'))).toHaveLength(2);
  });
});

describe('driver host registry', () => {
  it.each(['Claude', 'Codex'] as const)('serves %s agents (a missing CLI fails the run, it does not crash the host)', async (driver) => {
    const h = spawnHost();
    startScripted(h.proc, [], undefined, { driver, command: path.join(ws.path, 'no-such-cli') });
    await h.drained;
    expect(h.events.filter((e) => e.type === 'run.failed')).toEqual([expect.objectContaining({ category: 'Provider', reason: 'DriverNotFound' })]);
    expect(await h.proc.exitReport).toEqual({ type: 'exit', status: 'failed' });
  });
});

describe('driver host process with the OpenAI driver', () => {
  let server: FakeOpenAIServer;
  beforeEach(async () => (server = await FakeOpenAIServer.start()));
  afterEach(async () => server.close());

  const startOpenAI = (proc: DriverProcess) =>
    proc.start({
      run: { namespace: 'default', name: 'run-2', uid: 'uid-2', session: 's' },
      prompt: 'Create a.txt',
      agent: testAgent({ driver: 'OpenAI', model: 'm', endpoint: { baseURL: server.baseURL, apiKey: 'sk-x' }, tools: ['WriteFile'] }),
      workspace: { path: ws.path, readOnly: false },
      allowEnvPassthrough: false,
    });

  it('runs the tool loop through the host', async () => {
    server.enqueue(streamed({ toolCalls: [{ id: 'c1', name: 'WriteFile', arguments: '{"path":"a.txt","content":"A"}' }] }), streamed({ content: 'Created a.txt.' }));
    const h = spawnHost();
    h.proc.onPermissionRequest(async () => ({ allow: true }));
    startOpenAI(h.proc);
    await h.drained;
    expect(h.types()).toEqual(['turn', 'tool.invoked', 'tool.result', 'turn', 'assistant.message', 'run.completed']);
    expect(await readFile(path.join(ws.path, 'a.txt'), 'utf8')).toBe('A');
    expect(await h.proc.exitReport).toEqual({ type: 'exit', status: 'completed' });
  });

  it('reports a 401 as a Provider failure and exits cleanly', async () => {
    server.enqueue(httpError(401, 'Invalid API key'));
    const h = spawnHost();
    startOpenAI(h.proc);
    await h.drained;
    expect(h.events.filter((e) => e.type === 'run.failed')).toEqual([
      { type: 'run.failed', category: 'Provider', reason: 'Unauthorized', message: expect.stringContaining('Invalid API key') },
    ]);
    expect(await h.proc.exitReport).toEqual({ type: 'exit', status: 'failed' });
  });
});
