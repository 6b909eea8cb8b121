/**
 * Spawning and line-reading for drivers that wrap a provider CLI (Claude Code, Codex): find the
 * binary on PATH, run it in the workspace, hand each stdout line to a mapper, keep a bounded
 * stderr tail for error messages, and stop it politely (SIGINT, then SIGTERM, then SIGKILL).
 * Only the process: what a driver keeps about the conversation is in ./cli-conversation.ts, the
 * per-turn driver over both in ./cli-driver.ts.
 */
import type { ChildProcess } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { spawnTied } from '../sandbox/group-lifeline.js';

/** How a CLI process ended. `error` is set when it could not be spawned at all. */
export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last few KB of stderr, for failure messages. */
  stderrTail: string;
  error?: string;
}

export interface CliSpawnOptions {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Called for every complete stdout line, in order. */
  onLine(line: string): void;
  /**
   * `ignore` (default) closes stdin at once: CLIs that take the prompt from argv would otherwise
   * wait on it. `pipe` keeps it open for a CLI spoken to over stdio (writeLine, endInput).
   */
  stdin?: 'ignore' | 'pipe';
  /** Bytes of stderr kept (default 8 KiB). */
  stderrTailBytes?: number;
  /**
   * How long after exit to keep reading stdio (default 2000 ms). A background process the agent
   * started can inherit the pipes and hold them open forever; after this we stop waiting for it.
   */
  stdioDrainMs?: number;
}

/**
 * Resolves an executable the way a shell does: a name with a slash is checked as a path (relative
 * to `cwd`), a bare name is looked up in `pathEnv`. Returns undefined when nothing executable is found.
 */
export async function resolveExecutable(command: string, pathEnv: string | undefined, cwd: string): Promise<string | undefined> {
  const candidates = command.includes('/')
    ? [path.resolve(cwd, command)]
    : (pathEnv ?? '').split(path.delimiter).filter(Boolean).map((dir) => path.join(dir, command));
  for (const candidate of candidates) {
    try {
      await access(candidate, fsConstants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // Not here (or not executable): keep looking, like execvp does.
    }
  }
  return undefined;
}

/** One running provider CLI. */
export class CliProcess {
  /** Resolves once the process has exited and every stdout line has been delivered. */
  readonly exited: Promise<CliExit>;
  private readonly child: ChildProcess;
  private done = false;
  private exitedProcess = false;

  constructor(opts: CliSpawnOptions) {
    const tailBytes = opts.stderrTailBytes ?? 8192;
    let stderrTail = '';
    // Its own process group, so stop() reaches the commands the agent is running too, as Ctrl-C would.
    // WARNING: a detached group survives its parent. If the driver host exits (its stop grace ran
    // out) or is killed outright while the CLI runs, the lifeline takes the group down with it.
    const { child, lifeline } = spawnTied<ChildProcess>(opts.file, opts.args, { cwd: opts.cwd, env: opts.env, stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'] });
    this.child = child;
    // A CLI that died leaves a broken pipe: its exit reports that, a write must not crash the host.
    this.child.stdin?.on('error', () => undefined);
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-tailBytes);
    });
    const linesDone = new Promise<void>((resolve) => {
      if (!this.child.stdout) return resolve();
      const rl = createInterface({ input: this.child.stdout, crlfDelay: Infinity });
      rl.on('line', (line) => opts.onLine(line));
      rl.on('close', resolve);
      // A destroyed stdout closes without ending, so readline never closes: watch the stream too.
      this.child.stdout.on('close', resolve);
    });
    let drain: NodeJS.Timeout | undefined;
    const processDone = new Promise<Omit<CliExit, 'stderrTail'>>((resolve) => {
      this.child.once('error', (err) => resolve({ code: null, signal: null, error: err.message }));
      this.child.once('exit', (code, signal) => {
        this.exitedProcess = true;
        drain = setTimeout(() => {
          this.child.stdout?.destroy();
          this.child.stderr?.destroy();
        }, opts.stdioDrainMs ?? 2000);
        resolve({ code, signal });
      });
    });
    this.exited = Promise.all([processDone, linesDone]).then(([exit]) => {
      clearTimeout(drain);
      this.done = true;
      // The CLI is gone; background jobs it left in its group may outlive the host, as they always could.
      lifeline?.release();
      return { ...exit, stderrTail };
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Writes one line to the CLI's stdin (spawned with `stdin: 'pipe'`); false once stdin is closed. */
  writeLine(line: string): boolean {
    const stdin = this.child.stdin;
    if (!stdin || stdin.destroyed || stdin.writableEnded) return false;
    stdin.write(`${line}\n`);
    return true;
  }

  /** Closes the CLI's stdin: end of input, which a CLI served over stdio takes as the end of the session. */
  endInput(): void {
    this.child.stdin?.end();
  }

  /**
   * Stops the process group the way a user at a terminal would: SIGINT (the CLIs save their
   * session on it), SIGTERM after `graceMs`, SIGKILL after another `graceMs`. Once the CLI is gone,
   * whatever it left running in its group is killed. Resolves when it has exited.
   */
  async stop(graceMs: number): Promise<CliExit> {
    if (this.done) return this.exited;
    const gone = new Promise<void>((resolve) => (this.exitedProcess ? resolve() : this.child.once('exit', () => resolve())));
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGKILL'] as const) {
      if (this.exitedProcess) break;
      this.signalGroup(sig);
      const timer = new Promise<'timeout'>((resolve) => setTimeout(resolve, graceMs, 'timeout').unref());
      await Promise.race([gone, timer]);
    }
    this.signalGroup('SIGKILL');
    return this.exited;
  }

  private signalGroup(sig: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, sig);
    } catch {
      // The group is empty (ESRCH): nothing left to stop.
    }
  }
}
