/**
 * Spawning and line-reading for drivers that wrap a provider CLI (Claude Code, Codex): find the
 * binary on PATH, run it in the workspace, hand each stdout line to a mapper, keep a bounded
 * stderr tail for error messages, and stop it politely (SIGINT, then SIGTERM, then SIGKILL).
 * Also what every CLI driver keeps about its run (CliConversation) and the per-turn CliDriver.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { sanitizeEnv } from '../sandbox/env.js';
import type { Driver, DriverCapabilities, DriverCheckpoint, DriverEvent, DriverStartContext, TranscriptMessage } from './contract.js';

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
    this.child = spawn(opts.file, opts.args, { cwd: opts.cwd, env: opts.env, stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'], detached: true });
    // A CLI that died leaves a broken pipe: its exit reports that, a write must not crash the host.
    this.child.stdin?.on('error', () => undefined);
    // WARNING: a detached group survives its parent. If the driver host exits without stopping
    // the CLI (its stop grace ran out), take the group down with it; a host killed outright
    // cannot run this, which is why a CLI on stdio must also exit when its stdin closes.
    const onHostExit = () => this.signalGroup('SIGKILL');
    process.once('exit', onHostExit);
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
      process.removeListener('exit', onHostExit);
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

/**
 * Keeps raw provider output bounded: the first `maxEvents` lines become `raw` events, each cut to
 * `maxChars`; after that a single notice says how the rest was dropped.
 */
export class RawBudget {
  private count = 0;
  constructor(
    private readonly maxEvents = 1000,
    private readonly maxChars = 8192,
  ) {}

  /** Returns the raw event payload for a line, or undefined once the budget is spent. */
  take(line: string): string | undefined {
    this.count++;
    if (this.count > this.maxEvents + 1) return undefined;
    if (this.count === this.maxEvents + 1) return `[raw output capped at ${this.maxEvents} lines; later lines dropped]`;
    return line.length > this.maxChars ? `${line.slice(0, this.maxChars)}…[${line.length - this.maxChars} chars cut]` : line;
  }
}

/** Cuts text to `max` characters, marking the cut. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…[${text.length - max} chars cut]` : text;
}

/** Turns one stdout line of a provider CLI into normalized events (terminal ones included). */
export interface LineMapper {
  map(line: string): DriverEvent[];
  /** The provider session (Claude `session_id`, Codex `thread_id`) once the stream has named it. */
  readonly resumeId: string | undefined;
  /** Model turns counted so far, including those before this process. */
  readonly turns: number;
  /** The last non-fatal error the stream reported, used when the process dies without a verdict. */
  readonly lastError?: string;
}

/** What one CLI process is started with. */
export interface CliLaunch {
  args: string[];
  /** Environment added on top of the sanitized daemon environment and the agent's env. */
  env?: Record<string, string>;
}

/** What the next CLI process is asked to do. */
export interface CliTurn {
  prompt: string;
  /** Provider session to continue, when there is one. */
  resumeId: string | undefined;
  turns: number;
}

export interface CliDriverOptions {
  /**
   * Wait between SIGINT, SIGTERM and SIGKILL when stopping the CLI (default 1500 ms, so the whole
   * escalation stays inside DOMAIN's 5 s interrupt target and the host's own stop grace).
   */
  interruptGraceMs?: number;
  /** `--allow-env-passthrough`: give the CLI the daemon's whole environment, credentials included. */
  allowEnvPassthrough?: boolean;
  /**
   * Builds the child's base environment from the daemon's. Default: sanitizeEnv, which strips
   * credentials (ANTHROPIC_*, OPENAI_* too), proxies and loader variables; a CLI's API key comes
   * from the agent's env (resolved by the daemon) or the CLI's own login under HOME.
   */
  environment?: (env: NodeJS.ProcessEnv) => Record<string, string>;
  /** Raw line budget per run. */
  raw?: { maxEvents?: number; maxChars?: number };
}

/** Text sent when a run resumes from a checkpoint whose prompt the provider session already holds. */
export const CONTINUE_PROMPT = 'Continue the task from where you stopped.';

const TRANSCRIPT_TOOL_OUTPUT_CHARS = 4096;

/** Default environment for a CLI: the daemon's, sanitized unless passthrough is allowed. */
export function cliEnvironment(opts: Pick<CliDriverOptions, 'environment' | 'allowEnvPassthrough'>): (env: NodeJS.ProcessEnv) => Record<string, string> {
  return opts.environment ?? ((env) => sanitizeEnv(env, { allowPassthrough: opts.allowEnvPassthrough ?? false }));
}

/** The CLI binary a run uses and the environment it runs with. */
export interface CliLocation {
  file: string;
  env: Record<string, string>;
}

