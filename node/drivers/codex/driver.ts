/**
 * The Codex driver: one long-lived `codex app-server` per run (app-server.ts), spoken to in
 * JSON-RPC over stdio. The run is one Codex thread — `thread/start`, or `thread/resume` of the
 * checkpointed thread id — and each user message is a turn (`turn/start`). Steer text joins the
 * running turn (`turn/steer`: applied); interrupt, pause and cancel stop it (`turn/interrupt`).
 * Codex asks before it runs a command or applies a patch, and each request goes through our
 * approval gate (approvals.ts). Notifications become driver events (events.ts).
 * Why app-server rather than `codex exec`: docs/decisions/0008-codex-app-server.md.
 */
import { CliConversation, cliExitFailure, clip, type CliInput } from '../cli-conversation.js';
import { cliSettings, cliSpawn, locateCli, type CliDriverOptions, type CliSettings } from '../cli-driver.js';
import type { CliExit } from '../cli-process.js';
import { AppServerExited, CodexAppServer } from './app-server.js';
import { CodexApprovals } from './approvals.js';
import { CodexEventMapper, type TurnOutcome } from './events.js';
import { RpcError } from './rpc.js';
import type { AgentConfig, Driver, DriverCapabilities, DriverEvent, DriverStartContext, TranscriptMessage } from '../contract.js';
import { abortable } from '../delay.js';
import { isObject, type Json } from '../json-lines.js';

const DISPLAY_NAME = 'Codex';

/**
 * The approval policy the thread runs under. `untrusted` asks before everything but Codex's
 * known-safe reads, so our gate (and the ApprovalPolicies behind it) decides what runs.
 */
export const CODEX_APPROVAL_POLICY = 'untrusted';

/** The thread settings for `thread/start` and `thread/resume` (ThreadStartParams, v2). */
export function codexThreadSettings(ctx: Pick<DriverStartContext, 'agent' | 'workspace'>): Json {
  return {
    cwd: ctx.workspace.path,
    approvalPolicy: CODEX_APPROVAL_POLICY,
    sandbox: ctx.workspace.readOnly ? 'read-only' : 'workspace-write',
    ...(ctx.agent.model ? { model: ctx.agent.model } : {}),
    // Added to Codex's own instructions; baseInstructions would replace them.
    ...(ctx.agent.instructions ? { developerInstructions: ctx.agent.instructions } : {}),
  };
}

/** The model provider an Agent's spec.endpoint becomes; its key reaches Codex in this variable. */
export const CODEX_ENDPOINT_PROVIDER = 'sidekicks';
export const CODEX_ENDPOINT_KEY_ENV = 'SIDEKICKS_CODEX_API_KEY';

/** A TOML basic string (JSON's escapes are a subset TOML reads the same way). */
function tomlString(value: string): string {
  return JSON.stringify(value);
}

/**
 * How `codex app-server` is started for an agent: config overrides (`-c key=value`, TOML values)
 * and the variables they name.
 * - Codex's own web search is off: no tool of ours stands for it, and its searches would reach the
 *   network without asking anyone.
 * - spec.endpoint becomes a model provider speaking the Responses API at that base URL (its key,
 *   when there is one, in CODEX_ENDPOINT_KEY_ENV), so a Codex agent can use any Responses-compatible
 *   endpoint without a config.toml of its own.
 */
export function codexLaunch(agent: Pick<AgentConfig, 'endpoint'>): { args: string[]; env: Record<string, string> } {
  const args = ['-c', 'web_search="disabled"'];
  const env: Record<string, string> = {};
  if (agent.endpoint) {
    const provider = [`name = ${tomlString('Sidekicks agent endpoint')}`, `base_url = ${tomlString(agent.endpoint.baseURL)}`, 'wire_api = "responses"'];
    if (agent.endpoint.apiKey !== undefined) {
      provider.push(`env_key = ${tomlString(CODEX_ENDPOINT_KEY_ENV)}`);
      env[CODEX_ENDPOINT_KEY_ENV] = agent.endpoint.apiKey;
    }
    args.push('-c', `model_provider=${tomlString(CODEX_ENDPOINT_PROVIDER)}`, '-c', `model_providers.${CODEX_ENDPOINT_PROVIDER}={ ${provider.join(', ')} }`);
  }
  return { args, env };
}

/** A text message as turn input (UserInput `text`). */
export function textInput(text: string): Json[] {
  return [{ type: 'text', text }];
}

type TurnEnd = TurnOutcome | { status: 'exited'; exit: CliExit };

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Drives Codex for one run. */
export class CodexDriver implements Driver {
  private readonly settings: CliSettings;
  private server?: CodexAppServer;
  private mapper?: CodexEventMapper;
  private conv?: CliConversation;
  private threadId?: string;
  /** Settles the turn in progress (from `turn/completed`). */
  private endTurn?: (outcome: TurnOutcome) => void;
  private turnDone?: Promise<unknown>;
  private pending: CliInput[] = [];
  private readonly steering = new Set<Promise<unknown>>();
  private running = false;
  private stopped = false;

