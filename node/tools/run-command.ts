/**
 * The RunCommand tool: `/bin/sh -c <command>` in the workspace, in its own process group, with a
 * timeout, an output cap and cancellation. When the shell exits, or the time is up, or the run is
 * cancelled, the whole group goes: a command never leaves processes behind. Nor when the driver
 * host dies, even by SIGKILL: a lifeline (../sandbox/group-lifeline.ts) takes the group with it.
 */
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { constants as osConstants } from 'node:os';
import type { ToolResult } from '../drivers/contract.js';
import { HeadTailBuffer } from './output-cap.js';
import { nestedCommandArgv } from '../sandbox/bubblewrap.js';
import { spawnTied } from '../sandbox/group-lifeline.js';

export interface CommandOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  outputCapBytes: number;
  /** Time between SIGTERM and SIGKILL when the command is stopped. */
  killGraceMs: number;
  /** Run inside a nested bubblewrap sandbox (the host is sandboxed); network only when granted. */
  sandbox?: { bwrap: string; network: boolean };
}

/**
 * Runs the command and returns its combined stdout/stderr, exit code and duration. Rejects only
 * when `signal` aborts (after the process group has been stopped); every other failure is a result.
 */
export function runCommand(command: string, opts: CommandOptions, signal: AbortSignal): Promise<ToolResult> {
  return runProcess(['/bin/sh', '-c', command], opts, signal);
}

/**
 * Runs `argv` (no shell) the way RunCommand runs its shell — process group, timeout, output cap,
 * cancellation, nested sandbox — writing `stdin` to it when given (server-defined tools read their
 * input there). Rejects only when `signal` aborts.
 */
export function runProcess(argv: readonly string[], opts: CommandOptions & { stdin?: string }, signal: AbortSignal): Promise<ToolResult> {
  signal.throwIfAborted();
  const started = Date.now();
  const output = new HeadTailBuffer(opts.outputCapBytes);
  return new Promise((resolve, reject) => {
    const [file, ...args] = opts.sandbox ? nestedCommandArgv(opts.sandbox.bwrap, opts.sandbox.network, opts.cwd, argv) : argv;
    const { child, lifeline } = spawnTied<ChildProcessByStdio<Writable | null, Readable, Readable>>(file!, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: [opts.stdin !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    if (child.stdin) {
      // A program that exits without reading its input closes the pipe: EPIPE is not a failure of the call.
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.stdin);
    }
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const signalGroup = (sig: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, sig);
      } catch {
        // ESRCH: the group is already gone.
      }
    };
    const stop = (): void => {
      signalGroup('SIGTERM');
      killTimer ??= setTimeout(() => signalGroup('SIGKILL'), opts.killGraceMs);
    };
    const timeout = setTimeout(() => {
      timedOut = true;
      stop();
    }, opts.timeoutMs);
    const onAbort = (): void => stop();
    signal.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (c: Buffer) => output.push(c));
    child.stderr.on('data', (c: Buffer) => output.push(c));
    // Background jobs of the shell would hold the pipes open (and outlive the call): end them.
    child.on('exit', () => {
      signalGroup('SIGKILL');
      lifeline?.release();
    });
    child.on('error', (err) => {
      cleanup();
      resolve({ ok: false, output: `cannot start ${argv[0]}: ${err.message}`, durationMs: Date.now() - started });
    });
    child.on('close', (code, sig) => {
      cleanup();
      if (signal.aborted) return reject(signal.reason);
      const exitCode = code ?? 128 + signalNumber(sig);
      let text = output.text();
      if (timedOut) text += `${sep(text)}[command timed out after ${formatSeconds(opts.timeoutMs)} and was killed]`;
      else if (exitCode !== 0) text += `${sep(text)}[exit code ${exitCode}]`;
      resolve({ ok: exitCode === 0 && !timedOut, output: text, exitCode, durationMs: Date.now() - started, truncated: output.truncated || undefined });
    });

    function cleanup(): void {
      clearTimeout(timeout);
      if (killTimer) clearTimeout(killTimer);
      signal.removeEventListener('abort', onAbort);
    }
  });
}

function sep(text: string): string {
  return text === '' || text.endsWith('\n') ? '' : '\n';
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}

/** The shell convention: a process killed by signal N exits 128+N. */
function signalNumber(sig: NodeJS.Signals | null): number {
  return sig ? osConstants.signals[sig] : 0;
}
