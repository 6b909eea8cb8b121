/**
 * What configures `sidekick controlplane`, and the checks run before anything is opened: the
 * self-host defaults (seed 001) refuse a token-bearing listener off loopback without TLS and a
 * database across the network without verified TLS.
 */
import { isLoopbackHost } from '../../api/loopback.js';
import { checkDaemonOptions, type CheckedListen } from '../daemon/options.js';

/** The listener when none is given: loopback only, so nothing is exposed by accident. */
export const DEFAULT_CONTROLPLANE_LISTEN = '127.0.0.1:8443';

/** The Lease the leader holds (namespace `default`), as `kubectl get leases` shows it. */
export const CONTROLPLANE_LEASE = 'sidekick-controlplane';

export interface ControlPlaneOptions {
  /** postgres:// URL of the shared database. */
  database: string;
  /** nats:// (or tls://) URL(s) of NATS with JetStream, comma-separated. */
  nats: string;
  /** `HOST:PORT`; default {@link DEFAULT_CONTROLPLANE_LISTEN}. */
  listen?: string;
  tlsCert?: string;
  tlsKey?: string;
  /** This replica's name: the Lease holder identity and the NATS connection name. */
  replicaId: string;
  /** PEM private key that signs and verifies API tokens; the same on every replica. */
  signingKey: string;
  /** Changes kept for watch replay. */
  historySize?: number;
  /** Changes older than this leave the history even below `historySize` (default: kept by count only). */
  historyRetentionMs?: number;
  /** Leader lease duration (default 15 s). */
  leaseDurationMs?: number;
  /** How long after its last Lease renewal a runtime node is still Ready (default 40 s). */
  nodeMonitorGraceMs?: number;
  /** How long a runtime node may be not Ready before its started runs fail with reason NodeLost (default 5 min). */
  nodeLostGraceMs?: number;
  /** Connect to a non-local Postgres without verified TLS (logged loudly). */
  allowInsecureDatabase?: boolean;
  /** Scratch space (workflow command steps' worktrees); default a directory under the OS temp dir. */
  stateDir?: string;
  log?: (line: string) => void;
}

/** A Postgres URL with its password hidden, for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** True when the URL names this machine: no host (a Unix socket), a socket path in `host=`, or loopback. */
function isLocalDatabase(u: URL): boolean {
  const socketHost = u.searchParams.get('host');
  if (socketHost?.startsWith('/')) return true;
  return u.hostname === '' || isLoopbackHost(u.hostname);
}

/** Refuses a database URL that is not Postgres, or that crosses the network without verified TLS. */
export function checkDatabaseUrl(url: string, allowInsecure = false): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--database: not a URL: expected postgres://USER:PASSWORD@HOST:PORT/DATABASE`);
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw new Error(`--database: expected a postgres:// URL, got ${u.protocol}//…`);
  if (isLocalDatabase(u) || allowInsecure) return;
  if (u.searchParams.get('sslmode') !== 'verify-full') {
    throw new Error(
      `--database: refusing to connect to Postgres at ${u.hostname} without verified TLS: add ?sslmode=verify-full ` +
        '(and sslrootcert=FILE for a private CA), or pass --allow-insecure-database',
    );
  }
}

/** Refuses a NATS URL list that does not parse or is not nats:// / tls://. */
export function checkNatsUrl(value: string): string[] {
  const servers = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (!servers.length) throw new Error('--nats: expected nats://HOST:PORT');
  for (const s of servers) {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      throw new Error(`--nats: not a URL: ${JSON.stringify(s)} (expected nats://HOST:PORT)`);
    }
    if (u.protocol !== 'nats:' && u.protocol !== 'tls:') throw new Error(`--nats: expected nats:// or tls://, got ${JSON.stringify(s)}`);
  }
  return servers;
}

/** Checks every option that can be refused, before anything is opened or written. */
export async function checkControlPlaneOptions(opts: ControlPlaneOptions): Promise<{ listen: CheckedListen; natsServers: string[] }> {
  checkDatabaseUrl(opts.database, opts.allowInsecureDatabase);
  const natsServers = checkNatsUrl(opts.nats);
  if (!opts.replicaId.trim()) throw new Error('--replica-id: must not be empty');
  if (!opts.signingKey) throw new Error('--signing-key: required (a PEM private key file shared by every replica)');
  if (opts.historySize !== undefined && (!Number.isInteger(opts.historySize) || opts.historySize < 1)) {
    throw new Error(`--history-size: expected a positive integer, got ${opts.historySize}`);
  }
  const listen = await checkDaemonOptions({ listen: opts.listen ?? DEFAULT_CONTROLPLANE_LISTEN, tlsCert: opts.tlsCert, tlsKey: opts.tlsKey });
  return { listen: listen as CheckedListen, natsServers };
}
