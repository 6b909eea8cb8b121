/**
 * What configures `sidekick daemon`, and the check of the options that can be refused, run before
 * anything is created (by `daemon run` and `daemon start` as a usage error, and by startDaemon).
 */
import { readFile } from 'node:fs/promises';
import { isLoopback, parseListen, type HostPort } from '../../api/server/listen.js';
import type { IsolationPolicy } from '../../resources/kinds/common.js';

export interface DaemonOptions {
  /** State directory; default `$SIDEKICK_HOME` or `~/.sidekick`. */
  home?: string;
  /**
   * `HOST:PORT` for a TCP listener (port 0 picks a free one). Always HTTPS: with `tlsCert` and
   * `tlsKey` when given (required off loopback), else with the daemon's self-signed loopback
   * certificate (kubectl sends its token only over https).
   */
  listen?: string;
  tlsCert?: string;
  tlsKey?: string;
  /** Use Postgres instead of the embedded SQLite file. */
  database?: { kind: 'postgres'; url: string };
  /** Changes kept for watch replay (older resourceVersions get 410 Gone). */
  historySize?: number;
  /** How long a write waits while another process holds the database before it is answered 503 (default 5 s). */
  storeBusyTimeoutMs?: number;
  /** Bookmark period of watches that allow bookmarks (default 60 s). */
  bookmarkIntervalMs?: number;
  /** Run the controllers (default true; API-only daemons are for API tests). */
  controllers?: boolean;
  /** The driver host command (default: the compiled host next to the supervisor). */
  driverHostCommand?: string[];
  /** The umask agent processes get (default: this process's); `daemon run` keeps its own 077 for the home. */
  agentUmask?: number;
  /** Isolation of runs whose agent and repo mount set none (`--default-isolation`; default: Required on Linux). */
  defaultIsolation?: IsolationPolicy;
  /** Give agent processes the daemon's environment unfiltered (`--allow-env-passthrough`). */
  allowEnvPassthrough?: boolean;
  /** The owner's identity name (the socket peer and the `token` file); default: the OS user name. */
  ownerName?: string;
  /** How long stopping keeps serving with /readyz failing before the listeners close (default 0). */
  shutdownDelayMs?: number;
  log?: (line: string) => void;
}

/** The TCP listener's address and given certificate, checked before anything is created. */
export interface CheckedListen {
  address: HostPort;
  /** The `--tls-cert`/`--tls-key` pair as read; undefined for the self-signed loopback certificate. */
  given?: { cert: string; key: string; caFile: string };
}

/**
 * Checks the options that can be refused (a malformed or non-loopback `--listen` without TLS, half
 * a TLS pair, an unreadable certificate, a database that is not a postgres:// URL) and reads what
 * they name. Creates nothing: a refused daemon leaves no file behind in its home.
 */
export async function checkDaemonOptions(opts: Pick<DaemonOptions, 'listen' | 'tlsCert' | 'tlsKey' | 'database'>): Promise<CheckedListen | undefined> {
  if (opts.database && !/^postgres(ql)?:\/\//.test(opts.database.url)) {
    throw new Error(`--database: expected a postgres:// URL, got ${JSON.stringify(opts.database.url)}`);
  }
  if ((opts.tlsCert || opts.tlsKey) && (!opts.tlsCert || !opts.tlsKey)) throw new Error('--tls-cert and --tls-key must be given together');
  if (!opts.listen) return undefined;
  const address = parseListen(opts.listen);
  if (opts.tlsCert && opts.tlsKey) {
    const [cert, key] = await Promise.all([readFile(opts.tlsCert, 'utf8'), readFile(opts.tlsKey, 'utf8')]);
    return { address, given: { cert, key, caFile: opts.tlsCert } };
  }
  if (!isLoopback(address.host)) {
    throw new Error(`refusing to listen on ${address.host} without TLS: give --tls-cert and --tls-key, or listen on a loopback address`);
  }
  return { address };
}

