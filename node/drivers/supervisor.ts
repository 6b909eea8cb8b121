/**
 * The daemon side of a driver host: `DriverProcess` spawns the host (./host.ts) as a child in its
 * own process group, speaks the protocol over its stdin/stdout, answers its permission requests,
 * and turns a host that dies without saying goodbye into one `run.failed` (Transport,
 * DriverCrashed). The host's process group is killed on close and when the daemon exits, so no
 * driver or tool process outlives the daemon.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { DriverCapabilities, DriverEvent, PermissionDecision, ToolCall, TranscriptMessage } from './contract.js';
import { AsyncQueue } from './event-queue.js';
import { readLines } from './line-reader.js';
import { encodeMessage, parseHostToDaemon, type DaemonToHost, type ExitMessage, type HostToDaemon, type StartMessage } from './protocol.js';

/** How the host process ended. */
export interface DriverExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Decides a tool call the driver wants to run (the approval gate). Throwing counts as a refusal. */
export type PermissionHandler = (call: ToolCall) => Promise<PermissionDecision>;

export interface DriverProcessOptions {
  /** The host command; defaults to this Node binary running the compiled host next to this module. */
  command?: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Receives the host's stderr, line by line, and the supervisor's own notes. */
  log?: (line: string) => void;
  /** How long close() waits for the host to exit by itself before signalling its process group. */
  closeGraceMs?: number;
}

/** The compiled host entry point beside the compiled supervisor (dist/node/drivers/host.js). */
export function defaultHostCommand(): string[] {
  return [process.execPath, fileURLToPath(new URL('./host.js', import.meta.url))];
}

const liveGroups = new Set<number>();
let exitHookInstalled = false;

/** Kills every live host group when the daemon exits, however it exits short of SIGKILL. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of liveGroups) killGroup(pid, 'SIGKILL');
  });
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone, which is what we wanted.
  }
}

/** One driver host child process, serving one run. */
export class DriverProcess {
  /** Normalized events from the driver, in order; ends when the host is gone. Single consumer. */
  readonly events: AsyncIterable<DriverEvent>;
  /** The driver's capabilities, or undefined if the host ended before declaring them. */
  readonly capabilities: Promise<DriverCapabilities | undefined>;
  /** The host's last message, or undefined if it died without one. */
  readonly exitReport: Promise<ExitMessage | undefined>;
  readonly exited: Promise<DriverExit>;

  private readonly child: ChildProcessWithoutNullStreams;
  private readonly queue = new AsyncQueue<DriverEvent>();
  private readonly log: (line: string) => void;
  private readonly closeGraceMs: number;
  private readonly steers = new Map<string, { resolve: (o: 'applied' | 'degraded') => void; reject: (e: Error) => void }>();
  private readonly stderrTail: string[] = [];
  private permissionHandler?: PermissionHandler;
  private resolveCapabilities!: (c: DriverCapabilities | undefined) => void;
  private resolveExitReport!: (m: ExitMessage | undefined) => void;
  private resolveExited!: (e: DriverExit) => void;
  private exitMessage?: ExitMessage;
  private terminalSeen = false;
  private closing = false;
  private gone = false;
  /** A closed-pipe error on stdin was seen (one check per host: writes after it fail the same way). */
  private stdinClosedNoted = false;
  private nextSteerId = 1;

