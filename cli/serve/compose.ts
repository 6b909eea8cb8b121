/**
 * The composition root of `sidekick serve`: a runtime node. It attaches this machine to a control
 * plane (identity, registration, pinned server identity: api/runtime/node-connection.ts), keeps a
 * local store and journal of its own under `~/.sidekick/<name>/`, fills it from the control plane
 * with the mirror (the runs bound here and what they need), executes those runs with the same
 * controllers the daemon uses, renews its Lease, and sends status and journal back over NATS
 * JetStream from the local store as its outbox — so with the control plane or NATS away it goes on
 * working and catches up, in order, when they return.
 */
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ApiClient } from '../../api/client/client.js';
import { EventRecorder } from '../../api/events/recorder.js';
import { Journal, JOURNAL_MIGRATIONS } from '../../api/journal/journal.js';
import { Mirror } from '../../api/runtime/mirror.js';
import { connectNode } from '../../api/runtime/node-connection.js';
import { OUTBOX_MIGRATIONS } from '../../api/runtime/outbox.js';
import { RuntimePublisher } from '../../api/runtime/outbox-publisher.js';
import { runtimeStreamNamesFor } from '../../api/runtime/stream.js';
import { AdmittedStore } from '../../api/server/admitted-store.js';
import { openStore } from '../../api/store/open-store.js';
import { schemeResolver } from '../../api/store/scheme-resolver.js';
import type { Store } from '../../api/store/store.js';
import { isTerminalPhase } from '../../resources/kinds/run.js';
import { scheme } from '../../resources/index.js';
import { LocalDriverProbe } from '../../controllers/agent/probe.js';
import { buildNodeControllers } from '../../controllers/controller-set.js';
import { GitMountInspector } from '../../controllers/repomount/inspector.js';
import { CHECKPOINT_MIGRATIONS } from '../../controllers/run/checkpoints.js';
import { Manager } from '../../controllers/runtime/manager.js';
import { ProcessDriverLauncher } from '../../node/drivers/launcher.js';
import { ArtifactStore } from '../../node/workspace/artifact-store.js';
import { WorkspaceManager } from '../../node/workspace/workspace-manager.js';
import { startModelRelay } from '../../node/model-relay.js';
import { discoverCapabilities } from './capabilities.js';
import { NodeHeartbeat } from './heartbeat.js';
import { registrationOf, type ServeOptions } from './options.js';

/** A running node. */
export interface NodeHandle {
  name: string;
  /** The node's local store (its outbox) and journal. */
  store: Store;
  journal: Journal;
  stop(): Promise<void>;
  /** Resolves with the reason when the node cannot go on (it was revoked); `sidekick serve` then exits non-zero. */
  fatal: Promise<string>;
}

/** Where the node keeps its own state: `<home>/<name>/` (0700). */
async function nodeDirectories(root: string, workspace: string): Promise<{ root: string; database: string; artifacts: string; worktrees: string }> {
  const dirs = { root, database: join(root, 'node.db'), artifacts: join(root, 'artifacts'), worktrees: join(workspace, 'worktrees') };
  for (const dir of [root, dirs.artifacts, workspace, dirs.worktrees]) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
  }
  return dirs;
}

/** Attaches the node and starts everything; resolves once attached (registered or recognised). */
export async function startNode(opts: ServeOptions): Promise<NodeHandle> {
  const log = (line: string): void => opts.log.info(line);
  const capabilities = await discoverCapabilities();
  const conn = await connectNode({
    url: opts.url,
    token: opts.token,
    name: opts.name,
    repin: opts.repin,
    allowInsecure: opts.allowInsecure,
    credentialsFile: opts.credentialsFile,
    ...(opts.caFile ? { caFile: opts.caFile } : {}),
    registration: registrationOf(opts, { capabilities: capabilities.drivers, nodeInfo: capabilities.nodeInfo }),
    log: (line) => (line.startsWith('WARNING') ? opts.log.warning(line) : opts.log.info(line)),
  });
  const dirs = await nodeDirectories(opts.stateDir, opts.workspace);
  const ca = opts.caFile ? await readFile(opts.caFile, 'utf8') : undefined;
  // Model calls of agents whose key stays on the control plane go through its proxy.
  const relay = await startModelRelay({ url: conn.url, accessToken: () => conn.accessToken(), log });
  const store = await openStore({ kind: 'sqlite', path: dirs.database }, schemeResolver(scheme), {
    migrations: [JOURNAL_MIGRATIONS, CHECKPOINT_MIGRATIONS, OUTBOX_MIGRATIONS],
    onBackgroundError: (err) => log(`store: ${err instanceof Error ? err.message : String(err)}`),
  });
  const journal = new Journal(store);
  const client = new ApiClient({ baseUrl: conn.url, tokenProvider: () => conn.accessToken(), ...(ca ? { ca } : {}), ...(opts.allowInsecure ? { allowInsecureHttp: true } : {}) });
  const recorder = new EventRecorder({ store, component: `node/${opts.name}`, log });
  const controllers = buildNodeControllers({
    store: new AdmittedStore(store, scheme),
    journal,
    recorder,
    workspaces: new WorkspaceManager({ worktreesRoot: dirs.worktrees }),
    artifacts: new ArtifactStore(dirs.artifacts),
    launcher: new ProcessDriverLauncher({ allowEnvPassthrough: opts.allowEnvPassthrough, stateDir: dirs.root, log }),
    inspector: new GitMountInspector(),
    probe: new LocalDriverProbe(process.env, relay),
    modelRelay: relay,
    log,
  });
  const natsServers = opts.nats ?? conn.info.nats;
  let nats: NatsConnection | undefined;
  const connectNats = async (): Promise<NatsConnection> => {
    if (nats && !nats.isClosed()) return nats;
    nats = await connect({ servers: natsServers, name: `sidekick-node/${opts.name}`, maxReconnectAttempts: -1, reconnectTimeWait: 1000 });
    return nats;
  };
  const mirror = new Mirror({ client, store, nodeName: opts.name, log });
  // The stream of the control plane this node pinned (named by its identity).
  const names = runtimeStreamNamesFor(conn.info.identity.fingerprint);
  const publisher = new RuntimePublisher({ store, journal, connect: connectNats, nodeName: opts.name, sign: (bytes) => conn.sign(bytes), names, log });
  let fail: (reason: string) => void = () => undefined;
  const fatal = new Promise<string>((resolve) => (fail = resolve));
  const heartbeat = new NodeHeartbeat({ client, nodeName: opts.name, runs: () => controllers.runs.list((r) => !isTerminalPhase(r.status?.phase)).length, log, onRevoked: (message) => fail(message) });
  const manager = new Manager(log).add(mirror, heartbeat, publisher, ...controllers.runnables);

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await manager.stop();
      await controllers.stopDrivers();
      await recorder.close();
      await store.close();
      client.close();
      await relay.close();
      await nats?.close().catch(() => undefined);
    })());
  manager.start();
  log(`node ${opts.name} attached to ${conn.url} as ${conn.owner}'s (protocol v${conn.info.protocol.current}); NATS ${natsServers.join(',')}`);
  return { name: opts.name, store, journal, stop, fatal };
}
