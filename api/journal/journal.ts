/**
 * The session journal: an append-only, hash-chained event log per session, stored in the store's
 * own database so an event commits in the same transaction as the state change it records.
 * Reads by cursor, live follow (backlog then live, no gap, no duplicate), and chain verification.
 */
import { v7 as uuidv7 } from 'uuid';
import type { ExtraReads, ExtraWrites, Store } from '../store/store.js';
import type { MigrationSet } from '../store/backend.js';
import { forDialect as sql } from '../store/placeholders.js';
import { GENESIS_HASH, hashEvent, type JournalEvent, type JournalEventInput } from './event.js';

export const JOURNAL_MIGRATIONS: MigrationSet = {
  component: 'journal',
  sqlite: [
    [
      `CREATE TABLE sk_journal (
         session TEXT NOT NULL, sequence INTEGER NOT NULL, run TEXT, type TEXT NOT NULL,
         event TEXT NOT NULL, hash TEXT NOT NULL,
         PRIMARY KEY (session, sequence)) WITHOUT ROWID`,
      `CREATE INDEX sk_journal_run ON sk_journal (session, run, sequence)`,
    ],
  ],
  postgres: [
    [
      `CREATE TABLE sk_journal (
         session TEXT NOT NULL, sequence BIGINT NOT NULL, run TEXT, type TEXT NOT NULL,
         event TEXT NOT NULL, hash TEXT NOT NULL,
         PRIMARY KEY (session, sequence))`,
      `CREATE INDEX sk_journal_run ON sk_journal (session, run, sequence)`,
    ],
  ],
};

export interface ReadOptions {
  /** Return events with sequence > after (default 0). */
  after?: number;
  /** Page size (default 100, at most 10,000). */
  limit?: number;
  run?: string;
  /**
   * Only events of the run with this uid (with `run`): the history of one object, not of every
   * run that had its name. Events written before runUid existed carry none and are kept.
   */
  runUid?: string;
  /** Exact types or prefixes ending in `.` / `*` (`tool.`, `run.*`). */
  types?: string[];
}

export interface ReadResult {
  events: JournalEvent[];
  /** The cursor to pass as `after` for the next page. */
  next: number;
  hasMore: boolean;
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  /** The first sequence whose stored event does not hash to its recorded hash or link. */
  brokenAt?: number;
  reason?: string;
}

type Listener = (events: JournalEvent[]) => void;

/** `namespace/name` of a session. */
export function sessionKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** The journal over a Store that offers transactions (ObjectStore always does). */
export class Journal {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly appendListeners = new Set<(session: string) => void>();
  /**
   * Where reads go: the store's read snapshots, beside its write queue, so a read never waits for
   * queued appends (yet sees every acknowledged one); a store without them reads in a transaction.
   */
  private readonly reads: <T>(fn: (r: ExtraReads) => Promise<T>) => Promise<T>;

  /**
   * @param opts.pollMs how often a live `follow` also reads the database: on a control plane with
   *   several replicas another replica (the leader's ingest of a node's events) appends, and this
   *   process's listeners never hear it. Undefined: listeners alone (one process owns the store).
   */
  constructor(
    private readonly store: Store,
    private readonly opts: { pollMs?: number } = {},
  ) {
    if (!store.transaction) throw new Error('journal: the store does not offer transactions');
    this.reads = store.readTransaction ? (fn) => store.readTransaction!(fn) : (fn) => store.transaction!(fn);
  }

  /**
   * Appends events to a session's log. With `tx` the events join that transaction (the state
   * change they record); otherwise they commit on their own.
   */
  async append(session: string, inputs: JournalEventInput[], tx?: ExtraWrites): Promise<JournalEvent[]> {
    if (inputs.length === 0) return [];
    if (tx) return this.appendIn(tx, session, inputs);
    return this.store.transaction!((t) => this.appendIn(t, session, inputs));
  }

