/**
 * Where the CLI (or any client) sends its requests: an explicit `--server URL --token T`, else
 * `$SIDEKICK_SERVER` / `$SIDEKICK_TOKEN`, else the kubeconfig's context (`--context`,
 * `$SIDEKICK_CONTEXT`, else the file's current-context), else the daemon's Unix socket under
 * `$SIDEKICK_HOME`. A token given without a server is sent over the socket: the request then acts
 * as that token's identity instead of the owner (`SIDEKICK_TOKEN=… sidekick get runs` as bob).
 * Resolved without touching the network so start-up stays cheap; the kubeconfig is read only when
 * no server is given.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sidekickHome, type HomePaths } from '../home.js';
import { contextEndpoint, kubeconfigLocation, KubeconfigError, readKubeconfigSync, type ContextEndpoint } from './kubeconfig.js';
import { isLoopbackHost } from '../loopback.js';

/** A resolved endpoint: exactly one of `socketPath` or `baseUrl` is set. */
export interface Connection {
  /** Unix socket of a local daemon; requests over it need no token (without one they act as the owner). */
  socketPath?: string;
  /** `http(s)://host:port` of a daemon or control plane. */
  baseUrl?: string;
  /** Bearer token sent on every request. */
  token?: string;
  /**
   * Asked for the bearer token before each request, instead of `token`: for short-lived tokens
   * the caller refreshes (a runtime node's access tokens). Its failure fails the request.
   */
  tokenProvider?: () => Promise<string>;
  /**
   * Sends the token over plain http to a non-loopback host anyway (`sidekick serve
   * --allow-insecure`, which says so loudly itself). Never set from a kubeconfig or a variable.
   */
  allowInsecureHttp?: boolean;
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
  /** The kubeconfig context to use (else `$SIDEKICK_CONTEXT`, else the file's current-context). */
  context?: string;
  /** The kubeconfig file (else `$SIDEKICK_KUBECONFIG`, else the home's `kubeconfig`). */
  kubeconfig?: string;
}

/** A connection plus the kubeconfig context it came from, when it came from one. */
export interface ResolvedConnection extends Connection {
  /** The context's name and namespace (the default namespace of namespaced commands). */
  context?: { name: string; namespace?: string };
}

/**
 * Resolves flags > environment > kubeconfig context > home socket, in that order of precedence.
 * An explicit `--context` is a flag too: it beats `$SIDEKICK_SERVER`, `$SIDEKICK_TOKEN`,
 * `$SIDEKICK_CA_FILE` and `$SIDEKICK_INSECURE_SKIP_TLS_VERIFY`, while
 * `--token`, `--certificate-authority` and `--insecure-skip-tls-verify` still override its fields.
 * Throws KubeconfigError for a kubeconfig that does not parse or a context that does not exist.
 */
export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): ResolvedConnection {
  const contextFlag = flags.context !== undefined && flags.context !== '';
  const server = flags.server || (contextFlag ? undefined : env.SIDEKICK_SERVER);
  const envToken = contextFlag ? undefined : env.SIDEKICK_TOKEN;
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
  const endpoint = selectedContext(flags, env);
  if (endpoint) {
    // Under an explicit --context, the variables meant for another server do not apply to it.
    const vars = contextFlag ? {} : env;
    const insecure = Boolean(flags.insecureSkipTlsVerify) || (!contextFlag && insecureSkipTlsVerify);
    return contextConnection(endpoint, { ...flags, token: flags.token || envToken || undefined }, vars, insecure);
  }
  const paths = sidekickHome(flags.home, env);
  const token = flags.token || env.SIDEKICK_TOKEN || ownerToken(paths);
  return { socketPath: paths.socket, ...(token ? { token } : {}) };
}

/** The context the kubeconfig selects (`--context`, `$SIDEKICK_CONTEXT`, current-context), if any. */
function selectedContext(flags: ConnectionFlags, env: NodeJS.ProcessEnv): ContextEndpoint | undefined {
  const location = kubeconfigLocation(flags, env);
  const asked = flags.context || env.SIDEKICK_CONTEXT || undefined;
  const config = readKubeconfigSync(location);
  if (!config) {
    if (asked) throw new KubeconfigError(`context "${asked}" does not exist`);
    return undefined;
  }
  const name = asked ?? config['current-context'];
  if (!name) return undefined;
  if (!asked && !config.contexts.some((c) => c.name === name)) {
    throw new KubeconfigError(`current-context "${name}" does not exist in ${location.path} (choose one with: sidekick config use-context NAME)`);
  }
  return contextEndpoint(config, name, location.path);
}

/**
 * The connection of a kubeconfig context: its server, CA and token, each overridden by the flag
 * (or variable) for it. A `unix://` server is a local daemon's socket; without a token the
 * owner's, read beside the socket, is sent as on the home socket.
 */
function contextConnection(endpoint: ContextEndpoint, flags: ConnectionFlags, env: NodeJS.ProcessEnv, insecure: boolean): ResolvedConnection {
  const context = { name: endpoint.name, ...(endpoint.namespace ? { namespace: endpoint.namespace } : {}) };
  const token = flags.token || endpoint.token;
  if (endpoint.server.startsWith('unix://')) {
    const socketPath = endpoint.server.slice('unix://'.length);
    const socketToken = token || ownerToken({ token: join(dirname(socketPath), 'token') });
    return { socketPath, ...(socketToken ? { token: socketToken } : {}), context };
  }
  const caFile = flags.certificateAuthority || env.SIDEKICK_CA_FILE;
  return {
    baseUrl: endpoint.server.replace(/\/+$/, ''),
    ...(token ? { token } : {}),
    insecureSkipTlsVerify: insecure || endpoint.insecureSkipTlsVerify,
    ca: caFile ? readFileSync(caFile, 'utf8') : endpoint.ca,
    context,
  };
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

export { isLoopbackHost, KubeconfigError };

/**
 * Throws unless `conn` keeps its token off the wire in the clear. A bearer token is a password:
 * over plain http to another machine anyone on the path can read it and act as its owner.
 * Loopback http stays allowed (a local daemon, a tunnel's local end).
 */
export function refuseTokenInTheClear(conn: Connection): void {
  if ((!conn.token && !conn.tokenProvider) || !conn.baseUrl || conn.allowInsecureHttp) return;
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
 * certificate is trusted without flags, the way `sidekick config set-context --from-daemon`
 * embeds it in the kubeconfig.
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