  private constructor(opts: DriverProcessOptions) {
    this.events = this.queue;
    this.log = opts.log ?? ((line) => process.stderr.write(`[driver-host] ${line}\n`));
    this.closeGraceMs = opts.closeGraceMs ?? 5000;
    this.capabilities = new Promise((r) => (this.resolveCapabilities = r));
    this.exitReport = new Promise((r) => (this.resolveExitReport = r));
    this.exited = new Promise((r) => (this.resolveExited = r));
    const [file, ...args] = opts.command ?? defaultHostCommand();
    if (!file) throw new Error('DriverProcess: empty host command');
    installExitHook();
    // detached: the host leads its own process group, so one kill reaches its tool processes too.
    this.child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: opts.env ?? process.env, cwd: opts.cwd });
    if (this.child.pid !== undefined) liveGroups.add(this.child.pid);
    this.wire();
  }

  /** Spawns a driver host; send `start` next. */
  static spawn(opts: DriverProcessOptions = {}): DriverProcess {
    return new DriverProcess(opts);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Starts (or resumes, with a checkpoint) the run in the host. */
  start(start: Omit<StartMessage, 'type'>): void {
    this.write({ type: 'start', ...start });
  }

  /** Delivers a user message (an answer to request.input, or a follow-up). */
  send(text: string, source: NonNullable<TranscriptMessage['source']> = 'user'): void {
    this.write({ type: 'send', text, source });
  }

  /** Delivers steer text; resolves with how the driver took it, rejects if the host ends first. */
  steer(text: string): Promise<'applied' | 'degraded'> {
    if (this.gone) return Promise.reject(new Error('driver host has exited'));
    const id = `steer-${this.nextSteerId++}`;
    return new Promise((resolve, reject) => {
      this.steers.set(id, { resolve, reject });
      this.write({ type: 'steer', id, text });
    });
  }

  /** Asks the driver to stop the current turn at a safe point (it checkpoints, then the host exits). */
  interrupt(): void {
    this.write({ type: 'interrupt' });
  }

  /** Registers the approval gate. Without one, every tool call is refused (fail closed). */
  onPermissionRequest(handler: PermissionHandler): void {
    this.permissionHandler = handler;
  }

  /**
   * Ends the host: asks it to close, then SIGTERM and SIGKILL its process group if it lingers.
   * A host ended this way is not reported as crashed.
   */
  async close(): Promise<DriverExit> {
    this.closing = true;
    if (!this.gone) {
      this.write({ type: 'close' });
      if (!(await this.exitsWithin(this.closeGraceMs)) && this.child.pid !== undefined) {
        killGroup(this.child.pid, 'SIGTERM');
        if (!(await this.exitsWithin(this.closeGraceMs))) killGroup(this.child.pid, 'SIGKILL');
      }
    }
    return this.exited;
  }

  private async exitsWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const done = await Promise.race([this.exited.then(() => true as const), timeout]);
    clearTimeout(timer);
    return done;
  }

  private wire(): void {
    readLines(this.child.stdout, {
      onLine: (line) => this.onLine(line),
      onOverflow: (n) => this.log(`dropped an oversized line from the host (${n} chars)`),
    });
    readLines(this.child.stderr, {
      onLine: (line) => {
        this.stderrTail.push(line);
        if (this.stderrTail.length > 5) this.stderrTail.shift();
        this.log(line);
      },
    });
    this.child.stdin.on('error', (err) => this.onStdinError(err));
    this.child.on('error', (err) => {
      this.log(`host process: ${err.message}`);
      this.stderrTail.push(err.message);
      // A host that never started emits no 'exit'; 'close' still follows and ends the run.
    });
    this.child.on('exit', () => {
      // Reap whatever the host left behind in its group (tool processes it could not stop).
      if (this.child.pid !== undefined) killGroup(this.child.pid, 'SIGKILL');
    });
    this.child.on('close', (code, signal) => this.onClose({ code, signal }));
  }

  /**
   * A write the host could not read. EPIPE (or a write to the destroyed pipe) means the host closed
   * its input, which it does when it exits: expected when a message crosses the host's exit (an
   * answer, a steer, `close`), so nothing is logged once the host has exited. Only a host that
   * still runs after the grace period with its input closed is worth a line, as is any other error.
   */
  private onStdinError(err: NodeJS.ErrnoException): void {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') return this.log(`host stdin: ${err.message}`);
    if (this.stdinClosedNoted) return;
    this.stdinClosedNoted = true;
    void this.exitsWithin(this.closeGraceMs).then((exited) => {
      if (!exited) this.log(`host stdin: ${err.message} (the host closed its input but still runs)`);
    });
  }

  private onLine(line: string): void {
    const parsed = parseHostToDaemon(line);
    if (!parsed.ok) return this.log(`ignored a malformed host message: ${parsed.error}`);
    this.onMessage(parsed.message);
  }

  private onMessage(message: HostToDaemon): void {
    switch (message.type) {
      case 'event':
        if (message.event.type === 'run.completed' || message.event.type === 'run.failed') this.terminalSeen = true;
        this.queue.push(message.event);
        return;
      case 'capabilities':
        this.resolveCapabilities(message.capabilities);
        return;
      case 'permission.request':
        void this.decide(message.requestId, message.call);
        return;
      case 'steer.result': {
        const pending = this.steers.get(message.id);
        this.steers.delete(message.id);
        pending?.resolve(message.outcome);
        return;
      }
      case 'exit':
        this.exitMessage = message;
        return;
    }
  }

  private async decide(requestId: string, call: ToolCall): Promise<void> {
    let decision: PermissionDecision;
    if (!this.permissionHandler) {
      decision = { allow: false, reason: 'no approval handler is registered (fail closed)' };
    } else {
      try {
        // The call's own events (tool.invoked) came over the same pipe first: hand them on before
        // the gate runs, so the journal has the call before its approval.
        await this.queue.taken();
        decision = await this.permissionHandler(call);
      } catch (err) {
        decision = { allow: false, reason: `approval failed: ${(err as Error).message} (fail closed)` };
      }
    }
    this.write({ type: 'permission.reply', requestId, allow: decision.allow, ...(decision.reason !== undefined ? { reason: decision.reason } : {}), ...(decision.network ? { network: true } : {}) });
  }

  private onClose(exit: DriverExit): void {
    if (this.gone) return;
    this.gone = true;
    if (this.child.pid !== undefined) liveGroups.delete(this.child.pid);
    if (!this.exitMessage && !this.closing && !this.terminalSeen) {
      const how = exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
      const tail = this.stderrTail.length > 0 ? `: ${this.stderrTail.join(' | ')}` : '';
      this.queue.push({ type: 'run.failed', category: 'Transport', reason: 'DriverCrashed', message: `the driver host exited unexpectedly (${how})${tail}` });
    }
    for (const pending of this.steers.values()) pending.reject(new Error('driver host has exited'));
    this.steers.clear();
    this.resolveCapabilities(undefined);
    this.resolveExitReport(this.exitMessage);
    this.queue.end();
    this.resolveExited(exit);
  }

  /** Sends a message; one for a host that has exited (or closed its input) is dropped, as it would be unread. */
  private write(message: DaemonToHost): void {
    if (this.gone || this.child.stdin.destroyed || !this.child.stdin.writable) return;
    this.child.stdin.write(encodeMessage(message));
  }
}
