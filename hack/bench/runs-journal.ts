/**
 * Journal throughput in-process, against a SQLite store in a temp dir, beside raw better-sqlite3
 * on the same table shape measured in the same run. In-process on purpose: this is the cost of
 * the journal (ids, canonical JSON, SHA-256 chain, the store's write queue), not of HTTP.
 *
 * How appends commit (api/journal/journal.ts, api/store/sqlite.ts): `Journal.append` takes
 * several events per call and writes them in one transaction; the SQLite backend queues
 * transactions and group-commits whatever is waiting (up to 256) under one COMMIT. So N
 * sessions appending concurrently share commits, while one caller awaiting each append pays a
 * commit per event.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Journal, JOURNAL_MIGRATIONS } from '../../api/journal/journal.js';
import type { JournalEventInput } from '../../api/journal/event.js';
import { openStore } from '../../api/store/open-store.js';
import { schemeResolver } from '../../api/store/scheme-resolver.js';
import { scheme } from '../../resources/index.js';
import { msSince } from './http.js';

export interface JournalFigures {
  /** Stored JSON of one benchmark event, in bytes. */
  eventBytes: number;
  concurrentAppend: { sessions: number; events: number; perSecond: number };
  serialAppend: { events: number; perSecond: number };
  batchedAppend: { batch: number; events: number; perSecond: number };
  read: { events: number; perSecond: number };
  followReplay: { events: number; perSecond: number };
  rawInsert: { rows: number; perSecond: number };
  rawRead: { rows: number; perSecond: number };
}

/** A tool result about the size the Scripted and model drivers journal for a short command. */
function toolResult(i: number): JournalEventInput {
  return {
    type: 'tool.result',
    actor: { kind: 'agent', name: 'bench-agent' },
    run: `run-${i % 50}`,
    payload: { callId: `call-${i}`, tool: 'RunCommand', ok: true, output: `ok ${i}\n${'build output line\n'.repeat(8)}`, exitCode: 0, durationMs: 12 },
  };
}

async function timed(events: number, work: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return events / (msSince(start) / 1000);
}

/** Measures the journal and its raw SQLite baseline; `scale` = 1 appends ~100k events in all. */
export async function measureJournal(scale = 1): Promise<JournalFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'sidekick-bench-journal-'));
  try {
    const store = await openStore({ kind: 'sqlite', path: join(dir, 'sidekick.db') }, schemeResolver(scheme), { migrations: [JOURNAL_MIGRATIONS] });
    const journal = new Journal(store);
    let f: Omit<JournalFigures, 'rawInsert' | 'rawRead'>;
    try {
      // Warm-up: statement preparation and JIT, outside every timed section.
      for (let i = 0; i < 200; i++) await journal.append('default/warm', [toolResult(i)]);
      const eventBytes = JSON.stringify((await journal.read('default/warm', { limit: 1 })).events[0]).length;

      const sessions = 16;
      const perSession = Math.round(2500 * scale);
      const concurrent = await timed(sessions * perSession, async () => {
        await Promise.all(
          Array.from({ length: sessions }, async (_, s) => {
            for (let i = 0; i < perSession; i++) await journal.append(`default/conc-${s}`, [toolResult(i)]);
          }),
        );
      });

      const serialEvents = Math.round(5000 * scale);
      const serial = await timed(serialEvents, async () => {
        for (let i = 0; i < serialEvents; i++) await journal.append('default/serial', [toolResult(i)]);
      });

      const batch = 100;
      const batchedEvents = Math.round(50_000 * scale);
      const batched = await timed(batchedEvents, async () => {
        for (let i = 0; i < batchedEvents; i += batch) await journal.append('default/batched', Array.from({ length: batch }, (_, j) => toolResult(i + j)));
      });

      // Replay: the batched session, read in the largest pages the API allows, then through follow().
      const read = await timed(batchedEvents, async () => {
        let after = 0;
        let seen = 0;
        for (;;) {
          const page = await journal.read('default/batched', { after, limit: 10_000 });
          seen += page.events.length;
          after = page.next;
          if (!page.hasMore) break;
        }
        if (seen !== batchedEvents) throw new Error(`journal read returned ${seen} of ${batchedEvents} events`);
      });
      const followReplay = await timed(batchedEvents, async () => {
        const ac = new AbortController();
        let seen = 0;
        for await (const _ of journal.follow('default/batched', {}, ac.signal)) {
          if (++seen === batchedEvents) ac.abort();
        }
      });

      f = {
        eventBytes,
        concurrentAppend: { sessions, events: sessions * perSession, perSecond: concurrent },
        serialAppend: { events: serialEvents, perSecond: serial },
        batchedAppend: { batch, events: batchedEvents, perSecond: batched },
        read: { events: batchedEvents, perSecond: read },
        followReplay: { events: batchedEvents, perSecond: followReplay },
      };
    } finally {
      await store.close();
    }
    return { ...f, ...rawSqlite(dir, Math.round(20_000 * scale), Math.round(50_000 * scale), f.eventBytes) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The baseline: the journal's table, written the way a careful hand-written store would (WAL,
 * synchronous=NORMAL, one autocommit insert per row of the same size), and read back with
 * JSON.parse per row — no hashing, no ids, no queue.
 */
function rawSqlite(dir: string, inserts: number, reads: number, eventBytes: number): Pick<JournalFigures, 'rawInsert' | 'rawRead'> {
  const db = new Database(join(dir, 'raw.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`CREATE TABLE j (session TEXT NOT NULL, sequence INTEGER NOT NULL, run TEXT, type TEXT NOT NULL, event TEXT NOT NULL, hash TEXT NOT NULL,
             PRIMARY KEY (session, sequence)) WITHOUT ROWID`);
    db.exec('CREATE INDEX j_run ON j (session, run, sequence)');
    const insert = db.prepare('INSERT INTO j VALUES (?, ?, ?, ?, ?, ?)');
    const row = (i: number): string => {
      const body = JSON.stringify({ id: `0190${i}`, session: 'default/raw', sequence: i, time: new Date().toISOString(), ...toolResult(i), prevHash: 'f'.repeat(64), hash: 'e'.repeat(64) });
      return body.length < eventBytes ? body + ' '.repeat(eventBytes - body.length) : body;
    };
    const hash = 'e'.repeat(64);
    let start = process.hrtime.bigint();
    for (let i = 1; i <= inserts; i++) insert.run('default/raw', i, `run-${i % 50}`, 'tool.result', row(i), hash);
    const insertRate = inserts / (msSince(start) / 1000);

    const bulk = db.transaction((from: number, to: number) => {
      for (let i = from; i <= to; i++) insert.run('default/rawread', i, `run-${i % 50}`, 'tool.result', row(i), hash);
    });
    bulk(1, reads);
    const select = db.prepare('SELECT event FROM j WHERE session = ? AND sequence > ? ORDER BY sequence LIMIT 10000');
    start = process.hrtime.bigint();
    let after = 0;
    let seen = 0;
    for (;;) {
      const rows = select.all('default/rawread', after) as { event: string }[];
      if (rows.length === 0) break;
      for (const r of rows) after = (JSON.parse(r.event) as { sequence: number }).sequence;
      seen += rows.length;
    }
    const readRate = seen / (msSince(start) / 1000);
    return { rawInsert: { rows: inserts, perSecond: insertRate }, rawRead: { rows: seen, perSecond: readRate } };
  } finally {
    db.close();
  }
}
