/**
 * One `codex app-server` process and its JSON-RPC connection: spawned in the run's workspace with
 * stdin kept open, every stdout line handed to the peer (and to `onLine` for raw output), requests
 * failed once the process is gone. Stopping closes stdin first — the end of the session for a
 * server on stdio, and what the server also sees when the driver host dies outright — then
 * escalates like any CLI (SIGINT, SIGTERM, SIGKILL to its process group).
 */
import { CliProcess, type CliExit } from '../cli-process.js';
import { JsonRpcPeer, type RpcId } from './rpc.js';
import type { Json } from '../json-lines.js';

/** The server process is gone: requests in flight (and later ones) fail with this. */
export class AppServerExited extends Error {
  constructor(readonly exit: CliExit) {
    super(`codex app-server ${exit.error ? `could not be started (${exit.error})` : exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`}`);
  }
}

/** Who we say we are in `initialize` (clientInfo). */
export const CODEX_CLIENT_INFO = { name: 'sidekicks', title: 'Sidekicks', version: '0.1.0' } as const;

export interface AppServerOptions {
  file: string;
  /** Arguments after `app-server` (config overrides, `-c key=value`). */
  args?: string[];
  cwd: string;
  env: Record<string, string>;
  /** Every stdout line, before it is parsed (raw output). */
  onLine(line: string): void;
  onNotification(method: string, params: Json): void;
  onRequest(method: string, params: Json, id: RpcId): Promise<unknown>;
}

export class CodexAppServer {
  /** Resolves once the process has exited and its output has been read. */
  readonly exited: Promise<CliExit>;
  private readonly proc: CliProcess;
  private readonly peer: JsonRpcPeer;
  private stopping?: Promise<CliExit>;

  constructor(opts: AppServerOptions) {
    this.peer = new JsonRpcPeer({
      write: (line) => this.proc.writeLine(line),
      onNotification: opts.onNotification,
      onRequest: opts.onRequest,
    });
    this.proc = new CliProcess({
      file: opts.file,
      args: ['app-server', ...(opts.args ?? [])],
      cwd: opts.cwd,
      env: opts.env,
      stdin: 'pipe',
      onLine: (line) => {
        opts.onLine(line);
        this.peer.receive(line);
      },
    });
    this.exited = this.proc.exited.then((exit) => {
      this.peer.close(new AppServerExited(exit));
      return exit;
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  /** The handshake: `initialize` with our client info, then the `initialized` notification. */
  async initialize(): Promise<Json> {
    const result = await this.peer.request('initialize', { clientInfo: { ...CODEX_CLIENT_INFO } });
    this.peer.notify('initialized');
    return result;
  }

  request<T = Json>(method: string, params: Json): Promise<T> {
    return this.peer.request<T>(method, params);
  }

  /**
   * Ends the session: closes stdin and gives the server `graceMs` to exit on its own, then stops
   * its process group. Idempotent; resolves with how it exited.
   */
  stop(graceMs: number): Promise<CliExit> {
    this.stopping ??= (async () => {
      this.proc.endInput();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(resolve, graceMs, 'late')));
      const first = await Promise.race([this.exited, late]);
      clearTimeout(timer);
      return first === 'late' ? this.proc.stop(graceMs) : first;
    })();
    return this.stopping;
  }
}
