/**
 * The API server as one long-lived piece of a process: it binds its listeners first, so a socket
 * another daemon holds or a port in use fails the start, then serves until its signal aborts, and
 * then ends the open watches and closes every listener. It has the shape of the controllers'
 * Runnable (`name`, `start(signal)`), so the Manager stops it with everything else; it does not
 * import it, since api/ sits below controllers/. Stopping first fails /readyz and keeps serving for
 * `shutdownDelayMs` (kube-apiserver's --shutdown-delay-duration), so a load balancer sees the
 * replica leave before its connections are dropped.
 */
import type { Server } from 'node:http';
import type { Authenticator } from './auth.js';
import type { ApiServer } from './http.js';
import { closeServer, listenTcp, listenUnix, type TcpListenOptions, type TcpListener } from './listen.js';

export class ServingApi {
  readonly name = 'api-server';
  private readonly servers: Server[] = [];
  private closed: Promise<void> | undefined;

  private readonly shutdownDelayMs: number;

  constructor(
    private readonly api: Pick<ApiServer, 'listener' | 'stop'> & Partial<Pick<ApiServer, 'drain'>>,
    opts: { shutdownDelayMs?: number } = {},
  ) {
    this.shutdownDelayMs = opts.shutdownDelayMs ?? 0;
  }

  /** Listens on the Unix socket at `path` (mode 0600), authenticating with `auth`. */
  async listenUnix(path: string, auth: Authenticator): Promise<void> {
    this.servers.push(await listenUnix(path, this.api.listener(auth)));
  }

  /** Listens on TCP (HTTPS when `opts.tls` is given), authenticating with `auth`. */
  async listenTcp(opts: TcpListenOptions, auth: Authenticator): Promise<TcpListener> {
    const listener = await listenTcp(opts, this.api.listener(auth));
    this.servers.push(listener.server);
    return listener;
  }

  /** Serves until `signal` aborts, then closes (see {@link close}). */
  async start(signal: AbortSignal): Promise<void> {
    if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    await this.close();
  }

  /**
   * Fails /readyz, waits the shutdown delay, then ends the open watches and closes every listener,
   * dropping their connections. Idempotent: a start that failed before the Manager ran closes what
   * was bound the same way.
   */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.api.drain?.();
      if (this.shutdownDelayMs > 0 && this.servers.length > 0) await new Promise((resolve) => setTimeout(resolve, this.shutdownDelayMs));
      this.api.stop();
      await Promise.all(this.servers.map(closeServer));
    })();
    return this.closed;
  }
}