  private async appendIn(tx: ExtraWrites, session: string, inputs: JournalEventInput[]): Promise<JournalEvent[]> {
    const last = await tx.execute(sql(tx, 'SELECT sequence, hash FROM sk_journal WHERE session = ? ORDER BY sequence DESC LIMIT 1'), [session]);
    let sequence = last.length ? Number(last[0].sequence) : 0;
    let prevHash = last.length ? String(last[0].hash) : GENESIS_HASH;
    const written: JournalEvent[] = [];
    const insert = sql(tx, 'INSERT INTO sk_journal (session, sequence, run, type, event, hash) VALUES (?, ?, ?, ?, ?, ?)');
    for (const input of inputs) {
      sequence += 1;
      const base: Omit<JournalEvent, 'hash'> = {
        id: input.id ?? uuidv7(),
        session,
        sequence,
        time: input.time ?? new Date().toISOString(),
        type: input.type,
        actor: input.actor,
        ...(input.run ? { run: input.run } : {}),
        ...(input.run && input.runUid ? { runUid: input.runUid } : {}),
        payload: input.payload ?? {},
        ...(input.correlationId ? { correlationId: input.correlationId } : {}),
        ...(input.causationId ? { causationId: input.causationId } : {}),
        prevHash,
      };
      const event: JournalEvent = { ...base, hash: hashEvent(base) };
      await tx.execute(insert, [session, sequence, event.run ?? null, event.type, JSON.stringify(event), event.hash]);
      written.push(event);
      prevHash = event.hash;
    }
    tx.afterCommit(() => this.publish(session, written));
    return written;
  }

  /** Reads a page of events after a cursor. */
  async read(session: string, opts: ReadOptions = {}): Promise<ReadResult> {
    const after = opts.after ?? 0;
    const limit = Math.min(Math.max(opts.limit ?? 100, 1), 10_000);
    const rows = await this.reads((tx) => {
      const where = ['session = ?', 'sequence > ?'];
      const params: unknown[] = [session, after];
      if (opts.run) {
        where.push('run = ?');
        params.push(opts.run);
      }
      return tx.execute(sql(tx, `SELECT event FROM sk_journal WHERE ${where.join(' AND ')} ORDER BY sequence LIMIT ${limit + 1}`), params);
    });
    const hasMore = rows.length > limit;
    const page = rows.slice(0, limit).map((r) => JSON.parse(String(r.event)) as JournalEvent);
    const next = page.length ? page[page.length - 1].sequence : after;
    return { events: page.filter((e) => matchesTypes(e, opts.types) && matchesRunUid(e, opts.runUid)), next, hasMore };
  }

  /** The last sequence of a session (0 when empty). */
  async lastSequence(session: string): Promise<number> {
    const rows = await this.reads((tx) => tx.execute(sql(tx, 'SELECT MAX(sequence) AS s FROM sk_journal WHERE session = ?'), [session]));
    return Number(rows[0]?.s ?? 0);
  }

  /**
   * Yields the backlog after `after`, then live events, until `signal` aborts. Live events that
   * arrive while the backlog is read are buffered and de-duplicated by sequence.
   */
  async *follow(session: string, opts: Omit<ReadOptions, 'limit'>, signal: AbortSignal): AsyncGenerator<JournalEvent> {
    const buffer: JournalEvent[] = [];
    let wake: (() => void) | undefined;
    const listener: Listener = (events) => {
      buffer.push(...events);
      wake?.();
    };
    this.subscribe(session, listener);
    const onAbort = (): void => wake?.();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      let cursor = opts.after ?? 0;
      for (;;) {
        const page = await this.read(session, { ...opts, after: cursor, limit: 1000 });
        for (const e of page.events) yield e;
        cursor = page.next;
        if (!page.hasMore) break;
      }
      const matches = (e: JournalEvent): boolean => (!opts.run || e.run === opts.run) && matchesTypes(e, opts.types) && matchesRunUid(e, opts.runUid);
      // What was committed past the cursor, from the database: every run's events (unfiltered
      // reads), so the cursor then covers all of them and a filter can never stall it.
      const journal = this;
      async function* catchUp(): AsyncGenerator<JournalEvent> {
        for (;;) {
          const page = await journal.read(session, { after: cursor, limit: 1000 });
          for (const e of page.events) if (e.sequence > cursor && matches(e)) yield e;
          cursor = Math.max(cursor, page.next);
          if (!page.hasMore) return;
        }
      }
      while (!signal.aborted) {
        while (buffer.length) {
          const e = buffer.shift()!;
          if (e.sequence <= cursor) continue;
          // A gap before it: another process (replica) appended in between, which no listener here heard.
          if (e.sequence > cursor + 1) {
            yield* catchUp();
            continue;
          }
          cursor = e.sequence;
          if (matches(e)) yield e;
        }
        if (signal.aborted) break;
        const polled = await this.nextWake((r) => (wake = r));
        wake = undefined;
        if (polled && !signal.aborted) yield* catchUp();
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.unsubscribe(session, listener);
    }
  }

