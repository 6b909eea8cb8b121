/**
 * The composition root of `sidekick daemon`: state directory, store, API service, event recorder,
 * controllers and listeners. The API server and every controller are Runnables of one Manager, so
 * one AbortSignal stops them; what they use (drivers, recorders, the store) is closed after them.
 * The CLI (`sidekick daemon run|start`) and end-to-end tests start the daemon through
 * {@link startDaemon}.
 */
import { chmod, mkdir, unlink } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../api/atomic-file.js';
import { CedarAuthorizer } from '../../api/auth/authorizer.js';
import { AuthzModel } from '../../api/auth/model.js';
import { TokenStore } from '../../api/auth/token-store.js';
import { ensureToken } from '../../api/auth/tokens.js';
import { EventRecorder } from '../../api/events/recorder.js';
import { sidekickHome, type HomePaths } from '../../api/home.js';
import { SocketPeerAuthenticator, TokenAuthenticator } from '../../api/server/auth.js';
import { ApiServer } from '../../api/server/http.js';
import { HealthChecks } from '../../api/server/health.js';
import { ServerMetrics } from '../../api/server/metrics.js';
import { RequestAuthorizer } from '../../api/server/authorization.js';
import { requestAuthority } from '../../api/server/remember-admission.js';
import { AdmittedStore } from '../../api/server/admitted-store.js';
import type { TcpListener } from '../../api/server/listen.js';
import { ensureSelfSigned } from '../../api/server/self-signed.js';
import { ServingApi } from '../../api/server/serving.js';
import { ApiService } from '../../api/server/service.js';
import { openStore } from '../../api/store/open-store.js';
import type { Store } from '../../api/store/store.js';
import { schemeResolver } from '../../api/store/scheme-resolver.js';
import { Journal, JOURNAL_MIGRATIONS } from '../../api/journal/journal.js';
import { scheme } from '../../resources/index.js';
import { buildControllers } from '../../controllers/controller-set.js';
import { Manager } from '../../controllers/runtime/manager.js';
import { CHECKPOINT_MIGRATIONS } from '../../controllers/run/checkpoints.js';
import { GitMountInspector } from '../../controllers/repomount/inspector.js';
import { LocalDriverProbe } from '../../controllers/agent/probe.js';
import { ProcessDriverLauncher } from '../../node/drivers/launcher.js';
import { WorkspaceManager } from '../../node/workspace/workspace-manager.js';
import { ArtifactStore } from '../../node/workspace/artifact-store.js';
import { checkDaemonOptions, type CheckedListen, type DaemonOptions } from './options.js';
import { setFlags, type DaemonFlags } from './flags.js';

export { checkDaemonOptions, type DaemonOptions } from './options.js';

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
  /** Aborts the manager (the API server ends watches and closes its listeners; controllers stop), then stops drivers, flushes events and closes the store. */
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
  /** The flags it runs with: what `daemon start` compares with and `daemon restart` starts again with. */
  flags: DaemonFlags;
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

  const metrics = new ServerMetrics();
  const health = new HealthChecks({ log });
  const store = await openStore(opts.database ?? { kind: 'sqlite', path: paths.database }, schemeResolver(scheme), {
    metrics: metrics.store,
    historyLimit: opts.historySize,
    busyTimeoutMs: opts.storeBusyTimeoutMs,
    migrations: [JOURNAL_MIGRATIONS, CHECKPOINT_MIGRATIONS],
    onBackgroundError: (err) => log(`store: ${err instanceof Error ? err.message : String(err)}`),
  });
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
    health,
    metrics,
  });
  const serving = new ServingApi(api, { shutdownDelayMs: opts.shutdownDelayMs });
  // The API server first: on abort, it stops taking requests before the controllers stop.
  const manager = new Manager(log).add(serving);
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
          metrics,
        });
  if (controllers) manager.add(...controllers.runnables);
  // Ready when the store answers a cheap read and the controllers decide on a full cache.
  health.add('store', async () => void (await store.currentResourceVersion()));
  if (controllers) {
    health.add('informers-synced', () => {
      if (!controllers.synced()) throw new Error('the informers have not listed yet');
    });
  }

  const stop = async (): Promise<void> => {
    await manager.stop();
    // A start that failed before the manager ran: close the listeners it bound.
    await serving.close();
    await controllers?.stopDrivers();
    await controllerRecorder.close();
    await recorder.close();
    await store.close();
    await unlink(paths.daemonInfo).catch(() => undefined);
  };

  try {
    const token = await ensureToken(paths.token);
    const tokenAuth = new TokenAuthenticator(token, owner, tokens);
    await serving.listenUnix(paths.socket, new SocketPeerAuthenticator(tokenAuth));
    let tcp: (TcpListener & { caFile: string }) | undefined;
    if (listen) {
      const tls = await tlsFor(listen, paths);
      const listener = await serving.listenTcp({ address: listen.address, tls }, tokenAuth);
      tcp = { ...listener, caFile: tls.caFile };
    }
    const info: DaemonInfo = {
      pid: process.pid,
      socket: paths.socket,
      ...(tcp ? { tcp: tcp.url, ca: tcp.caFile } : {}),
      startedAt: new Date().toISOString(),
      flags: setFlags({
        listen: opts.listen,
        tlsCert: opts.tlsCert,
        tlsKey: opts.tlsKey,
        database: opts.database?.url,
        allowEnvPassthrough: opts.allowEnvPassthrough,
        defaultIsolation: opts.defaultIsolation,
      }),
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
