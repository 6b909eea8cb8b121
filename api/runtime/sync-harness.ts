/**
 * A runtime node's outbox and a control plane's ingest on one machine, wired over a real NATS and
 * real stores (the node's SQLite, the control plane's Postgres): what the sync tests and
 * `npm run bench:runtime-sync` run against. Not used by the product itself.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { scheme } from '../../resources/index.js';
import type { KubeObject } from '../../resources/meta.js';
import { Journal, JOURNAL_MIGRATIONS } from '../journal/journal.js';
import { AdmittedStore } from '../server/admitted-store.js';
import type { ObjectStore } from '../store/object-store.js';
import { openStore } from '../store/open-store.js';
import { schemeResolver } from '../store/scheme-resolver.js';
import type { Store } from '../store/store.js';
import { INGEST_MIGRATIONS, RuntimeIngest, type RuntimeIngestOptions } from './ingest.js';
import { generateNodeKey, signWithNodeKey, type NodeKeyPair } from './node-key.js';
import { OUTBOX_MIGRATIONS } from './outbox.js';
import { RuntimePublisher, type RuntimePublisherOptions } from './outbox-publisher.js';
import { ensureRuntimeStream, type RuntimeStreamNames } from './stream.js';

/** Stream, subjects and consumer no other test or bench uses. */
export function uniqueStreamNames(label: string): RuntimeStreamNames {
  const id = `${label}_${randomBytes(4).toString('hex')}`.toUpperCase();
  return { stream: `SKTEST_${id}`, subjectPrefix: `sktest.${id.toLowerCase()}`, consumer: 'controlplane' };
}

/** Connects to NATS retrying forever in the background (the node's and the control plane's setting). */
export function connectNats(url: string, name: string): Promise<NatsConnection> {
  return connect({ servers: [url], name, maxReconnectAttempts: -1, reconnectTimeWait: 100, timeout: 2000 });
}

/** A node's side: its SQLite store and journal, and the publisher over them (not started). */
export interface NodeSide {
  name: string;
  key: NodeKeyPair;
  store: ObjectStore;
  journal: Journal;
  publisher: RuntimePublisher;
  close(): Promise<void>;
}

export async function openNodeSide(opts: {
  name: string;
  natsUrl: () => string;
  names: RuntimeStreamNames;
  log?: (line: string) => void;
  historyLimit?: number;
  publisher?: Partial<RuntimePublisherOptions>;
}): Promise<NodeSide> {
  const dir = mkdtempSync(join(tmpdir(), 'sk-node-'));
  const store = await openStore({ kind: 'sqlite', path: join(dir, 'node.db') }, schemeResolver(scheme), {
    migrations: [JOURNAL_MIGRATIONS, OUTBOX_MIGRATIONS],
    ...(opts.historyLimit ? { historyLimit: opts.historyLimit } : {}),
  });
  const journal = new Journal(store);
  const key = generateNodeKey();
  const publisher = new RuntimePublisher({
    store,
    journal,
    connect: () => connectNats(opts.natsUrl(), `node/${opts.name}`),
    nodeName: opts.name,
    sign: (bytes) => signWithNodeKey(key.privateKey, bytes),
    log: opts.log ?? (() => undefined),
    names: opts.names,
    backoffMs: { initial: 50, max: 500 },
    publishTimeoutMs: 2000,
    ...opts.publisher,
  });
  return {
    name: opts.name,
    key,
    store,
    journal,
    publisher,
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The control plane's side: its Postgres store (raw and admitted), journal and ingest (not started). */
export interface ControlPlaneSide {
  raw: ObjectStore;
  store: Store;
  journal: Journal;
  nats: NatsConnection;
  ingest: RuntimeIngest;
  close(): Promise<void>;
}

export async function openControlPlaneSide(opts: {
  pgUrl: string;
  natsUrl: string;
  names: RuntimeStreamNames;
  keys: Map<string, NodeKeyPair['publicKey']>;
  log?: (line: string) => void;
  ingest?: Partial<RuntimeIngestOptions>;
}): Promise<ControlPlaneSide> {
  const raw = await openStore({ kind: 'postgres', url: opts.pgUrl }, schemeResolver(scheme), { migrations: [JOURNAL_MIGRATIONS, INGEST_MIGRATIONS], changePollMs: 50 });
  const store = new AdmittedStore(raw, scheme);
  const journal = new Journal(raw);
  const nats = await connectNats(opts.natsUrl, 'controlplane');
  await ensureRuntimeStream(await jetstreamManager(nats), { names: opts.names });
  const ingest = new RuntimeIngest({ store, journal, nats, keyOf: async (n) => opts.keys.get(n), log: opts.log ?? (() => undefined), names: opts.names, gapDelayMs: 100, ...opts.ingest });
  return {
    raw,
    store,
    journal,
    nats,
    ingest,
    close: async () => {
      await nats.close().catch(() => undefined);
      await raw.close();
    },
  };
}

/**
 * Puts a run on both sides as the mirror would: created on the control plane bound to the node,
 * then copied into the node's store with the same uid (the mirror's keepIdentity; here by a
 * direct row update, so this harness does not depend on it).
 */
export async function bindRun(cp: Store, node: ObjectStore, run: KubeObject): Promise<KubeObject> {
  const made = await cp.create('runs', run);
  const local = await node.create('runs', { ...run, metadata: { ...run.metadata } });
  const uid = made.metadata.uid as string;
  await node.transaction(async (tx) => {
    await tx.execute(`UPDATE sk_objects SET uid = ?, object = json_set(object, '$.metadata.uid', ?) WHERE plural = 'runs' AND namespace = ? AND name = ?`, [
      uid,
      uid,
      local.metadata.namespace,
      local.metadata.name,
    ]);
  });
  return node.get('runs', local.metadata.namespace ?? '', local.metadata.name ?? '');
}

/** A Run manifest for `session` bound to `nodeName`. */
export function runFor(namespace: string, name: string, session: string, nodeName: string): KubeObject {
  return {
    apiVersion: 'sidekicks.dev/v1alpha1',
    kind: 'Run',
    metadata: { namespace, name },
    spec: { session, agent: 'scripted', prompt: 'do it', nodeName },
  } as KubeObject;
}
