/**
 * The runtime node's publisher: sends the node's journal events and object changes to JetStream,
 * reading them from the local store (the outbox, ./outbox.ts) and moving its cursors only after
 * JetStream acknowledged. Each pass fixes the store's resourceVersion first, then sends every
 * journal event past the cursors, then the object changes up to that version — so a status never
 * reaches the control plane before the journal events committed with (or before) it. With NATS
 * away the node works on; the publisher retries with backoff and catches up in order.
 */
import { createHash } from 'node:crypto';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection } from '@nats-io/transport-node';
import { canonicalJson } from '../../resources/canonical-json.js';
import type { KubeObject } from '../../resources/meta.js';
import type { Journal } from '../journal/journal.js';
import type { Store } from '../store/store.js';
import {
  advanceCursors,
  journalBacklog,
  objectBacklog,
  PUBLISHED_PLURALS,
  readObjectChanges,
  type OutboxChange,
} from './outbox.js';
import { HEADER_NODE, HEADER_PROTOCOL, HEADER_SIGNATURE, RUNTIME_PROTOCOL, type JournalMessage, type ObjectMessage, type RuntimeMessage } from './protocol.js';
import { RUNTIME_STREAM_NAMES, subjectFor, type RuntimeStreamNames } from './stream.js';
import { sleep, Wakeup } from './wakeup.js';

export interface RuntimePublisherOptions {
  /** The node's local store (the outbox): it must be migrated with OUTBOX_MIGRATIONS and the journal's. */
  store: Store;
  journal: Journal;
  /** Opens a NATS connection; called again after a failure or when the connection closed. */
  connect: () => Promise<NatsConnection>;
  nodeName: string;
  /** Signs a message body with the node's key (base64url). */
  sign: (bytes: Uint8Array) => string;
  log: (line: string) => void;
  names?: RuntimeStreamNames;
  /** How long a publish waits for JetStream's ack (default 5 s). */
  publishTimeoutMs?: number;
  /** Messages in flight at once (default 256). */
  window?: number;
  /** First and longest wait between tries while NATS is away (default 200 ms, 10 s). */
  backoffMs?: { initial: number; max: number };
  /** A pass runs at least this often even when nothing rang (default 5 s). */
  pollMs?: number;
}

/** A message ready to send: its subject, de-duplication id and body. */
interface Outgoing {
  subject: string;
  msgId: string;
  body: RuntimeMessage;
}

/** Sends a node's status and journal to the control plane over JetStream. A Runnable. */
/** Journal events one pass publishes at most (a long backlog goes in several passes, each committing its cursors). */
const MAX_JOURNAL_PER_PASS = 4096;

/** A short digest of an object's content (part of its message id). */
function contentDigest(object: unknown): string {
  return createHash('sha256').update(JSON.stringify(object)).digest('base64url').slice(0, 16);
}

export class RuntimePublisher {
  readonly name = 'runtime-publisher';
  private readonly names: RuntimeStreamNames;
  private readonly wakeup = new Wakeup();
  private nc: NatsConnection | undefined;
  private js: JetStreamClient | undefined;

  constructor(private readonly opts: RuntimePublisherOptions) {
    this.names = opts.names ?? RUNTIME_STREAM_NAMES;
  }

  /** Journal events and object changes not yet acknowledged by JetStream. */
  async backlog(): Promise<number> {
    const sessions = await journalBacklog(this.opts.store);
    return sessions.reduce((n, s) => n + s.head - s.cursor, 0) + (await objectBacklog(this.opts.store));
  }

  async start(signal: AbortSignal): Promise<void> {
    const stopWatching = this.watchForWork(signal);
    const backoff = this.opts.backoffMs ?? { initial: 200, max: 10_000 };
    let delay = backoff.initial;
    let failing = false;
    try {
      while (!signal.aborted) {
        try {
          await this.pass(signal);
          if (failing) this.opts.log('runtime publisher: caught up with JetStream again');
          failing = false;
          delay = backoff.initial;
          await this.wakeup.wait(this.opts.pollMs ?? 5000, signal);
        } catch (err) {
          if (signal.aborted) break;
          // One line when the trouble starts, not one per retry.
          if (!failing) this.opts.log(`runtime publisher: ${(err as Error).message}; the node keeps working and retries`);
          failing = true;
          await this.dropConnectionIfClosed();
          await sleep(delay, signal);
          delay = Math.min(delay * 2, backoff.max);
        }
      }
    } finally {
      stopWatching();
      await this.nc?.close().catch(() => undefined);
      this.nc = this.js = undefined;
    }
  }

  /**
   * One pass: fix the version, then send the journal past the cursors and the object changes up to
   * that version in one ordered burst (one wait for the acks, one cursor commit). When the journal
   * has more than a pass takes, the objects wait for the next pass: a status never goes before the
   * events committed before it.
   */
  private async pass(signal: AbortSignal): Promise<void> {
    for (;;) {
      const objects = await readObjectChanges(this.opts.store);
      const journal = await this.journalMessages(signal);
      const objectsNow = !journal.more;
      const out = [...journal.out, ...(objectsNow ? objects.changes.map((c) => this.objectMessage(c, objects.relisted)).filter((m): m is Outgoing => m !== undefined) : [])];
      if (out.length) await this.publishAll(out);
      await advanceCursors(this.opts.store, journal.cursors, objectsNow ? objects.upTo : undefined);
      // A page of a long history: go on at once; otherwise wait for the next ring.
      if (signal.aborted || (!objects.more && !journal.more)) return;
    }
  }

