/**
 * Where the CLI (or any client) sends its requests: an explicit `--server URL --token T`, else
 * `$SIDEKICK_SERVER` / `$SIDEKICK_TOKEN`, else the daemon's Unix socket under `$SIDEKICK_HOME`.
 * A token given without a server is sent over the socket: the request then acts as that token's
 * identity instead of the owner (`SIDEKICK_TOKEN=… sidekick get runs` as bob).
 * Resolved without touching the network so start-up stays cheap.
 */
import { readFileSync } from 'node:fs';
import { sidekickHome } from '../home.js';

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
  const token = flags.token || env.SIDEKICK_TOKEN;
  return { socketPath: sidekickHome(flags.home, env).socket, ...(token ? { token } : {}) };
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
