/**
 * The per-turn CLI driver (Claude Code): one provider CLI process per turn (./cli-process.ts),
 * continued with the provider's resume flag, over one CliConversation (./cli-conversation.ts).
 * Also how any CLI driver reads its options, finds its binary, builds its environment and spawns
 * it with the raw tap (Codex uses those too).
 */
import { sanitizeEnv } from '../sandbox/env.js';
import type { Driver, DriverCapabilities, DriverEvent, DriverStartContext, TranscriptMessage } from './contract.js';
import { CliProcess, resolveExecutable } from './cli-process.js';
import { CliConversation, cliExitFailure, RawBudget, type CliInput, type LineMapper } from './cli-conversation.js';

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

/** Options of a CLI driver (Claude Code per turn, Codex over app-server). */
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

/** Default environment for a CLI: the daemon's, sanitized unless passthrough is allowed. */
export function cliEnvironment(opts: Pick<CliDriverOptions, 'environment' | 'allowEnvPassthrough'>): (env: NodeJS.ProcessEnv) => Record<string, string> {
  return opts.environment ?? ((env) => sanitizeEnv(env, { allowPassthrough: opts.allowEnvPassthrough ?? false }));
}

/** What a CLI driver keeps of its options, defaults applied. */
export interface CliSettings {
  /** Wait between the stop signals (`interruptGraceMs`, default 1500 ms). */
  grace: number;
  /** The child's base environment, from the daemon's. */
  environment: (env: NodeJS.ProcessEnv) => Record<string, string>;
  /** A fresh raw line budget, for one run. */
  rawBudget(): RawBudget;
}

/** Reads a CLI driver's options (both families: Claude Code per turn, Codex over app-server). */
export function cliSettings(opts: CliDriverOptions): CliSettings {
  const { maxEvents, maxChars } = opts.raw ?? {};
  return { grace: opts.interruptGraceMs ?? 1500, environment: cliEnvironment(opts), rawBudget: () => new RawBudget(maxEvents, maxChars) };
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

/**
 * How to spawn the located CLI for one launch: its args, in the workspace, the launch's env over the
 * located one; every stdout line goes out as a `raw` event (within `raw`'s budget), then to `onLine`.
 */
export function cliSpawn(ctx: DriverStartContext, cli: CliLocation, launch: CliLaunch, raw: RawBudget, onLine: (line: string) => void = () => {}) {
  return {
    file: cli.file,
    args: launch.args,
    cwd: ctx.workspace.path,
    env: { ...cli.env, ...launch.env },
    onLine: (line: string) => {
      const data = raw.take(line);
      if (data !== undefined) ctx.emit({ type: 'raw', data });
      onLine(line);
    },
  };
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

  private readonly settings: CliSettings;
  private proc?: CliProcess;
  private pending: CliInput[] = [];
  private steered = false;
  private stopped = false;
  private running = false;

  constructor(opts: CliDriverOptions = {}) {
    this.settings = cliSettings(opts);
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
    const cli = await locateCli(ctx, { displayName: this.displayName, defaultCommand: this.defaultCommand, environment: this.settings.environment });
    if (!cli) return;
    try {
      await this.prepare(ctx);
    } catch (err) {
      ctx.emit({ type: 'run.failed', category: 'Provider', reason: 'DriverStartFailed', message: `${this.displayName} could not be prepared: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    const raw = this.settings.rawBudget();
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
      const proc = new CliProcess(
        cliSpawn(ctx, cli, launch, raw, (line) => {
          for (const event of mapper.map(line)) {
            if (event.type === 'run.completed' || event.type === 'run.failed') outcome = event;
            else conv.forward(event);
          }
          if (mapper.resumeId && mapper.resumeId !== conv.resumeId) {
            conv.resumeId = mapper.resumeId;
            conv.checkpoint();
          }
        }),
      );
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
      await proc.stop(this.settings.grace);
    }
    return 'degraded';
  }

  async interrupt(): Promise<void> {
    this.stopped = true;
    await this.proc?.stop(this.settings.grace);
  }

  async close(): Promise<void> {
    await this.interrupt();
    await this.release();
  }
}
