/**
 * Where the CLI (or any client) sends its requests: an explicit `--server URL --token T`, else
 * `$SIDEKICK_SERVER` / `$SIDEKICK_TOKEN`, else the daemon's Unix socket under `$SIDEKICK_HOME`.
 * A token given without a server is sent over the socket: the request then acts as that token's
 * identity instead of the owner (`SIDEKICK_TOKEN=… sidekick get runs` as bob).
 * Resolved without touching the network so start-up stays cheap.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sidekickHome, type HomePaths } from '../home.js';
import { isLoopbackHost } from '../loopback.js';

/** A resolved endpoint: exactly one of `socketPath` or `baseUrl` is set. */
export interface Connection {
  /** Unix socket of a local daemon; requests over it need no token (without one they act as the owner). */
  socketPath?: string;
  /** `http(s)://host:port` of a daemon or control plane. */
  baseUrl?: string;
  /** Bearer token sent on every request. */
  token?: string;
  /** Skip TLS verification (self-signed loopback certificates). */
  insecureSkipTlsVerify?: boolean;
  /** PEM certificate authority used to verify https servers. */
  ca?: string;
}

/** Connection choices given on the command line. */
export interface ConnectionFlags {
  server?: string;
  token?: string;
  home?: string;
  /** PEM file of the CA that signed an https server's certificate. */
  certificateAuthority?: string;
  insecureSkipTlsVerify?: boolean;
}

/** Resolves flags > environment > home socket, in that order of precedence. */
export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Connection {
  const server = flags.server ?? env.SIDEKICK_SERVER;
  const insecureSkipTlsVerify = flags.insecureSkipTlsVerify || env.SIDEKICK_INSECURE_SKIP_TLS_VERIFY === 'true' || env.SIDEKICK_INSECURE_SKIP_TLS_VERIFY === '1';
  if (server) {
    if (server.startsWith('unix://')) {
      const token = flags.token || env.SIDEKICK_TOKEN;
      return { socketPath: server.slice('unix://'.length), ...(token ? { token } : {}) };
    }
    const baseUrl = server.replace(/\/+$/, '');
    const caFile = flags.certificateAuthority || env.SIDEKICK_CA_FILE || localDaemonCa(baseUrl, flags.home, env);
    return { baseUrl, token: flags.token || env.SIDEKICK_TOKEN, insecureSkipTlsVerify, ca: caFile ? readFileSync(caFile, 'utf8') : undefined };
  }
  const paths = sidekickHome(flags.home, env);
  const token = flags.token || env.SIDEKICK_TOKEN || ownerToken(paths);
  return { socketPath: paths.socket, ...(token ? { token } : {}) };
}

/**
 * The daemon owner's token from its home (0600, hidden from every sandbox): what proves on the
 * socket that a caller is the daemon's user. Undefined when it cannot be read (no daemon yet, or
 * another user's home): the request then answers 401.
 */
export function ownerToken(paths: Pick<HomePaths, 'token'>): string | undefined {
  try {
    return readFileSync(paths.token, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

const ownerHeadersBySocket = new Map<string, Record<string, string>>();

/**
 * The `Authorization` header of the daemon owner for the socket at `socketPath` (the token sits
 * beside the socket in the daemon's home), for local tools that speak raw HTTP to it. Read once
 * per socket and kept: benchmarks call this per request, and a home's token never changes.
 */
export function socketOwnerHeaders(socketPath: string): Record<string, string> {
  const known = ownerHeadersBySocket.get(socketPath);
  if (known) return known;
  const token = ownerToken({ token: join(dirname(socketPath), 'token') });
  if (!token) return {};
  const headers = { authorization: `Bearer ${token}` };
  ownerHeadersBySocket.set(socketPath, headers);
  return headers;
}

/** The connection to the daemon of `paths` over its socket, as its owner. */
export function ownerConnection(paths: Pick<HomePaths, 'socket' | 'token'>): Connection {
  const token = ownerToken(paths);
  return { socketPath: paths.socket, ...(token ? { token } : {}) };
}

/** Thrown when a token would cross the network unencrypted. */
export class InsecureTokenError extends Error {
  constructor(server: string) {
    super(`refusing to send a token over plain http to ${server}: use https, or a loopback address for a local daemon`);
    this.name = 'InsecureTokenError';
  }
}

export { isLoopbackHost };

/**
 * Throws unless `conn` keeps its token off the wire in the clear. A bearer token is a password:
 * over plain http to another machine anyone on the path can read it and act as its owner.
 * Loopback http stays allowed (a local daemon, a tunnel's local end).
 */
export function refuseTokenInTheClear(conn: Connection): void {
  if (!conn.token || !conn.baseUrl) return;
  let url: URL;
  try {
    url = new URL(conn.baseUrl);
  } catch {
    return; // Not a URL: the request fails later with its own message.
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) throw new InsecureTokenError(conn.baseUrl);
}

/** How an endpoint is named in messages: the socket path or the URL. */
export function describeConnection(conn: Connection): string {
  return conn.socketPath ?? conn.baseUrl ?? 'unknown';
}

/**
 * The CA file of the local daemon when `url` is its TCP address: its self-signed loopback
 * certificate is trusted without flags, the way `sidekick config` trusts it in the kubeconfig.
 */
function localDaemonCa(url: string, home: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (!url.startsWith('https:')) return undefined;
  try {
    const info = JSON.parse(readFileSync(sidekickHome(home, env).daemonInfo, 'utf8')) as { tcp?: string; ca?: string };
    return info.tcp?.replace(/\/+$/, '') === url ? info.ca : undefined;
  } catch {
    return undefined;
  }
}