/**
 * Finds the agent's CLI (`agent.command`, else `defaultCommand` on PATH) and builds its environment:
 * the base environment plus the agent's own env. Emits `run.failed` (DriverNotFound) and returns
 * undefined when there is no such executable.
 */
export async function locateCli(
  ctx: DriverStartContext,
  cli: { displayName: string; defaultCommand: string; environment: (env: NodeJS.ProcessEnv) => Record<string, string> },
): Promise<CliLocation | undefined> {
  const command = ctx.agent.command ?? cli.defaultCommand;
  const env = { ...cli.environment(process.env), ...ctx.agent.env };
  const file = await resolveExecutable(command, env.PATH, ctx.workspace.path);
  if (file) return { file, env };
  const where = command.includes('/') ? `at ${command}` : `on PATH (${env.PATH ?? 'unset'})`;
  ctx.emit({ type: 'run.failed', category: 'Provider', reason: 'DriverNotFound', message: `${cli.displayName} CLI "${command}" was not found ${where}; install it or set the agent's command.` });
  return undefined;
}

/** The run.failed for a CLI that ended (or never started) without a verdict on the turn. */
export function cliExitFailure(displayName: string, exit: CliExit, lastError?: string): DriverEvent {
  const detail = (lastError ?? exit.stderrTail.trim()) || 'no output on stderr';
  if (exit.error) return { type: 'run.failed', category: 'Provider', reason: 'DriverStartFailed', message: `${displayName} could not be started: ${exit.error}` };
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  return { type: 'run.failed', category: 'Provider', reason: 'ProviderExited', message: `${displayName} ${how} before finishing the turn: ${clip(detail, 2000)}` };
}

/** A user message waiting to be sent: the prompt, a follow-up, or steer text. */
export interface CliInput {
  text: string;
  source: NonNullable<TranscriptMessage['source']>;
}

/**
 * What a CLI driver keeps about its run and checkpoints: the transcript in the OpenAI chat shape,
 * the provider session (resumeId) and the model turns taken. Every event goes through `forward`,
 * which records it and emits it.
 */
export class CliConversation {
  readonly transcript: TranscriptMessage[];
  resumeId: string | undefined;
  turns: number;

  constructor(
    private readonly emit: (event: DriverEvent) => void,
    checkpoint?: DriverCheckpoint,
  ) {
    this.transcript = [...(checkpoint?.transcript ?? [])];
    this.resumeId = checkpoint?.resumeId;
    this.turns = checkpoint?.turns ?? 0;
  }

  /** What to send first: the prompt, or CONTINUE_PROMPT when the provider session already holds it. */
  firstInput(prompt: string): CliInput {
    const holdsPrompt = this.resumeId !== undefined && this.transcript.some((m) => m.role === 'user');
    return holdsPrompt ? { text: CONTINUE_PROMPT, source: 'user' } : { text: prompt, source: 'prompt' };
  }

  /** The run.failed that ends a run whose turns are used up, or undefined while some are left. */
  budgetExhausted(maxTurns: number): DriverEvent | undefined {
    if (this.turns < maxTurns) return undefined;
    return { type: 'run.failed', category: 'Budget', reason: 'BudgetExhausted', message: `The run used its ${maxTurns} model turns.` };
  }

  /** Records a user message sent to the provider. */
  user(input: CliInput): void {
    this.transcript.push({ role: 'user', content: input.text, source: input.source });
  }

  /** Emits an event, recording messages and tool calls in the transcript. */
  forward(event: DriverEvent): void {
    if (event.type === 'assistant.message') this.transcript.push({ role: 'assistant', content: event.text });
    if (event.type === 'tool.invoked') {
      this.transcript.push({ role: 'assistant', content: '', toolCalls: [{ id: event.callId, name: event.tool, arguments: JSON.stringify(event.input) }] });
    }
    if (event.type === 'tool.result') this.transcript.push({ role: 'tool', toolCallId: event.callId, content: clip(event.output, TRANSCRIPT_TOOL_OUTPUT_CHARS) });
    this.emit(event);
  }

  checkpoint(): void {
    const checkpoint: DriverCheckpoint = { transcript: [...this.transcript], turns: this.turns };
    if (this.resumeId) checkpoint.resumeId = this.resumeId;
    this.emit({ type: 'checkpoint', checkpoint });
  }
}

/**
 * A Driver over a provider CLI that runs one process per turn and continues its provider session
 * with a resume flag. Steer and follow-ups cannot be injected into a running CLI, so they queue:
 * steer interrupts the current process first (degraded), a follow-up waits for it to finish.
 * Subclasses say how to build argv and how to read the stream.
 */
