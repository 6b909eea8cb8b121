/**
 * The API server as one long-lived piece of a process: it binds its listeners first, so a socket
 * another daemon holds or a port in use fails the start, then serves until its signal aborts, and
 * then ends the open watches and closes every listener. It has the shape of the controllers'
 * Runnable (`name`, `start(signal)`), so the Manager stops it with everything else; it does not
 * import it, since api/ sits below controllers/.
 */
import type { Server } from 'node:http';
import type { Authenticator } from './auth.js';
import type { ApiServer } from './http.js';
import { closeServer, listenTcp, listenUnix, type TcpListenOptions, type TcpListener } from './listen.js';

export class ServingApi {
  readonly name = 'api-server';
  private readonly servers: Server[] = [];
  private closed: Promise<void> | undefined;

  constructor(private readonly api: Pick<ApiServer, 'listener' | 'stop'>) {}

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
   * Ends the open watches and closes every listener, dropping their connections. Idempotent: a
   * start that failed before the Manager ran closes what was bound the same way.
   */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.api.stop();
      await Promise.all(this.servers.map(closeServer));
    })();
    return this.closed;
  }
}