  constructor(opts: CliDriverOptions = {}) {
    this.settings = cliSettings(opts);
  }

  capabilities(): DriverCapabilities {
    return { resume: true, steer: true, interactiveRequests: true, toolCalls: true, reasoningStream: true };
  }

  async start(ctx: DriverStartContext): Promise<void> {
    this.running = true;
    this.stopped = false;
    this.pending = [];
    this.threadId = undefined;
    const conv = (this.conv = new CliConversation((event) => ctx.emit(event), ctx.checkpoint));
    const onAbort = () => void this.interrupt();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      await this.run(ctx, conv);
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      this.running = false;
      await this.server?.stop(this.settings.grace);
      this.server = undefined;
    }
  }

  private halted(ctx: DriverStartContext): boolean {
    return this.stopped || ctx.signal.aborted;
  }

  private async run(ctx: DriverStartContext, conv: CliConversation): Promise<void> {
    const cli = await locateCli(ctx, { displayName: DISPLAY_NAME, defaultCommand: 'codex', environment: this.settings.environment });
    if (!cli || this.halted(ctx)) return;
    // A run with no turns left does not start Codex at all.
    const spentAlready = conv.budgetExhausted(ctx.agent.maxTurns);
    if (spentAlready) return ctx.emit(spentAlready);
    const mapper = (this.mapper = new CodexEventMapper(conv.turns));
    const raw = this.settings.rawBudget();
    const approvals = new CodexApprovals({
      broker: ctx.tools,
      agent: ctx.agent,
      readOnly: ctx.workspace.readOnly,
      mapper,
      stopping: () => this.halted(ctx),
      tellAgent: (threadId, turnId, text) => this.inject(threadId, turnId, text),
    });
    const server = (this.server = new CodexAppServer({
      ...cliSpawn(ctx, cli, codexLaunch(ctx.agent), raw),
      onNotification: (method, params) => this.notified(method, params, conv, mapper),
      onRequest: (method, params) => approvals.answer(method, params),
    }));
    const threadId = await this.open(ctx, server, conv);
    if (!threadId) return;
    let next: CliInput | undefined = conv.firstInput(ctx.prompt);
    while (next && !this.halted(ctx)) {
      const spent = conv.budgetExhausted(ctx.agent.maxTurns);
      if (spent) return ctx.emit(spent);
      conv.user(next);
      const end = await this.turn(server, threadId, next.text, mapper);
      conv.turns = Math.max(conv.turns, mapper.turns);
      conv.checkpoint();
      // A turn we stopped says nothing about the run: start() ends, the checkpoint resumes it.
      if (this.halted(ctx)) return;
      if (end.status === 'exited') return ctx.emit(cliExitFailure(DISPLAY_NAME, end.exit, mapper.lastError));
      if (end.status === 'failed') return ctx.emit({ type: 'run.failed', category: 'Provider', reason: 'ProviderError', message: end.message });
      // A steer that raced the end of the turn becomes the next message rather than getting lost.
      await Promise.allSettled([...this.steering]);
      next = this.pending.shift();
      if (!next && end.status === 'interrupted') {
        return ctx.emit({ type: 'run.failed', category: 'Provider', reason: 'ProviderError', message: 'Codex interrupted the turn without being asked to.' });
      }
    }
    if (!this.halted(ctx)) ctx.emit({ type: 'run.completed', ...(mapper.lastMessage !== undefined ? { summary: mapper.lastMessage } : {}) });
  }

  /** The handshake, then the thread: resumed when the checkpoint names one, else new. Undefined after a run.failed. */
  private async open(ctx: DriverStartContext, server: CodexAppServer, conv: CliConversation): Promise<string | undefined> {
    const settings = codexThreadSettings(ctx);
    const resumeId = conv.resumeId;
    let step = 'initialize';
    try {
      await server.initialize();
      step = resumeId ? 'thread/resume' : 'thread/start';
      // excludeTurns: the thread's history is not needed here, and full-history hydration is
      // deprecated for paginated threads (0.169 answers it with a deprecationNotice).
      const result = resumeId ? await server.request(step, { threadId: resumeId, ...settings, excludeTurns: true }) : await server.request(step, settings);
      const id = isObject(result.thread) ? str(result.thread.id) : '';
      if (!id) throw new Error(`${step} answered without a thread id`);
      this.threadId = id;
      if (id !== conv.resumeId) {
        conv.resumeId = id;
        conv.checkpoint();
      }
      return id;
    } catch (err) {
      if (!this.halted(ctx)) ctx.emit(openFailure(err, step, resumeId));
      return undefined;
    }
  }

  /** Runs one turn: resolves when Codex reports it ended, or the server is gone. */
  private async turn(server: CodexAppServer, threadId: string, text: string, mapper: CodexEventMapper): Promise<TurnEnd> {
    let ended = false;
    const done = new Promise<TurnOutcome>((resolve) => {
      this.endTurn = (outcome) => {
        ended = true;
        resolve(outcome);
      };
    });
    this.turnDone = done;
    try {
      const result = await server.request('turn/start', { threadId, input: textInput(text) });
      const turnId = isObject(result.turn) ? str(result.turn.id) : '';
      if (turnId && !ended) mapper.activeTurnId ??= turnId;
      // A stop that came while the turn was being started: now there is a turn to interrupt.
      if (this.stopped) void this.interruptTurn();
    } catch (err) {
      this.endTurn = undefined;
      if (err instanceof AppServerExited) return { status: 'exited', exit: err.exit };
      return { status: 'failed', message: err instanceof Error ? err.message : String(err) };
    }
    return Promise.race<TurnEnd>([done, server.exited.then((exit) => ({ status: 'exited', exit }))]);
  }

  private notified(method: string, params: Json, conv: CliConversation, mapper: CodexEventMapper): void {
    if (method === 'turn/completed') {
      const turnId = isObject(params.turn) ? str(params.turn.id) : '';
      // Another turn of the thread (not one we started) does not end ours.
      if (mapper.activeTurnId && turnId && turnId !== mapper.activeTurnId) return;
      const end = this.endTurn;
      this.endTurn = undefined;
      end?.(mapper.turnOutcome(params));
      return;
    }
    for (const event of mapper.map(method, params)) conv.forward(event);
  }

  /** Adds text to the running turn (`turn/steer`); rejects when there is no such turn any more. */
  private async inject(threadId: string, turnId: string, text: string): Promise<void> {
    if (!this.server) throw new Error('no Codex app-server');
    await this.server.request('turn/steer', { threadId, input: textInput(text), expectedTurnId: turnId });
  }

  async send(message: string, source: TranscriptMessage['source'] = 'user'): Promise<void> {
    if (!this.running) throw new Error(`${DISPLAY_NAME} driver has no active run; start it again with the checkpoint to continue.`);
    this.pending.push({ text: message, source });
  }

  /** Injects the text into the running turn (applied); between turns it is the next message (degraded). */
  async steer(text: string): Promise<'applied' | 'degraded'> {
    if (!this.running) throw new Error(`${DISPLAY_NAME} driver has no active run to steer.`);
    const attempt = this.trySteer(text);
    this.steering.add(attempt);
    try {
      return await attempt;
    } finally {
      this.steering.delete(attempt);
    }
  }

  private async trySteer(text: string): Promise<'applied' | 'degraded'> {
    const turnId = this.mapper?.activeTurnId;
    if (this.threadId && turnId && !this.stopped) {
      try {
        await this.inject(this.threadId, turnId, text);
        this.conv?.user({ text, source: 'steer' });
        this.conv?.checkpoint();
        return 'applied';
      } catch {
        // The turn ended meanwhile, or does not take steering (review, compaction): next message instead.
      }
    }
    this.pending.unshift({ text, source: 'steer' });
    return 'degraded';
  }

  /** Stops the turn at a safe point (Codex ends it `interrupted` and keeps the thread), then the server. */
  async interrupt(): Promise<void> {
    this.stopped = true;
    await this.interruptTurn();
    await this.server?.stop(this.settings.grace);
  }

  private async interruptTurn(): Promise<void> {
    const server = this.server;
    const turnId = this.mapper?.activeTurnId;
    if (!server || !this.threadId || !turnId) return;
    const asked = server.request('turn/interrupt', { threadId: this.threadId, turnId });
    // Bounded: a server that does not answer is stopped anyway by interrupt().
    await abortable(Promise.all([asked, this.turnDone]), AbortSignal.timeout(this.settings.grace)).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.interrupt();
  }
}

function openFailure(err: unknown, step: string, resumeId: string | undefined): DriverEvent {
  if (err instanceof AppServerExited) {
    const detail = err.exit.error ?? (err.exit.stderrTail.trim() || 'no output on stderr');
    return { type: 'run.failed', category: 'Provider', reason: 'DriverStartFailed', message: `${err.message} before it was ready: ${clip(detail, 2000)}` };
  }
  const detail = err instanceof RpcError ? err.detail : err instanceof Error ? err.message : String(err);
  if (step === 'thread/resume') return { type: 'run.failed', category: 'Provider', reason: 'ResumeFailed', message: `Codex could not resume thread ${resumeId}: ${detail}` };
  return { type: 'run.failed', category: 'Provider', reason: 'DriverStartFailed', message: `Codex app-server refused ${step}: ${detail}` };
}
