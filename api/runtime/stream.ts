/**
 * The JetStream stream runtime nodes publish their status and journal to, and the control plane's
 * durable consumer of it. Both sides call `ensureRuntimeStream` (idempotent), so whichever starts
 * first makes it; tests pass their own stream name and subject prefix to stay apart.
 */
import { AckPolicy, DeliverPolicy, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { RUNTIME_CONSUMER, RUNTIME_STREAM, RUNTIME_SUBJECTS, subjectToken, type RuntimeMessage } from './protocol.js';

/** Where runtime messages travel: the stream, its subject prefix and the control plane's consumer. */
export interface RuntimeStreamNames {
  stream: string;
  /** Subjects are `<prefix>.<node>.<journal|object>`; the stream holds `<prefix>.>`. */
  subjectPrefix: string;
  consumer: string;
}

/** The production names (protocol.ts). */
export const RUNTIME_STREAM_NAMES: RuntimeStreamNames = {
  stream: RUNTIME_STREAM,
  subjectPrefix: RUNTIME_SUBJECTS.replace(/\.>$/, ''),
  consumer: RUNTIME_CONSUMER,
};

/**
 * The names of one control plane's stream, told apart by its identity (the fingerprint of its
 * signing key, which its nodes pin): control planes that share a NATS server never read each
 * other's nodes' messages, and a rebuilt control plane (a new identity) starts a stream of its own.
 */
export function runtimeStreamNamesFor(fingerprint: string): RuntimeStreamNames {
  const id = fingerprint.slice(0, 16);
  // Another first token than the default names' (`sidekick.runtime.v1.>`): JetStream refuses a
  // stream whose subjects overlap an existing stream's, such as one an earlier version made.
  return { stream: `${RUNTIME_STREAM}_${id}`, subjectPrefix: `sidekick-runtime.v1.${id}`, consumer: RUNTIME_CONSUMER };
}

/** Tunables of the stream. */
export interface RuntimeStreamOptions {
  names?: RuntimeStreamNames;
  /**
   * How long JetStream remembers a Nats-Msg-Id (default 10 min): a node that re-sends within it
   * (a lost publish ack) is stored once. Longer outages are caught by the ingest's own tables.
   */
  duplicateWindowMs?: number;
  /** How long messages are kept (default 7 days): the longest the control plane may be away. */
  maxAgeMs?: number;
}

export const DEFAULT_DUPLICATE_WINDOW_MS = 10 * 60_000;
export const DEFAULT_MAX_AGE_MS = 7 * 24 * 3600_000;

/** The subject a node publishes one kind of message on. */
export function subjectFor(names: RuntimeStreamNames, nodeName: string, kind: RuntimeMessage['kind']): string {
  return `${names.subjectPrefix}.${subjectToken(nodeName)}.${kind}`;
}

/**
 * Creates the stream, or brings an existing one to this configuration. File storage and limits
 * retention: messages stay after the control plane consumed them (until max age), so a rebuilt
 * consumer or a second reader can replay; the ingest's tables make a replay change nothing.
 */
export async function ensureRuntimeStream(jsm: JetStreamManager, opts: RuntimeStreamOptions = {}): Promise<void> {
  const names = opts.names ?? RUNTIME_STREAM_NAMES;
  const config = {
    name: names.stream,
    subjects: [`${names.subjectPrefix}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    duplicate_window: nanos(opts.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS),
    max_age: nanos(opts.maxAgeMs ?? DEFAULT_MAX_AGE_MS),
  };
  const existing = await jsm.streams.info(names.stream).catch(() => undefined);
  if (!existing) {
    try {
      await jsm.streams.add(config);
      return;
    } catch (err) {
      // Another replica or node made it at the same moment: fall through to the update.
      if (!(await jsm.streams.info(names.stream).catch(() => undefined))) throw err;
    }
  }
  const { name: _name, storage: _storage, ...changeable } = config;
  await jsm.streams.update(names.stream, changeable);
}

/**
 * Creates (or keeps) the control plane's durable pull consumer: explicit acks, from the start of
 * the stream, redelivered without limit (a message is only done when the ingest applied or refused it).
 */
export async function ensureRuntimeConsumer(jsm: JetStreamManager, names: RuntimeStreamNames = RUNTIME_STREAM_NAMES, ackWaitMs = 30_000): Promise<void> {
  const existing = await jsm.consumers.info(names.stream, names.consumer).catch(() => undefined);
  if (existing) return;
  await jsm.consumers.add(names.stream, {
    durable_name: names.consumer,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(ackWaitMs),
    max_deliver: -1,
  });
}