  /** Waits for a listener's wake-up (false) or, with polling, the poll period (true). */
  private nextWake(arm: (wake: () => void) => void): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = this.opts.pollMs === undefined ? undefined : setTimeout(() => resolve(true), this.opts.pollMs);
      arm(() => {
        if (timer) clearTimeout(timer);
        resolve(false);
      });
    });
  }

  /** Recomputes the hash chain of a session; reports the first sequence where it breaks. */
  async verify(session: string): Promise<VerifyResult> {
    let prevHash = GENESIS_HASH;
    let expected = 1;
    let checked = 0;
    let after = 0;
    for (;;) {
      const rows = await this.reads((tx) =>
        tx.execute(sql(tx, 'SELECT sequence, event, hash FROM sk_journal WHERE session = ? AND sequence > ? ORDER BY sequence LIMIT 5000'), [session, after]),
      );
      for (const row of rows) {
        const sequence = Number(row.sequence);
        const broken = (reason: string): VerifyResult => ({ ok: false, checked, brokenAt: sequence, reason });
        if (sequence !== expected) return { ok: false, checked, brokenAt: expected, reason: `sequence ${expected} is missing` };
        let event: JournalEvent;
        try {
          event = JSON.parse(String(row.event)) as JournalEvent;
        } catch {
          return broken('stored event is not valid JSON');
        }
        if (event.sequence !== sequence || event.session !== session) return broken('event does not belong at this position');
        if (event.prevHash !== prevHash) return broken('prevHash does not match the previous event');
        const { hash, ...rest } = event;
        const recomputed = hashEvent(rest);
        if (recomputed !== hash || hash !== String(row.hash)) return broken('hash mismatch');
        prevHash = hash;
        expected += 1;
        checked += 1;
        after = sequence;
      }
      if (rows.length < 5000) return { ok: true, checked };
    }
  }

  /**
   * Calls `listener` after every committed append, of any session (the runtime publisher wakes on
   * it instead of polling). Returns the function that stops it.
   */
  onAppend(listener: (session: string) => void): () => void {
    this.appendListeners.add(listener);
    return () => void this.appendListeners.delete(listener);
  }

  private subscribe(session: string, l: Listener): void {
    let set = this.listeners.get(session);
    if (!set) this.listeners.set(session, (set = new Set()));
    set.add(l);
  }

  private unsubscribe(session: string, l: Listener): void {
    const set = this.listeners.get(session);
    set?.delete(l);
    if (set && set.size === 0) this.listeners.delete(session);
  }

  private publish(session: string, events: JournalEvent[]): void {
    for (const l of this.listeners.get(session) ?? []) l(events);
    for (const l of this.appendListeners) l(session);
  }
}

function matchesTypes(e: JournalEvent, types: string[] | undefined): boolean {
  if (!types || types.length === 0) return true;
  return types.some((t) => (t.endsWith('*') ? e.type.startsWith(t.slice(0, -1)) : t.endsWith('.') ? e.type.startsWith(t) : e.type === t));
}

function matchesRunUid(e: JournalEvent, runUid: string | undefined): boolean {
  return !runUid || e.runUid === undefined || e.runUid === runUid;
}