export abstract class CliDriver implements Driver {
  abstract capabilities(): DriverCapabilities;
  /** Name used in messages, e.g. "Claude Code". */
  protected abstract readonly displayName: string;
  /** Binary looked up on PATH when the agent names none. */
  protected abstract readonly defaultCommand: string;
  protected abstract launch(ctx: DriverStartContext, turn: CliTurn): CliLaunch;
  protected abstract newMapper(turnsSoFar: number): LineMapper;
  /** Per-run setup before the first process (and its undo in `release`). */
  protected async prepare(_ctx: DriverStartContext): Promise<void> {}
  protected async release(): Promise<void> {}

  private readonly grace: number;
  private readonly environment: (env: NodeJS.ProcessEnv) => Record<string, string>;
  private readonly raw: CliDriverOptions['raw'];
  private proc?: CliProcess;
  private pending: CliInput[] = [];
  private steered = false;
  private stopped = false;
  private running = false;

  constructor(opts: CliDriverOptions = {}) {
    this.grace = opts.interruptGraceMs ?? 1500;
    this.environment = cliEnvironment(opts);
    this.raw = opts.raw;
  }

  async start(ctx: DriverStartContext): Promise<void> {
    this.running = true;
    this.stopped = false;
    this.pending = [];
    const onAbort = () => void this.interrupt();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      await this.run(ctx, new CliConversation((event) => ctx.emit(event), ctx.checkpoint));
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      this.running = false;
      await this.release();
    }
  }

  private async run(ctx: DriverStartContext, conv: CliConversation): Promise<void> {
    const cli = await locateCli(ctx, { displayName: this.displayName, defaultCommand: this.defaultCommand, environment: this.environment });
    if (!cli) return;
    try {
      await this.prepare(ctx);
    } catch (err) {
      ctx.emit({ type: 'run.failed', category: 'Provider', reason: 'DriverStartFailed', message: `${this.displayName} could not be prepared: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    const raw = new RawBudget(this.raw?.maxEvents, this.raw?.maxChars);
    let next: CliInput | undefined = conv.firstInput(ctx.prompt);
    let launched = false;
    while (next && !this.stopped && !ctx.signal.aborted) {
      const spent = conv.budgetExhausted(ctx.agent.maxTurns);
      if (spent) return ctx.emit(spent);
      conv.user(next);
      this.steered = false;
      const mapper = this.newMapper(conv.turns);
      let outcome: DriverEvent | undefined;
      // A process stopped before it named its session leaves nothing to resume: start over with the prompt too.
      const prompt = launched && conv.resumeId === undefined ? `${ctx.prompt}\n\n${next.text}` : next.text;
      const launch = this.launch(ctx, { prompt, resumeId: conv.resumeId, turns: conv.turns });
      launched = true;
      const proc = new CliProcess({
        file: cli.file,
        args: launch.args,
        cwd: ctx.workspace.path,
        env: { ...cli.env, ...launch.env },
        onLine: (line) => {
          const data = raw.take(line);
          if (data !== undefined) ctx.emit({ type: 'raw', data });
          for (const event of mapper.map(line)) {
            if (event.type === 'run.completed' || event.type === 'run.failed') outcome = event;
            else conv.forward(event);
          }
          if (mapper.resumeId && mapper.resumeId !== conv.resumeId) {
            conv.resumeId = mapper.resumeId;
            conv.checkpoint();
          }
        },
      });
      this.proc = proc;
      const exit = await proc.exited;
      this.proc = undefined;
      conv.turns = Math.max(conv.turns, mapper.turns);
      conv.checkpoint();
      // An interrupted process says nothing about the run: a steer continues it, a stop ends start().
      if (this.stopped || ctx.signal.aborted) return;
      next = this.pending.shift();
      if (this.steered) continue;
      outcome ??= cliExitFailure(this.displayName, exit, mapper.lastError);
      if (outcome.type === 'run.failed' || !next) {
        ctx.emit(outcome);
        return;
      }
    }
  }

  async send(message: string, source: TranscriptMessage['source'] = 'user'): Promise<void> {
    if (!this.running) throw new Error(`${this.displayName} driver has no active run; start it again with the checkpoint to continue.`);
    this.pending.push({ text: message, source });
  }

  /** Interrupts the running CLI and continues its session with the text as the next prompt. */
  async steer(text: string): Promise<'applied' | 'degraded'> {
    if (!this.running) throw new Error(`${this.displayName} driver has no active run to steer.`);
    this.pending.unshift({ text, source: 'steer' });
    const proc = this.proc;
    if (proc) {
      this.steered = true;
      await proc.stop(this.grace);
    }
    return 'degraded';
  }

  async interrupt(): Promise<void> {
    this.stopped = true;
    await this.proc?.stop(this.grace);
  }

  async close(): Promise<void> {
    await this.interrupt();
    await this.release();
  }
}
