/**
 * The driver host's logic, apart from process wiring (./host.ts): it turns protocol messages from
 * the daemon into calls on one Driver, implements the ToolBroker the driver uses (permission asks
 * the daemon; execution runs the local tools inside the workspace), and reports how the run ended.
 */
import type { Driver, DriverEvent, DriverStartContext, PermissionDecision, ToolBroker, ToolCall } from './contract.js';
import type { LocalToolsOptions, ToolExecutor } from '../tools/local-tools.js';
import { serverToolInputProblem } from '../tools/server-tool.js';
import type { DaemonToHost, ExitMessage, HostExitStatus, HostToDaemon, StartMessage } from './protocol.js';
import type { DriverRegistry } from './registry.js';

export interface HostSessionOptions {
  registry: DriverRegistry;
  /** Writes one message to the daemon. */
  write(message: HostToDaemon): void;
  log(line: string): void;
  /** Creates the tool executor for the run's workspace (node/tools in production). */
  createTools(opts: LocalToolsOptions): ToolExecutor;
}

/** Reason a permission is refused when the daemon cannot be asked: never run a tool unapproved. */
export const DAEMON_GONE_REASON = 'the daemon connection is gone (fail closed)';

/** Serves one run: one `start`, then messages until the driver finishes; `done` carries the exit report. */
export class HostSession {
  /** Resolves once the driver has stopped, with the message to send last. */
  readonly done: Promise<ExitMessage>;
  private resolveDone!: (exit: ExitMessage) => void;
  private driver?: Driver;
  private readonly abort = new AbortController();
  private readonly pending = new Map<string, (decision: PermissionDecision) => void>();
  private nextRequestId = 1;
  private connected = true;
  private status: HostExitStatus = 'interrupted';
  private finished = false;

  constructor(private readonly opts: HostSessionOptions) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Acts on one validated message from the daemon. */
  handle(message: DaemonToHost): void {
    switch (message.type) {
      case 'start':
        return this.start(message);
      case 'send':
        if (!this.driver) return this.opts.log('send before start: ignored');
        this.driver.send(message.text, message.source ?? 'user').catch((err: unknown) => this.opts.log(`send failed: ${String(err)}`));
        return;
      case 'steer':
        if (!this.driver) return this.opts.log('steer before start: ignored');
        this.driver.steer(message.text).then(
          (outcome) => this.write({ type: 'steer.result', id: message.id, outcome }),
          (err: unknown) => this.opts.log(`steer failed: ${String(err)}`),
        );
        return;
      case 'interrupt':
        if (!this.driver) return this.finish();
        this.driver.interrupt().catch((err: unknown) => this.opts.log(`interrupt failed: ${String(err)}`));
        return;
      case 'permission.reply': {
        const resolve = this.pending.get(message.requestId);
        if (!resolve) return this.opts.log(`permission.reply for unknown request ${message.requestId}: ignored`);
        this.pending.delete(message.requestId);
        resolve({ allow: message.allow, ...(message.reason !== undefined ? { reason: message.reason } : {}), ...(message.network ? { network: true } : {}) });
        return;
      }
      case 'close':
        return this.stop();
    }
  }

  /** The daemon is gone (stdin ended or stdout broke): refuse every pending and future permission, stop the driver. */
  connectionLost(): void {
    if (!this.connected) return;
    this.connected = false;
    for (const [id, resolve] of this.pending) {
      this.pending.delete(id);
      resolve({ allow: false, reason: DAEMON_GONE_REASON });
    }
    this.stop();
  }

  /** SIGTERM: interrupt at a safe point so the driver checkpoints, then end. */
  terminate(): void {
    if (!this.driver) return this.finish();
    this.driver.interrupt().catch((err: unknown) => this.opts.log(`interrupt failed: ${String(err)}`));
  }

  private stop(): void {
    if (!this.driver) return this.finish();
    this.abort.abort();
    this.driver.close().catch((err: unknown) => this.opts.log(`close failed: ${String(err)}`));
  }

