/**
 * Test support for the driver tests (not used by production code): agent configs, a temp
 * workspace, a recording DriverStartContext whose ToolBroker runs the real local tools, and the
 * driver host compiled into a temp directory so the supervisor can spawn it from jest.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createLocalTools } from '../tools/local-tools.js';
import { jest } from '@jest/globals';
import type { AgentConfig, Driver, DriverCheckpoint, DriverEvent, DriverStartContext, PermissionDecision, ToolBroker, ToolCall } from './contract.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** An agent config with test defaults. */
export function testAgent(fields: Partial<AgentConfig> & Pick<AgentConfig, 'driver'>): AgentConfig {
  return { name: 'tester', tools: ['RunCommand', 'ReadFile', 'WriteFile', 'ListFiles', 'EditFile'], maxTurns: 50, env: {}, ...fields };
}

/** A fresh directory to run tools in; remove it with `cleanup`. */
export async function tempWorkspace(): Promise<{ path: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'driver-ws-'));
  return { path: dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface Harness {
  ctx: DriverStartContext;
  events: DriverEvent[];
  /** Calls the broker was asked to permit. */
  permissions: ToolCall[];
  abort: AbortController;
  /** The last checkpoint emitted. */
  lastCheckpoint(): DriverCheckpoint | undefined;
  /** Event types in order, without checkpoints and raw output (what most assertions are about). */
  types(): string[];
}

/** A recording start context; `deny` returns a refusal reason for calls that must not run. */
export function harness(opts: {
  agent: AgentConfig;
  workspace: string;
  prompt?: string;
  checkpoint?: DriverCheckpoint;
  interruptedCalls?: string[];
  deny?: (call: ToolCall) => string | undefined;
}): Harness {
  const events: DriverEvent[] = [];
  const permissions: ToolCall[] = [];
  const abort = new AbortController();
  const tools = createLocalTools({ root: opts.workspace, readOnly: false, ...(opts.agent.serverTools ? { serverTools: opts.agent.serverTools } : {}) });
  const ctx: DriverStartContext = {
    run: { namespace: 'default', name: 'run-1', uid: 'uid-1', session: 'session-1' },
    prompt: opts.prompt ?? 'Do the task.',
    agent: opts.agent,
    workspace: { path: opts.workspace, readOnly: false },
    ...(opts.checkpoint ? { checkpoint: opts.checkpoint } : {}),
    ...(opts.interruptedCalls ? { interruptedCalls: [...opts.interruptedCalls] } : {}),
    tools: {
      permission: async (call) => {
        permissions.push(call);
        const reason = opts.deny?.(call);
        return reason === undefined ? { allow: true } : { allow: false, reason };
      },
      execute: (call, signal) => tools.execute(call, signal),
    },
    emit: (event) => events.push(event),
    signal: abort.signal,
  };
  return {
    ctx,
    events,
    permissions,
    abort,
    lastCheckpoint: () => events.findLast((e): e is Extract<DriverEvent, { type: 'checkpoint' }> => e.type === 'checkpoint')?.checkpoint,
    types: () => events.filter((e) => e.type !== 'checkpoint' && e.type !== 'raw').map((e) => e.type),
  };
}

/**
 * A ToolBroker for the drivers whose CLI runs its own tools (Claude, Codex): `permission` is a
 * jest mock answering with `decide` (allow by default); `execute` must never be called.
 */
export function permissionBroker(decide: (call: ToolCall) => Promise<PermissionDecision> = async () => ({ allow: true })) {
  const permission = jest.fn(decide);
  const tools: ToolBroker = {
    permission,
    execute: async () => {
      throw new Error('the agent CLI runs its own tools');
    },
  };
  return { tools, permission };
}

/**
 * Starts a CLI driver (Claude, Codex) on run `r1` in `workspace` and records what it emits;
 * `normalized()` leaves out raw output and checkpoints, `messages()` is the assistant's texts.
 */
export function startRecorded(
  driver: Driver,
  opts: { workspace: string; prompt: string; agent: AgentConfig; checkpoint?: DriverCheckpoint; tools?: ToolBroker; readOnly?: boolean },
) {
  const events: DriverEvent[] = [];
  const abort = new AbortController();
  const started = driver.start({
    run: { namespace: 'default', name: 'r1', uid: 'uid-1', session: 's1' },
    prompt: opts.prompt,
    agent: opts.agent,
    workspace: { path: opts.workspace, readOnly: opts.readOnly ?? false },
    ...(opts.checkpoint ? { checkpoint: opts.checkpoint } : {}),
    tools: opts.tools ?? permissionBroker().tools,
    emit: (e) => events.push(e),
    signal: abort.signal,
  });
  const normalized = () => events.filter((e) => e.type !== 'raw' && e.type !== 'checkpoint');
  const lastCheckpoint = () => events.findLast((e): e is Extract<DriverEvent, { type: 'checkpoint' }> => e.type === 'checkpoint')?.checkpoint;
  const messages = () => events.flatMap((e) => (e.type === 'assistant.message' ? [e.text] : []));
  return { started, events, normalized, lastCheckpoint, messages, abort };
}

/**
 * Compiles the driver host (and only what it imports) into a temp directory and returns the
 * command that runs it. Type errors do not block emitting (`--noCheck`): the typecheck is a
 * separate step, and a colleague's half-edited file elsewhere must not break these tests.
 */
export async function compileHost(): Promise<{ command: string[]; cleanup(): Promise<void> }> {
  const out = await mkdtemp(path.join(tmpdir(), 'driver-host-'));
  const tsc = path.join(repoRoot, 'node_modules/typescript/bin/tsc');
  const args = ['--ignoreConfig', '--outDir', out, '--rootDir', repoRoot, '--module', 'nodenext', '--moduleResolution', 'nodenext'];
  args.push('--target', 'es2022', '--types', 'node', '--skipLibCheck', '--noCheck', path.join(repoRoot, 'node/drivers/host.ts'));
  await promisify(execFile)(process.execPath, [tsc, ...args], { cwd: repoRoot });
  // The compiled files are ESM and import packages: give them a package scope and the repo's node_modules.
  await writeFile(path.join(out, 'package.json'), '{"type":"module"}\n');
  await symlink(path.join(repoRoot, 'node_modules'), path.join(out, 'node_modules'), 'dir');
  const host = path.join(out, 'node/drivers/host.js');
  await access(host);
  return { command: [process.execPath, host], cleanup: () => rm(out, { recursive: true, force: true }) };
}
