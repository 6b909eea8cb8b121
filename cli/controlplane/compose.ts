/**
 * The composition root of `sidekick controlplane`: one stateless replica of the team's server.
 * The API server reads and writes the shared Postgres store (every replica serves the same
 * answers; watches hear other replicas' commits through the store's change feed); the cluster
 * controllers run only while this replica holds the `sidekick-controlplane` Lease, built afresh
 * each term; NATS JetStream is connected for the runtime nodes' status. Tokens are verified with
 * the signing key every replica shares, so no replica keeps state of its own.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { CedarAuthorizer } from '../../api/auth/authorizer.js';
import { AuthzModel } from '../../api/auth/model.js';
import { loadSigningKey } from '../../api/auth/signing-key.js';
import { SignedTokens } from '../../api/auth/signed-tokens.js';
import { TokenStore } from '../../api/auth/token-store.js';
import { EventRecorder } from '../../api/events/recorder.js';
import { Journal } from '../../api/journal/journal.js';
import { AdmittedStore } from '../../api/server/admitted-store.js';
import { RequestAuthorizer } from '../../api/server/authorization.js';
import { HealthChecks } from '../../api/server/health.js';
import { ApiServer } from '../../api/server/http.js';
import { ServerMetrics } from '../../api/server/metrics.js';
import { requestAuthority } from '../../api/server/remember-admission.js';
import { ServingApi } from '../../api/server/serving.js';
import { ApiService } from '../../api/server/service.js';
import { openStore } from '../../api/store/open-store.js';
import { schemeResolver } from '../../api/store/scheme-resolver.js';
import type { Store } from '../../api/store/store.js';
import { scheme } from '../../resources/index.js';
import { buildClusterControllers } from '../../controllers/controller-set.js';
import { LeaderElector, timingsFor } from '../../controllers/runtime/leader-election.js';
import { Manager, type Runnable } from '../../controllers/runtime/manager.js';
import { WorkspaceManager } from '../../node/workspace/workspace-manager.js';
import { NodeAuthenticator } from '../../api/runtime/node-auth.js';
import { NodeRegistry } from '../../api/runtime/node-registry.js';
import { RuntimeApi } from '../../api/runtime/runtime-api.js';
import { CLI_VERSION } from '../version.js';
import { featureMigrations } from './migrations.js';
import { RuntimeIngest } from '../../api/runtime/ingest.js';
import { ensureRuntimeStream, runtimeStreamNamesFor, type RuntimeStreamNames } from '../../api/runtime/stream.js';
import { keyFingerprint } from '../../api/runtime/identity.js';
import { modelProxyRoutes } from '../../api/runtime/model-proxy.js';
import { checkControlPlaneOptions, CONTROLPLANE_LEASE, redactUrl, type ControlPlaneOptions } from './options.js';

export { checkControlPlaneOptions, type ControlPlaneOptions } from './options.js';

/** The name requests from no token act as: no identity can carry it (it is not a valid identity name). */
const CONTROLPLANE_OWNER = 'system:controlplane';

/** A running replica. */
export interface ControlPlaneHandle {
  replicaId: string;
  /** `https://HOST:PORT` (http on loopback without TLS). */
  url: string;
  store: Store;
  journal: Journal;
  nats: NatsConnection;
  /** Registered runtime nodes: their public keys (the ingest verifies signatures with them), owners, revocations. */
  nodes: NodeRegistry;
  /** Whether this replica holds the lease (runs the cluster controllers). */
  isLeader(): boolean;
  /** Marks the replica unready, hands the lease over, stops controllers and listeners, closes the store and NATS. */
  stop(): Promise<void>;
}

/** Connects to NATS and checks JetStream is enabled there (the nodes' status stream needs it). */
async function connectNats(servers: string[], replicaId: string, names: RuntimeStreamNames, log: (line: string) => void): Promise<NatsConnection> {
  const nc = await connect({ servers, name: `sidekick-controlplane/${replicaId}`, maxReconnectAttempts: -1, reconnectTimeWait: 1000 });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.getAccountInfo().catch((err: Error) => {
      throw new Error(`--nats: JetStream is not enabled on ${servers.join(',')} (start nats-server with -js): ${err.message}`);
    });
    // Nodes publish before any replica leads (and the leader's ingest consumes): the stream is there from the start.
    await ensureRuntimeStream(jsm, { names }).catch((err: Error) => {
      throw new Error(`--nats: cannot create the nodes' stream ${names.stream} on ${servers.join(',')}: ${err.message}`);
    });
  } catch (err) {
    await nc.close();
    throw err;
  }
  void (async () => {
    for await (const s of nc.status()) if (s.type === 'disconnect' || s.type === 'reconnect') log(`nats: ${s.type}`);
  })().catch(() => undefined);
  return nc;
}

/** `sidekick_leader_is_leader` is 1 exactly while a term of leadership runs. */
function leadershipGauge(metrics: ServerMetrics): Runnable {
  return {
    name: 'leader-gauge',
    start: async (signal) => {
      metrics.setLeader(true);
      await new Promise<void>((done) => (signal.aborted ? done() : signal.addEventListener('abort', () => done(), { once: true })));
      metrics.setLeader(false);
    },
  };
}

