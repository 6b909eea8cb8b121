/**
 * Listeners of the API server: the Unix socket (mode 0600, no token) and an optional TCP address
 * (`--listen HOST:PORT`, bearer token, HTTPS). A non-loopback TCP address without TLS is refused:
 * the token would cross the network in clear text.
 */
import { chmod, unlink, lstat } from 'node:fs/promises';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, isIP, type AddressInfo } from 'node:net';
import { answerClientError } from './client-error.js';
import { isLoopbackHost } from '../loopback.js';

/** A parsed `HOST:PORT` (IPv6 as `[::1]:PORT`). */
export interface HostPort {
  host: string;
  port: number;
}

/** Parses `HOST:PORT`; port 0 picks a free port. */
export function parseListen(value: string): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`--listen: expected HOST:PORT (e.g. 127.0.0.1:7443), got "${value}"`);
  return { host: (m[1] ?? m[2])!, port };
}

/** True for addresses only this machine can reach (the rule clients use too: ../loopback.ts). */
export const isLoopback = isLoopbackHost;

function formatHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

function listenOn(server: Server, target: string | HostPort): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    const done = (): void => {
      server.off('error', onError);
      resolve();
    };
    if (typeof target === 'string') server.listen(target, done);
    else server.listen(target.port, target.host, done);
  });
}

/** True when something accepts connections on the socket path (another daemon). */
function socketInUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * Listens on a Unix socket with mode 0600. A stale socket file left by a crashed daemon is
 * replaced; a live one (another daemon) is an error.
 */
export async function listenUnix(path: string, handler: RequestListener): Promise<Server> {
  const existing = await lstat(path).catch(() => undefined);
  if (existing) {
    if (!existing.isSocket()) throw new Error(`${path} exists and is not a socket`);
    if (await socketInUse(path)) throw new Error(`another daemon is listening on ${path}`);
    await unlink(path);
  }
  const server = createHttpServer(handler);
  server.on('clientError', answerClientError);
  await listenOn(server, path);
  // The directory is 0700, so the moment between bind and chmod exposes nothing to other users.
  await chmod(path, 0o600);
  return server;
}

export interface TcpListenOptions {
  address: HostPort;
  /** PEM certificate and key; required off loopback. */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

/** A TCP listener and the URL clients use to reach it. */
export interface TcpListener {
  server: Server;
  host: string;
  port: number;
  url: string;
}

/** Listens on TCP: HTTPS when a certificate is given (required off loopback), else plain HTTP. */
export async function listenTcp(opts: TcpListenOptions, handler: RequestListener): Promise<TcpListener> {
  const { address, tls } = opts;
  if (!tls && !isLoopback(address.host)) {
    throw new Error(`refusing to listen on ${address.host} without TLS: give --tls-cert and --tls-key, or listen on a loopback address`);
  }
  const server: Server = tls ? (createHttpsServer({ cert: tls.cert, key: tls.key }, handler) as unknown as Server) : createHttpServer(handler);
  server.on('clientError', answerClientError);
  await listenOn(server, address);
  const bound = server.address() as AddressInfo;
  const url = `${tls ? 'https' : 'http'}://${formatHost(address.host)}:${bound.port}`;
  return { server, host: address.host, port: bound.port, url };
}

/** Closes a server: stops accepting, then drops idle and open connections. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
