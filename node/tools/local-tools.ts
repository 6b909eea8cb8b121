/**
 * The local tool executor: runs RunCommand, ReadFile, WriteFile, ListFiles and EditFile for one
 * run, with its workspace as root. Approval is not its job (the ToolBroker asks first); keeping
 * the model inside the workspace, within time and output limits and away from the daemon's
 * credentials is.
 */
import { realpath } from 'node:fs/promises';
import type { ServerTool, ToolCall, ToolResult } from '../drivers/contract.js';
import type { ToolName } from '../../resources/kinds/agent-script.js';
import { sanitizeEnv } from '../sandbox/env.js';
import { editTextFile, listDirectory, readTextFile, writeTextFile, type FileToolOutcome } from './file-tools.js';
import { runCommand } from './run-command.js';
import { runServerTool } from './server-tool.js';
import { timerDelay } from '../../api/timers.js';
import { resolveInWorkspace } from './workspace-path.js';

export interface LocalToolsOptions {
  /** The workspace directory; every path resolves inside it. */
  root: string;
  /**
   * Refuses WriteFile and EditFile. RunCommand still runs: whether a command may run is the
   * approval policy's decision, made before the call reaches this executor.
   */
  readOnly: boolean;
  /** The agent's own environment, added on top of the sanitized daemon environment. */
  env?: Record<string, string>;
  /** `--allow-env-passthrough`: hand the daemon's environment to commands unfiltered. */
  allowEnvPassthrough?: boolean;
  /** Default RunCommand timeout when the call gives none (default 120 s). */
  commandTimeoutMs?: number;
  /** Output kept per call: RunCommand keeps head and tail, ReadFile the start (default 64 KiB). */
  outputCapBytes?: number;
  /** Time between SIGTERM and SIGKILL for a stopped command (default 2 s). */
  killGraceMs?: number;
  /** Set when the host runs in a sandbox: each command runs in a nested one (network only when granted). */
  sandbox?: { bwrap: string };
  /** The environment to sanitize (default `process.env`). */
  baseEnv?: Readonly<Record<string, string | undefined>>;
  /** Server-defined Tools the agent was given (./server-tool.ts), run like RunCommand. */
  serverTools?: readonly ServerTool[];
}

/** What the approval of one call granted beyond running it. */
export interface ToolGrant {
  /** Approved as NetworkAccess: a sandboxed command may reach the network. */
  network?: boolean;
}

/** Runs tool calls; errors become `ok: false` results, only an aborted signal rejects. */
export interface ToolExecutor {
  execute(call: ToolCall, signal: AbortSignal, grant?: ToolGrant): Promise<ToolResult>;
}

const maxListEntries = 2000;