/** Starts a replica: serving, and campaigning for the lease, when the promise resolves. */
export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlaneHandle> {
  const log = opts.log ?? (() => undefined);
  const { listen, natsServers } = await checkControlPlaneOptions(opts);
  if (opts.allowInsecureDatabase) log(`WARNING: --allow-insecure-database: talking to ${redactUrl(opts.database)} without verified TLS`);
  const key = await loadSigningKey(opts.signingKey, { warn: log });
  const authorizer = await CedarAuthorizer.load(new AuthzModel(scheme), undefined);
  const stateDir = opts.stateDir ?? (await mkdtemp(join(tmpdir(), 'sidekick-controlplane-')));
  // Identity tokens are signed on the control plane; this store stays empty (the API's token
  // endpoints answer from it), so nothing a replica keeps on its own disk decides anything.
  const tokens = await TokenStore.open(join(stateDir, 'tokens.json'));

  // This control plane's own stream, named by its identity (what its nodes pin).
  const streamNames = runtimeStreamNamesFor(keyFingerprint(key.publicKey));
  const nats = await connectNats(natsServers, opts.replicaId, streamNames, log);
  const metrics = new ServerMetrics();
  const health = new HealthChecks({ log });
  let store: Store;
  try {
    store = await openStore({ kind: 'postgres', url: opts.database }, schemeResolver(scheme), {
      metrics: metrics.store,
      historyLimit: opts.historySize,
      ...(opts.historyRetentionMs !== undefined ? { historyRetentionMs: opts.historyRetentionMs } : {}),
      migrations: featureMigrations(),
      onBackgroundError: (err) => log(`store: ${err instanceof Error ? err.message : String(err)}`),
    });
  } catch (err) {
    await nats.close();
    throw err;
  }
  const recorder = new EventRecorder({ store, component: 'sidekick-controlplane', log });
  const service = new ApiService({ store, scheme, recorder, authority: requestAuthority(new RequestAuthorizer({ authorizer, tokens, owner: CONTROLPLANE_OWNER, store })) });
  // Another replica (the leader's ingest of nodes' events) appends too: live follows also poll.
  const journal = new Journal(store, { pollMs: 500 });
  const signed = new SignedTokens(key);
  const nodes = new NodeRegistry(store);
  // Node access tokens are signed tokens too; this adds the per-request revocation check for nodes.
  const tokenAuth = new NodeAuthenticator(signed, nodes);
  const runtime = new RuntimeApi({
    store,
    objects: new AdmittedStore(store, scheme),
    key,
    tokens: signed,
    auth: tokenAuth,
    serverVersion: CLI_VERSION,
    nats: natsServers,
    routes: modelProxyRoutes({ store, log }),
    log,
  });
  const api = new ApiServer({ service, scheme, journal, log, authorization: { authorizer, tokens, owner: CONTROLPLANE_OWNER }, health, metrics, prefixHandlers: [runtime] });
  const serving = new ServingApi(api);
  const elector = new LeaderElector({
    store,
    identity: opts.replicaId,
    name: CONTROLPLANE_LEASE,
    namespace: 'default',
    ...(opts.leaseDurationMs !== undefined ? timingsFor(opts.leaseDurationMs) : {}),
    log,
  });
  const controllerRecorder = new EventRecorder({ store, component: 'controlplane-controller', log });
  const workspaces = new WorkspaceManager({ worktreesRoot: join(stateDir, 'worktrees') });
  // The controllers of the current term of leadership (each term lists the world afresh).
  let term: { synced(): boolean } | undefined;
  const manager = new Manager(log)
    .add(serving)
    .useLeaderElection(elector)
    .addElected(() => {
      const set = buildClusterControllers({ store: new AdmittedStore(store, scheme), journal, recorder: controllerRecorder, workspaces, metrics, log, nodeMonitorGraceMs: opts.nodeMonitorGraceMs, nodeLostGraceMs: opts.nodeLostGraceMs });
      term = set;
      // The nodes' status and journal, applied by one consumer (the stream's order is the nodes' order).
      const ingest = new RuntimeIngest({ store: new AdmittedStore(store, scheme), journal, nats, keyOf: (node) => nodes.publicKeyOf(node), names: streamNames, log });
      return [leadershipGauge(metrics), ...set.runnables, ingest];
    });

  // Ready: migrated (before listening), the store answers, NATS is connected, and a leader's
  // controllers decide on a full cache. Leading is not readiness: followers serve the API too.
  health.add('store', async () => void (await store.currentResourceVersion()));
  health.add('informers-synced', () => {
    if (manager.isLeader() && term && !term.synced()) throw new Error('the leader\'s informers have not listed yet');
  });
  health.add('nats', () => {
    if (nats.isClosed()) throw new Error('the NATS connection is closed');
    if (nats.isDraining()) throw new Error('the NATS connection is draining');
  });

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await manager.stop();
      await serving.close();
      await controllerRecorder.close();
      await recorder.close();
      await store.close();
      await nats.close().catch(() => undefined);
    })());

  try {
    const tls = listen.given ? { cert: listen.given.cert, key: listen.given.key } : undefined;
    const listener = await serving.listenTcp({ address: listen.address, ...(tls ? { tls } : {}) }, tokenAuth);
    manager.start();
    return { replicaId: opts.replicaId, url: listener.url, store, journal, nats, nodes, isLeader: () => elector.isLeader(), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