  private start(message: StartMessage): void {
    if (this.driver || this.finished) return this.opts.log('second start: ignored');
    const factory = this.opts.registry[message.agent.driver];
    if (!factory) {
      this.emit({ type: 'run.failed', category: 'Provider', reason: 'UnknownDriver', message: `this driver host has no ${message.agent.driver} driver` });
      return this.finish();
    }
    const driver = factory({ allowEnvPassthrough: message.allowEnvPassthrough });
    this.driver = driver;
    this.write({ type: 'capabilities', driver: message.agent.driver, capabilities: driver.capabilities() });
    const ctx: DriverStartContext = {
      run: message.run,
      prompt: message.prompt,
      agent: message.agent,
      workspace: message.workspace,
      ...(message.checkpoint ? { checkpoint: message.checkpoint } : {}),
      ...(message.interruptedCalls?.length ? { interruptedCalls: message.interruptedCalls } : {}),
      tools: this.broker(message),
      emit: (event) => this.emit(event),
      signal: this.abort.signal,
    };
    driver.start(ctx).then(
      () => this.finish(),
      (err: unknown) => {
        this.opts.log(`driver failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        if (this.status === 'interrupted' && !this.abort.signal.aborted) {
          this.emit({ type: 'run.failed', category: 'Provider', reason: 'DriverError', message: err instanceof Error ? err.message : String(err) });
        }
        this.finish();
      },
    );
  }

  private broker(message: StartMessage): ToolBroker {
    const tools = this.opts.createTools({
      root: message.workspace.path,
      readOnly: message.workspace.readOnly,
      // The agent's env is already filtered by the daemon; the tools sanitize the host's own env under it.
      env: message.agent.env,
      allowEnvPassthrough: message.allowEnvPassthrough,
      ...(message.sandbox ? { sandbox: message.sandbox } : {}),
      ...(message.agent.serverTools?.length ? { serverTools: message.agent.serverTools } : {}),
    });
    const serverTools = new Map((message.agent.serverTools ?? []).map((t) => [t.name, t]));
    const enabled = new Set<string>([...message.agent.tools, ...serverTools.keys()]);
    // Calls approved as NetworkAccess, by call id: the grant travels from the decision to the execution.
    const networkGranted = new Set<string>();
    return {
      permission: async (call) => {
        // Input a server-defined Tool would refuse is refused before anyone is asked to approve it.
        const server = serverTools.get(call.tool);
        const problem = server && serverToolInputProblem(server, call.input);
        if (problem) return { allow: false, reason: problem };
        const decision = await this.askPermission(call);
        if (decision.allow && decision.network) networkGranted.add(call.callId);
        return decision;
      },
      execute: async (call, signal) => {
        // The agent's tool list is the allow-list: a driver cannot reach a tool the agent was not given.
        if (!enabled.has(call.tool)) return { ok: false, output: `refused: tool ${call.tool} is not enabled for agent ${message.agent.name}`, durationMs: 0 };
        const network = networkGranted.delete(call.callId);
        return tools.execute(call, signal, { network });
      },
    };
  }

  private askPermission(call: ToolCall): Promise<PermissionDecision> {
    if (!this.connected) return Promise.resolve({ allow: false, reason: DAEMON_GONE_REASON });
    const requestId = `perm-${this.nextRequestId++}`;
    return new Promise((resolve) => {
      this.pending.set(requestId, resolve);
      this.write({ type: 'permission.request', requestId, call });
    });
  }

  private emit(event: DriverEvent): void {
    if (event.type === 'run.completed') this.status = 'completed';
    if (event.type === 'run.failed') this.status = 'failed';
    this.write({ type: 'event', event });
  }

  private write(message: HostToDaemon): void {
    if (!this.connected) return;
    try {
      this.opts.write(message);
    } catch (err) {
      this.opts.log(`write failed: ${String(err)}`);
      this.connectionLost();
    }
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.resolveDone({ type: 'exit', status: this.status });
  }
}
