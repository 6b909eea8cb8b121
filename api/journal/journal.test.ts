import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type StoreConfig } from '../store/open-store.js';
import { schemeResolver } from '../store/scheme-resolver.js';
import { scheme } from '../../resources/index.js';
import type { Store } from '../store/store.js';
import { Journal, JOURNAL_MIGRATIONS, sessionKey } from './journal.js';
import { GENESIS_HASH, type JournalEvent } from './event.js';
import { describeWithPostgres } from '../../test/services.js';
import { eventually } from '../../test/eventually.js';

const actor = { kind: 'controller' as const, name: 'test' };

function journalSuite(name: string, config: () => StoreConfig, tamper: (store: Store, session: string, sequence: number) => Promise<void>): void {
  describe(name, () => {
    let store: Store;
    let journal: Journal;
    beforeAll(async () => {
      store = await openStore(config(), schemeResolver(scheme), { migrations: [JOURNAL_MIGRATIONS] });
      journal = new Journal(store);
    });
    afterAll(async () => {
      await store.close();
    });

    it('assigns gap-free sequences per session and chains hashes from the genesis hash', async () => {
      const s = sessionKey('default', 'chain');
      const first = await journal.append(s, [{ type: 'session.created', actor }]);
      const more = await journal.append(s, [
        { type: 'run.Running', actor, run: 'r1', payload: { driver: 'Scripted' } },
        { type: 'assistant.message', actor: { kind: 'agent', name: 'a' }, run: 'r1', payload: { text: 'hi' } },
      ]);
      expect([...first, ...more].map((e) => e.sequence)).toEqual([1, 2, 3]);
      expect(first[0].prevHash).toBe(GENESIS_HASH);
      expect(more[0].prevHash).toBe(first[0].hash);
      expect(more[1].prevHash).toBe(more[0].hash);
      const other = await journal.append(sessionKey('default', 'other'), [{ type: 'session.created', actor }]);
      expect(other[0].sequence).toBe(1);
      expect(await journal.lastSequence(s)).toBe(3);
    });

    it('reads by cursor with next/hasMore and filters by run and type', async () => {
      const s = sessionKey('default', 'cursor');
      await journal.append(s, Array.from({ length: 25 }, (_, i) => ({ type: i % 2 ? 'tool.invoked' : 'assistant.message', actor, run: i < 10 ? 'a' : 'b', payload: { i } })));
      const page1 = await journal.read(s, { limit: 10 });
      expect(page1.events.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(page1.hasMore).toBe(true);
      const page3 = await journal.read(s, { after: 20, limit: 10 });
      expect(page3.events.map((e) => e.sequence)).toEqual([21, 22, 23, 24, 25]);
      expect(page3.hasMore).toBe(false);
      expect(page3.next).toBe(25);
      expect((await journal.read(s, { run: 'a', limit: 100 })).events).toHaveLength(10);
      expect((await journal.read(s, { types: ['tool.'], limit: 100 })).events.every((e) => e.type === 'tool.invoked')).toBe(true);
      expect((await journal.read(s, { types: ['tool.*'], limit: 100 })).events).toHaveLength(12);
    });

    it('tells runs of the same name apart by uid, in reads and in follows; events without a uid stay in both', async () => {
      const s = sessionKey('default', 'recreated');
      await journal.append(s, [
        { type: 'assistant.message', actor, run: 'again', runUid: 'uid-1', payload: { text: 'first' } },
        { type: 'assistant.message', actor, run: 'again', payload: { text: 'legacy' } },
        { type: 'assistant.message', actor, run: 'again', runUid: 'uid-2', payload: { text: 'second' } },
      ]);
      const texts = (events: JournalEvent[]) => events.map((e) => e.payload.text);
      expect(texts((await journal.read(s, { run: 'again', runUid: 'uid-2' })).events)).toEqual(['legacy', 'second']);
      expect(texts((await journal.read(s, { run: 'again', runUid: 'uid-1' })).events)).toEqual(['first', 'legacy']);
      expect((await journal.read(s, { run: 'again' })).events).toHaveLength(3);
      const ac = new AbortController();
      const seen: JournalEvent[] = [];
      const following = (async () => {
        for await (const e of journal.follow(s, { run: 'again', runUid: 'uid-2' }, ac.signal)) seen.push(e);
      })();
      await eventually(() => seen.length === 2);
      await journal.append(s, [
        { type: 'assistant.message', actor, run: 'again', runUid: 'uid-1', payload: { text: 'late first' } },
        { type: 'assistant.message', actor, run: 'again', runUid: 'uid-2', payload: { text: 'more second' } },
      ]);
      await eventually(() => seen.length === 3);
      ac.abort();
      await following;
      expect(texts(seen)).toEqual(['legacy', 'second', 'more second']);
      expect(seen[1]!.runUid).toBe('uid-2');
    });

    it('follows: backlog, then live events, with no gap and no duplicate', async () => {
      const s = sessionKey('default', 'follow');
      await journal.append(s, [{ type: 'a', actor }, { type: 'b', actor }]);
      const ac = new AbortController();
      const seen: JournalEvent[] = [];
      const following = (async () => {
        for await (const e of journal.follow(s, { after: 0 }, ac.signal)) seen.push(e);
      })();
      await eventually(() => seen.length === 2);
      // Appends racing the backlog read and after it.
      await Promise.all([journal.append(s, [{ type: 'c', actor }]), journal.append(s, [{ type: 'd', actor }, { type: 'e', actor }])]);
      await eventually(() => seen.length === 5);
      ac.abort();
      await following;
      expect(seen.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5]);
    });

    it('a follow hears appends its process did not make (another replica\'s): by polling, and at once when a gap shows', async () => {
      const s = sessionKey('default', 'elsewhere');
      const elsewhere = new Journal(store);
      await elsewhere.append(s, [{ type: 'a', actor }]);
      const follow = (j: Journal): { seen: JournalEvent[]; stop(): Promise<void> } => {
        const ac = new AbortController();
        const seen: JournalEvent[] = [];
        const running = (async () => {
          for await (const e of j.follow(s, { after: 0 }, ac.signal)) seen.push(e);
        })();
        return { seen, stop: async () => (ac.abort(), await running) };
      };
      // No poll within the test: only the gap before an event this process appended reveals b and c.
      const gapOnly = new Journal(store, { pollMs: 3_600_000 });
      const byGap = follow(gapOnly);
      const polling = follow(new Journal(store, { pollMs: 20 }));
      await eventually(() => byGap.seen.length === 1 && polling.seen.length === 1);
      await elsewhere.append(s, [{ type: 'b', actor }, { type: 'c', actor }]);
      await gapOnly.append(s, [{ type: 'd', actor }]);
      await eventually(() => byGap.seen.length === 4);
      expect(byGap.seen.map((e) => e.type)).toEqual(['a', 'b', 'c', 'd']);
      // Only elsewhere appends now: the poll finds it.
      await elsewhere.append(s, [{ type: 'e', actor }]);
      await eventually(() => polling.seen.length === 5);
      await Promise.all([byGap.stop(), polling.stop()]);
      expect(polling.seen.map((e) => e.type)).toEqual(['a', 'b', 'c', 'd', 'e']);
    });

    it('reads beside the write queue: a read answers while a write transaction is held open, and sees every acknowledged append', async () => {
      const s = sessionKey('default', 'beside');
      await journal.append(s, [{ type: 'a', actor }]);
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      const long = store.transaction!(async (tx) => {
        await journal.append(s, [{ type: 'b', actor }], tx);
        entered();
        await held;
      });
      await inside;
      // Queued behind the open transaction: a read that went through the write queue would wait for both.
      const queued = journal.append(s, [{ type: 'c', actor }]);
      expect((await journal.read(s)).events.map((e) => e.type)).toEqual(['a']);
      expect(await journal.lastSequence(s)).toBe(1);
      expect(await journal.verify(s)).toEqual({ ok: true, checked: 1 });
      release();
      await long;
      await queued;
      // Read-your-writes: once acknowledged, an append is in the next read.
      expect((await journal.read(s)).events.map((e) => e.type)).toEqual(['a', 'b', 'c']);
    });

    it('commits events in the same transaction as a state change, or not at all', async () => {
      const s = sessionKey('default', 'atomic');
      const session = { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name: 'atomic', namespace: 'default' }, spec: { archived: false } };
      await expect(
        store.create('sessions', session, {
          extraWrites: async (tx) => {
            await journal.append(s, [{ type: 'session.created', actor }], tx);
            throw new Error('boom after the append');
          },
        }),
      ).rejects.toThrow('boom');
      expect(await journal.lastSequence(s)).toBe(0);
      await store.create('sessions', session, { extraWrites: async (tx) => void (await journal.append(s, [{ type: 'session.created', actor }], tx)) });
      expect(await journal.lastSequence(s)).toBe(1);
    });

    it('verify reports the sequence where a tampered chain breaks', async () => {
      const s = sessionKey('default', 'tamper');
      await journal.append(s, Array.from({ length: 6 }, (_, i) => ({ type: 'assistant.message', actor, payload: { text: `message ${i}` } })));
      expect(await journal.verify(s)).toEqual({ ok: true, checked: 6 });
      await tamper(store, s, 4);
      const result = await journal.verify(s);
      expect(result.ok).toBe(false);
      expect(result.brokenAt).toBe(4);
      expect(result.checked).toBe(3);
    });
  });
}

/** Flips one character of a stored event's payload text, as an attacker editing the database would. */
async function flipByte(store: Store, session: string, sequence: number): Promise<void> {
  await store.transaction!(async (tx) => {
    const q = tx.dialect === 'sqlite' ? 'UPDATE sk_journal SET event = replace(event, ?, ?) WHERE session = ? AND sequence = ?' : 'UPDATE sk_journal SET event = replace(event, $1, $2) WHERE session = $3 AND sequence = $4';
    await tx.execute(q, ['message 3', 'massage 3', session, sequence]);
  });
}

const dir = mkdtempSync(join(tmpdir(), 'sidekick-journal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
journalSuite('journal on SQLite', () => ({ kind: 'sqlite', path: join(dir, 'journal.db') }), flipByte);
describeWithPostgres('journal on Postgres', (getUrl) => {
  journalSuite('journal', () => ({ kind: 'postgres', url: getUrl() }), flipByte);
});