  /** The journal events past the cursors (at most MAX_JOURNAL_PER_PASS), and where the cursors go once they are acknowledged. */
  private async journalMessages(signal: AbortSignal): Promise<{ out: Outgoing[]; cursors: { session: string; sequence: number }[]; more: boolean }> {
    const out: Outgoing[] = [];
    const cursors: { session: string; sequence: number }[] = [];
    let more = false;
    for (const s of await journalBacklog(this.opts.store)) {
      let cursor = s.cursor;
      while (cursor < s.head && !signal.aborted) {
        if (out.length >= MAX_JOURNAL_PER_PASS) {
          more = true;
          break;
        }
        const page = await this.opts.journal.read(s.session, { after: cursor, limit: Math.min(this.opts.window ?? 256, MAX_JOURNAL_PER_PASS - out.length) });
        if (page.events.length === 0) break;
        for (const event of page.events) {
          const body: JournalMessage = { kind: 'journal', node: this.opts.nodeName, session: s.session, event };
          // The event's id (a UUIDv7) is unique for ever: a node whose store was started afresh, or
          // another node of the same name, never has a new event taken for a duplicate.
          out.push({ subject: subjectFor(this.names, this.opts.nodeName, 'journal'), msgId: `${this.opts.nodeName}:j:${event.id}`, body });
        }
        cursor = page.next;
      }
      if (cursor > s.cursor) cursors.push({ session: s.session, sequence: cursor });
      if (more) break;
    }
    return { out, cursors, more };
  }

  /** The message for one change, or undefined when the control plane has nothing to learn from it. */
  private objectMessage(change: OutboxChange, relisted: boolean): Outgoing | undefined {
    const { plural, object, prev } = change;
    // Deletions stay local: the control plane owns the lifecycle of what it gave the node, and
    // the node's own objects die with their run there (ownerReferences).
    if (change.type === 'DELETED') return undefined;
    const statusOnly = plural === 'runs' || plural === 'interventions';
    if (plural === 'runs' && (object.spec as { nodeName?: string } | undefined)?.nodeName !== this.opts.nodeName) return undefined;
    if (statusOnly && object.status === undefined) return undefined;
    if (!relisted && prev && sameContent(prev, object, statusOnly)) return undefined;
    const meta = object.metadata;
    const body: ObjectMessage = { kind: 'object', node: this.opts.nodeName, plural, type: change.type, localResourceVersion: change.resourceVersion, object };
    return {
      subject: subjectFor(this.names, this.opts.nodeName, 'object'),
      // uid, local version and content: a store started afresh reuses versions, and only an
      // identical message may be dropped as a duplicate.
      msgId: `${this.opts.nodeName}:o:${meta.uid ?? ''}:${change.resourceVersion}:${contentDigest(object)}`,
      body,
    };
  }

  /**
   * Publishes in order with up to `window` in flight; throws at the first message JetStream did
   * not acknowledge (everything before it is stored; the retry re-sends from there, and the
   * Nats-Msg-Id makes a re-sent one that had been stored count once).
   */
  private async publishAll(out: Outgoing[]): Promise<void> {
    const js = await this.jetstream();
    const window = this.opts.window ?? 256;
    for (let i = 0; i < out.length; i += window) {
      const batch = out.slice(i, i + window);
      const results = await Promise.allSettled(batch.map((m) => this.publishOne(js, m)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw new Error(`publishing to JetStream failed: ${(failed.reason as Error)?.message ?? String(failed.reason)}`);
    }
  }

  private async publishOne(js: JetStreamClient, m: Outgoing): Promise<void> {
    const data = new TextEncoder().encode(JSON.stringify(m.body));
    const h = natsHeaders();
    h.set(HEADER_NODE, this.opts.nodeName);
    h.set(HEADER_SIGNATURE, this.opts.sign(data));
    h.set(HEADER_PROTOCOL, String(RUNTIME_PROTOCOL.current));
    await js.publish(m.subject, data, { msgID: m.msgId, headers: h, timeout: this.opts.publishTimeoutMs ?? 5000 });
  }

  private async jetstream(): Promise<JetStreamClient> {
    if (this.nc && !this.nc.isClosed() && this.js) return this.js;
    this.nc = await this.opts.connect();
    this.js = jetstream(this.nc);
    return this.js;
  }

  private async dropConnectionIfClosed(): Promise<void> {
    if (this.nc?.isClosed()) this.nc = this.js = undefined;
  }

  /** Rings the doorbell on every local change of a published kind and every journal append. */
  private watchForWork(signal: AbortSignal): () => void {
    const off = this.opts.journal.onAppend(() => this.wakeup.ring());
    for (const plural of PUBLISHED_PLURALS) {
      void (async () => {
        while (!signal.aborted) {
          try {
            for await (const _ of this.opts.store.watch(plural, {}, signal)) this.wakeup.ring();
          } catch {
            // A watch that fell behind ends (410); the poll covers the gap until it is back.
          }
          if (!signal.aborted) await sleep(1000, signal);
        }
      })();
    }
    return off;
  }
}

/** Whether a change altered nothing the control plane takes from it. */
function sameContent(a: KubeObject, b: KubeObject, statusOnly: boolean): boolean {
  if (statusOnly) return canonicalJson(a.status ?? null) === canonicalJson(b.status ?? null);
  const strip = (o: KubeObject): unknown => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined, managedFields: undefined } });
  return canonicalJson(strip(a)) === canonicalJson(strip(b));
}
