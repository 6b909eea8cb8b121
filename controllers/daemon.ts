/**
 * The composition root of `sidekick daemon`: state directory, store, API service, event recorder
 * and listeners, started in order and stopped in reverse. The CLI (`sidekick daemon run|start`)
 * and end-to-end tests start the daemon through {@link startDaemon}.
 */
import { chmod, mkdir, readFile, unlink } from 'node:fs/promises';
import type { Server } from 'node:http';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { CedarAuthorizer } from '../api/auth/authorizer.js';
import { AuthzModel } from '../api/auth/model.js';
import { TokenStore } from '../api/auth/token-store.js';
import { EventRecorder } from '../api/events/recorder.js';
import { sidekickHome, type HomePaths } from '../api/home.js';
import type { IsolationPolicy } from '../resources/kinds/common.js';
import { ensureToken, SocketPeerAuthenticator, TokenAuthenticator, writeFileAtomic } from '../api/server/auth.js';
import { ApiServer } from '../api/server/http.js';
import { RequestAuthorizer } from '../api/server/authorization.js';
import { requestAuthority } from '../api/server/remember-admission.js';
import { AdmittedStore } from '../api/server/admitted-store.js';
import { closeServer, isLoopback, listenTcp, listenUnix, parseListen, type HostPort, type TcpListener } from '../api/server/listen.js';
import { ensureSelfSigned } from '../api/server/self-signed.js';
import { ApiService } from '../api/server/service.js';
import { openStore } from '../api/store/open-store.js';
import type { Store } from '../api/store/store.js';
import { schemeResolver } from '../api/store/scheme-resolver.js';
import { Journal, JOURNAL_MIGRATIONS } from '../api/journal/journal.js';
import { scheme } from '../resources/index.js';
import { buildControllers } from './controller-set.js';
import { Manager } from './runtime/manager.js';
import { CHECKPOINT_MIGRATIONS } from './run/checkpoints.js';
import { ProcessDriverLauncher } from '../node/drivers/launcher.js';
import { WorkspaceManager } from '../node/workspace/workspace-manager.js';
import { ArtifactStore } from '../node/workspace/artifact-store.js';
import { GitMountInspector } from './repomount/inspector.js';
import { LocalDriverProbe } from './agent/probe.js';

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
  log?: (line: string) => void;
}

/** A running daemon. */
export interface DaemonHandle {
  paths: HomePaths;
  socketPath: string;
  tcp?: {
    host: string;
    port: number;
    url: string;
    /** The CA a client must trust for `url`: the self-signed certificate, or `tlsCert`. */
    caFile: string;
  };
  /** The owner's bearer token. */
  token: string;
  /** The owner's identity name: what creators and deciders are recorded as for socket requests. */
  owner: string;
  /** The identity tokens the owner issued. */
  tokens: TokenStore;
  service: ApiService;
  store: Store;
  journal: Journal;
  /** Watch streams currently open over HTTP (diagnostics: `daemon status`, leak tests). */
  openWatches(): number;
  /** Stops listeners, ends watches, flushes events and closes the store, in that order. */
  stop(): Promise<void>;
}

/** What `daemon.json` holds: how clients find the running daemon. */
export interface DaemonInfo {
  pid: number;
  socket: string;
  tcp?: string;
  /** PEM file to trust for `tcp` (kubeconfig certificate-authority). */
  ca?: string;
  startedAt: string;
}

/** The TCP listener's address and given certificate, checked before anything is created. */
interface CheckedListen {
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

/** The TCP listener's certificate: the given one, or the self-signed loopback one from the home dir. */
async function tlsFor(listen: CheckedListen, paths: HomePaths): Promise<{ cert: string; key: string; caFile: string }> {
  if (listen.given) return listen.given;
  const caFile = join(paths.root, 'tls.crt');
  const { cert, key } = await ensureSelfSigned(caFile, join(paths.root, 'tls.key'));
  return { cert, key, caFile };
}

/**
 * Creates the home directory and the directories the daemon writes into, 0700 (tightening ones an
 * older version left open): nothing under the home is for other users.
 */
async function prepareHome(paths: HomePaths): Promise<void> {
  for (const dir of [paths.root, paths.artifacts, paths.worktrees]) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
  }
}

/** The OS user running the daemon: the owner, unless named otherwise. */
function defaultOwnerName(): string {
  try {
    return userInfo().username || 'local-user';
  } catch {
    return 'local-user';
  }
}

