/**
 * The control plane's ingest of runtime nodes' status and journal: one durable pull consumer of
 * the runtime stream, explicit acks, messages handled one at a time in stream order. Each message
 * is checked before anything is applied — signed by the key the control plane holds for the node
 * it names (unknown, revoked or a bad signature: terminated, never redelivered), the body naming
 * the same node — and then applied exactly once (./ingest-apply.ts). Only the leader runs it.
 */
import { jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { JsonWebKey } from 'node:crypto';
import { ApiError } from '../errors.js';
import type { Journal } from '../journal/journal.js';
import type { Store } from '../store/store.js';
import { IngestApplier, type IngestOutcome } from './ingest-apply.js';
import { verifyNodeSignature } from './node-key.js';
import { HEADER_NODE, HEADER_PROTOCOL, HEADER_SIGNATURE, RUNTIME_PROTOCOL, type JournalMessage, type ObjectMessage, type RuntimeMessage } from './protocol.js';
import { ensureRuntimeConsumer, ensureRuntimeStream, RUNTIME_STREAM_NAMES, type RuntimeStreamNames } from './stream.js';
import { sleep } from './wakeup.js';

export { INGEST_MIGRATIONS, mergeRunStatus, type IngestOutcome } from './ingest-apply.js';

export interface RuntimeIngestOptions {
  /**
   * The control plane's store. Pass the AdmittedStore: what a node sends is validated and
   * defaulted like a controller's write (a node is trusted to report, not to store malformed objects).
   */
  store: Store;
  journal: Journal;
  nats: NatsConnection;
  /** The node's public key, or undefined when the node is unknown or revoked (NodeRegistry.publicKeyOf). */
  keyOf: (node: string) => Promise<JsonWebKey | undefined>;
  log: (line: string) => void;
  names?: RuntimeStreamNames;
  /** How long an unacknowledged message waits before JetStream redelivers it (default 30 s). */
  ackWaitMs?: number;
  /** How long a message that came before its predecessor waits to be redelivered (default 1 s). */
  gapDelayMs?: number;
  /** Deliveries after which a journal gap is accepted (the missing event aged out of the stream; default 60). */
  gapGiveUpDeliveries?: number;
  /** Called with each message's outcome (metrics, tests). */
  onOutcome?: (outcome: IngestOutcome | 'rejected', subject: string) => void;
}

/** Consumes the runtime stream into the control plane's store and journal. A Runnable. */
export class RuntimeIngest {
  readonly name = 'runtime-ingest';
  private readonly names: RuntimeStreamNames;
  private readonly apply: IngestApplier;

  constructor(private readonly opts: RuntimeIngestOptions) {
    this.names = opts.names ?? RUNTIME_STREAM_NAMES;
    this.apply = new IngestApplier(opts.store, opts.journal, opts.log);
  }

  async start(signal: AbortSignal): Promise<void> {
    let delay = 200;
    while (!signal.aborted) {
      try {
        await this.consume(signal);
        delay = 200;
      } catch (err) {
        if (signal.aborted) break;
        this.opts.log(`runtime ingest: ${(err as Error).message}; retrying`);
        await sleep(delay, signal);
        delay = Math.min(delay * 2, 10_000);
      }
    }
  }

  private async consume(signal: AbortSignal): Promise<void> {
    const jsm = await jetstreamManager(this.opts.nats);
    await ensureRuntimeStream(jsm, { names: this.names });
    await ensureRuntimeConsumer(jsm, this.names, this.opts.ackWaitMs);
    const consumer = await jetstream(this.opts.nats).consumers.get(this.names.stream, this.names.consumer);
    const messages = await consumer.consume({ max_messages: 512 });
    const stop = (): void => void messages.stop();
    signal.addEventListener('abort', stop, { once: true });
    // What arrived while the last batch was applied is the next batch: one message when idle (no
    // waiting for company), hundreds in one transaction when catching up after an outage.
    const queue: JsMsg[] = [];
    let wake: (() => void) | undefined;
    let ended = false;
    const pump = (async () => {
      try {
        for await (const m of messages) {
          queue.push(m);
          wake?.();
        }
      } finally {
        ended = true;
        wake?.();
      }
    })();
    try {
      while (!signal.aborted) {
        if (queue.length === 0) {
          if (ended) break;
          await new Promise<void>((r) => (wake = r));
          wake = undefined;
          continue;
        }
        await this.handleBatch(queue.splice(0, 512));
      }
    } finally {
      signal.removeEventListener('abort', stop);
      await messages.close().catch(() => undefined);
      await pump.catch(() => undefined);
    }
  }

  /** Checks a batch, then applies it in stream order: consecutive journal events of a session in one transaction. */
  private async handleBatch(batch: JsMsg[]): Promise<void> {
    const keys = new Map<string, Promise<JsonWebKey | undefined>>();
    const keyOf = (node: string): Promise<JsonWebKey | undefined> => {
      if (!keys.has(node)) keys.set(node, this.opts.keyOf(node));
      return keys.get(node)!;
    };
    const good: Checked[] = [];
    for (const m of batch) {
      const checked = await this.check(m, keyOf);
      if (typeof checked !== 'string') {
        good.push(checked);
        continue;
      }
      this.opts.log(`runtime ingest: refused ${m.subject} (stream sequence ${m.seq}): ${checked}`);
      this.opts.onOutcome?.('rejected', m.subject);
      m.term(checked);
    }
    // A change superseded by a newer one of the same object in this batch is done already.
    const newest = new Map<string, number>();
    for (const c of good) if (c.body.kind === 'object') newest.set(objectKey(c), Math.max(newest.get(objectKey(c)) ?? 0, c.body.localResourceVersion));
    for (let i = 0; i < good.length; ) {
      const c = good[i];
      if (c.body.kind === 'object') {
        const outcome = c.body.localResourceVersion < (newest.get(objectKey(c)) ?? 0) ? 'duplicate' : undefined;
        await this.settle([c], () => (outcome ? Promise.resolve([outcome]) : this.apply.objectChange(c.node, c.body as ObjectMessage).then((o) => [o])));
        i++;
        continue;
      }
      const session = c.body.session;
      let j = i + 1;
      while (j < good.length && good[j].node === c.node && good[j].body.kind === 'journal' && (good[j].body as JournalMessage).session === session) j++;
      const group = good.slice(i, j);
      const acceptGap = c.m.info.deliveryCount >= (this.opts.gapGiveUpDeliveries ?? 60);
      await this.settle(group, () => this.apply.journalEvents(c.node, session, group.map((g) => g.body as JournalMessage), acceptGap));
      i = j;
    }
  }

  /** Applies, then acks (or naks for redelivery) each message of `group` by its outcome. */
  private async settle(group: Checked[], apply: () => Promise<IngestOutcome[]>): Promise<void> {
    let outcomes: IngestOutcome[];
    try {
      outcomes = await apply();
    } catch (err) {
      if (err instanceof ApiError && err.code >= 400 && err.code < 500) {
        // The object itself is wrong (invalid, forbidden): redelivering changes nothing.
        this.opts.log(`runtime ingest: refused ${group[0].m.subject} from ${group[0].node}: ${err.message}`);
        for (const g of group) (this.opts.onOutcome?.('refused', g.m.subject), g.m.ack());
        return;
      }
      this.opts.log(`runtime ingest: applying ${group[0].m.subject} failed, redelivering: ${(err as Error).message}`);
      for (const g of group) g.m.nak(this.opts.gapDelayMs ?? 1000);
      return;
    }
    for (const [k, g] of group.entries()) {
      const outcome = outcomes[k];
      this.opts.onOutcome?.(outcome, g.m.subject);
      if (outcome === 'gap') g.m.nak(this.opts.gapDelayMs ?? 1000);
      else g.m.ack();
    }
  }

  /** The node and body of a well-formed, correctly signed message, or why it is refused. */
  private async check(m: JsMsg, keyOf: (node: string) => Promise<JsonWebKey | undefined>): Promise<Checked | string> {
    const node = m.headers?.get(HEADER_NODE);
    const signature = m.headers?.get(HEADER_SIGNATURE);
    if (!node || !signature) return `missing ${HEADER_NODE} or ${HEADER_SIGNATURE} header`;
    const protocol = Number(m.headers?.get(HEADER_PROTOCOL) || NaN);
    if (!(protocol >= RUNTIME_PROTOCOL.oldest && protocol <= RUNTIME_PROTOCOL.current)) {
      return `node ${node} speaks protocol ${m.headers?.get(HEADER_PROTOCOL) || '(none)'}, this control plane ${RUNTIME_PROTOCOL.oldest}..${RUNTIME_PROTOCOL.current}`;
    }
    const key = await keyOf(node);
    if (!key) return `node ${node} is unknown or revoked`;
    if (!verifyNodeSignature(key, m.data, signature)) return `the signature is not node ${node}'s`;
    let body: RuntimeMessage;
    try {
      body = JSON.parse(new TextDecoder().decode(m.data)) as RuntimeMessage;
    } catch {
      return 'the body is not JSON';
    }
    if (body.node !== node) return `the body names node ${String(body.node)}, the header ${node}`;
    if (body.kind !== 'journal' && body.kind !== 'object') return `unknown message kind ${String((body as { kind?: unknown }).kind)}`;
    return { m, node, body };
  }
}

/** A message that passed the checks. */
interface Checked {
  m: JsMsg;
  node: string;
  body: RuntimeMessage;
}

function objectKey(c: Checked): string {
  const b = c.body as ObjectMessage;
  return `${c.node}/${b.plural}/${b.object.metadata?.namespace ?? ''}/${b.object.metadata?.name ?? ''}`;
}