/** Creates the executor for one workspace. */
export function createLocalTools(opts: LocalToolsOptions): ToolExecutor {
  const outputCapBytes = opts.outputCapBytes ?? 64 * 1024;
  const commandTimeoutMs = opts.commandTimeoutMs ?? 120_000;
  const env = { ...sanitizeEnv(opts.baseEnv ?? process.env, { allowPassthrough: opts.allowEnvPassthrough }), ...opts.env };
  let canonicalRoot: Promise<string> | undefined;
  const root = (): Promise<string> => (canonicalRoot ??= realpath(opts.root));

  const fileTool = async (input: Record<string, unknown>, write: boolean, fn: (absolute: string, relative: string) => Promise<FileToolOutcome>, defaultPath?: string): Promise<FileToolOutcome> => {
    if (write && opts.readOnly) return { ok: false, output: 'the workspace is read-only: writes are refused' };
    const requested = input.path ?? defaultPath;
    if (typeof requested !== 'string' || requested === '') return { ok: false, output: 'input.path must be a non-empty string' };
    const resolved = await resolveInWorkspace(await root(), requested, { write });
    if (!resolved.ok) return { ok: false, output: resolved.error };
    try {
      return await fn(resolved.absolute, resolved.relative);
    } catch (err) {
      return { ok: false, output: describeFsError(err, resolved.relative) };
    }
  };

  const handlers: Record<ToolName, (input: Record<string, unknown>, signal: AbortSignal, grant: ToolGrant) => Promise<FileToolOutcome | ToolResult>> = {
    async RunCommand(input, signal, grant) {
      if (typeof input.command !== 'string' || input.command.trim() === '') return { ok: false, output: 'input.command must be a non-empty string' };
      const seconds = input.timeoutSeconds;
      if (seconds !== undefined && (typeof seconds !== 'number' || !(seconds > 0))) return { ok: false, output: 'input.timeoutSeconds must be a positive number' };
      return runCommand(
        input.command,
        {
          cwd: await root(),
          env,
          timeoutMs: timerDelay(seconds !== undefined ? seconds * 1000 : commandTimeoutMs),
          outputCapBytes,
          killGraceMs: opts.killGraceMs ?? 2000,
          ...(opts.sandbox ? { sandbox: { bwrap: opts.sandbox.bwrap, network: grant.network === true } } : {}),
        },
        signal,
      );
    },
    ReadFile: (input) => fileTool(input, false, (abs, rel) => readTextFile(abs, rel, outputCapBytes)),
    WriteFile(input) {
      if (typeof input.content !== 'string') return Promise.resolve({ ok: false, output: 'input.content must be a string' });
      const content = input.content;
      return fileTool(input, true, (abs, rel) => writeTextFile(abs, rel, content));
    },
    ListFiles: (input) => fileTool(input, false, (abs, rel) => listDirectory(abs, rel, { recursive: input.recursive === true, maxEntries: maxListEntries }), '.'),
    EditFile(input) {
      const { oldText, newText, replaceAll } = input;
      if (typeof oldText !== 'string' || typeof newText !== 'string') return Promise.resolve({ ok: false, output: 'input.oldText and input.newText must be strings' });
      return fileTool(input, true, (abs, rel) => editTextFile(abs, rel, { oldText, newText, replaceAll: replaceAll === true }));
    },
  };

  const serverTools = new Map((opts.serverTools ?? []).map((t) => [t.name, t]));
  const runServer = async (tool: ServerTool, input: Record<string, unknown>, signal: AbortSignal, grant: ToolGrant): Promise<ToolResult> =>
    runServerTool(tool, input, {
      root: await root(),
      env,
      outputCapBytes,
      killGraceMs: opts.killGraceMs ?? 2000,
      ...(opts.sandbox ? { sandbox: { bwrap: opts.sandbox.bwrap, network: grant.network === true } } : {}),
    }, signal);

  return {
    async execute(call, signal, grant = {}) {
      signal.throwIfAborted();
      const started = Date.now();
      const server = serverTools.get(call.tool);
      const handler = Object.hasOwn(handlers, call.tool)
        ? handlers[call.tool as ToolName]
        : server && ((input: Record<string, unknown>, s: AbortSignal, g: ToolGrant) => runServer(server, input, s, g));
      if (!handler) return { ok: false, output: `unknown tool: ${call.tool}`, durationMs: 0 };
      let outcome: FileToolOutcome | ToolResult;
      try {
        outcome = await handler(call.input ?? {}, signal, grant);
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        outcome = { ok: false, output: `${call.tool} failed: ${err instanceof Error ? err.message : String(err)}` };
      }
      signal.throwIfAborted();
      return { durationMs: Date.now() - started, ...outcome };
    },
  };
}

/** Turns a filesystem error into a sentence about the workspace path (not the real one). */
function describeFsError(err: unknown, relative: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return `no such file or directory: ${relative}`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied: ${relative}`;
    case 'EISDIR':
      return `${relative} is a directory`;
    case 'ENOTDIR':
      return `not a directory: ${relative}`;
    default:
      return `${relative}: ${err instanceof Error ? err.message : String(err)}`;
  }
}