/**
 * Starts the daemon: everything is listening when the promise resolves. Fails closed: a policy
 * file that does not parse or validate, or an unreadable token store, stops it before it listens.
 */
export async function startDaemon(opts: DaemonOptions = {}): Promise<DaemonHandle> {
  const log = opts.log ?? (() => {});
  const paths = sidekickHome(opts.home);
  const listen = await checkDaemonOptions(opts);
  const owner = opts.ownerName ?? defaultOwnerName();
  const authorizer = await CedarAuthorizer.load(new AuthzModel(scheme), paths.policies);
  const tokens = await TokenStore.open(paths.tokens);
  await prepareHome(paths);

  const store = await openStore(opts.database ?? { kind: 'sqlite', path: paths.database }, schemeResolver(scheme), {
    historyLimit: opts.historySize,
    busyTimeoutMs: opts.storeBusyTimeoutMs,
    migrations: [JOURNAL_MIGRATIONS, CHECKPOINT_MIGRATIONS],
    onBackgroundError: (err) => log(`store: ${err instanceof Error ? err.message : String(err)}`),
  });
  const servers: Server[] = [];
  const recorder = new EventRecorder({ store, component: 'sidekick-apiserver', log });
  // Remembered decisions are authorized against the same policies as the requests that write them.
  const service = new ApiService({ store, scheme, recorder, authority: requestAuthority(new RequestAuthorizer({ authorizer, tokens, owner, store })) });
  const journal = new Journal(store);
  const api = new ApiServer({
    service,
    scheme,
    journal,
    artifacts: new ArtifactStore(paths.artifacts),
    bookmarkIntervalMs: opts.bookmarkIntervalMs,
    log,
    authorization: { authorizer, tokens, owner },
  });
  const manager = new Manager(log);
  const controllerRecorder = new EventRecorder({ store, component: 'run-controller', log });
  const controllers =
    opts.controllers === false
      ? undefined
      : buildControllers({
          // Controllers write through the admission API writes go through (defaults, validation, immutability).
          store: new AdmittedStore(store, scheme),
          journal,
          recorder: controllerRecorder,
          workspaces: new WorkspaceManager({ worktreesRoot: paths.worktrees }),
          artifacts: new ArtifactStore(paths.artifacts),
          launcher: new ProcessDriverLauncher({ command: opts.driverHostCommand, allowEnvPassthrough: opts.allowEnvPassthrough, stateDir: paths.root, ...(opts.agentUmask !== undefined ? { agentUmask: opts.agentUmask } : {}), ...(opts.defaultIsolation ? { defaultIsolation: opts.defaultIsolation } : {}), log }),
          inspector: new GitMountInspector(),
          probe: new LocalDriverProbe(),
          log,
        });
  if (controllers) manager.add(...controllers.runnables);

  const stop = async (): Promise<void> => {
    api.stop();
    await Promise.all(servers.map(closeServer));
    await manager.stop();
    await controllers?.stopDrivers();
    await controllerRecorder.close();
    await recorder.close();
    await store.close();
    await unlink(paths.daemonInfo).catch(() => undefined);
  };

  try {
    const token = await ensureToken(paths.token);
    const tokenAuth = new TokenAuthenticator(token, owner, tokens);
    servers.push(await listenUnix(paths.socket, api.listener(new SocketPeerAuthenticator(tokenAuth))));
    let tcp: (TcpListener & { caFile: string }) | undefined;
    if (listen) {
      const tls = await tlsFor(listen, paths);
      const listener = await listenTcp({ address: listen.address, tls }, api.listener(tokenAuth));
      servers.push(listener.server);
      tcp = { ...listener, caFile: tls.caFile };
    }
    const info: DaemonInfo = {
      pid: process.pid,
      socket: paths.socket,
      ...(tcp ? { tcp: tcp.url, ca: tcp.caFile } : {}),
      startedAt: new Date().toISOString(),
    };
    manager.start();
    await writeFileAtomic(paths.daemonInfo, `${JSON.stringify(info, null, 2)}\n`);
    log(`daemon: listening on ${paths.socket}${tcp ? ` and ${tcp.url}` : ''}`);
    return {
      paths,
      socketPath: paths.socket,
      ...(tcp ? { tcp: { host: tcp.host, port: tcp.port, url: tcp.url, caFile: tcp.caFile } } : {}),
      token,
      owner,
      tokens,
      service,
      store,
      journal,
      openWatches: () => api.watches.size,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
