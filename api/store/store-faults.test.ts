/**
 * Database faults answer 503/507 and never take the process down: a real second SQLite
 * connection holding the write lock, a real SQLITE_FULL (a page-count cap), and the
 * classification of driver errors.
 */
import { describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { ApiError, StatusReason } from '../errors.js';
import { describeWithPostgres, pgAdmin } from '../../test/services.js';
import { PostgresBackend } from './postgres.js';
import { SqliteBackend } from './sqlite.js';
import { retryStoreFault, storeFault, storeFaultError } from './store-faults.js';
import { rejection } from '../../test/rejection.js';
import { tempDirsPerTest } from '../../test/support/temp-dirs.js';

const tempDir = tempDirsPerTest('sk-faults-');
const dbPath = (): string => join(tempDir(), 'sidekick.db');

/** A write of one history row through the backend (what every object write does). */
function write(b: SqliteBackend, rv: number, json = '{}'): Promise<unknown> {
  return b.transaction((tx) => tx.appendChange({ resourceVersion: rv, plural: 'notes', namespace: 'default', name: `n${rv}`, type: 'ADDED', json }));
}


describe('SQLite faults', () => {
  it('answers 503 with Retry-After while another process holds the write lock, then writes once it is released', async () => {
    const path = dbPath();
    const backend = new SqliteBackend(path, { busyTimeoutMs: 300 });
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    const started = Date.now();
    const [first, second] = await Promise.all([rejection(write(backend, 1)), rejection(write(backend, 2))]);
    for (const err of [first, second]) {
      expect(err).toMatchObject({ reason: StatusReason.ServiceUnavailable, code: 503, details: { retryAfterSeconds: 1 } });
      expect(err.message).toMatch(/^the store is busy \(SQLITE_BUSY: database is locked\); retry in 1s$/);
    }
    // It waited out the busy timeout (between turns of the event loop) before giving up.
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    // Reads go on meanwhile: WAL readers do not wait for the writer lock.
    expect(await backend.read((r) => r.currentResourceVersion())).toBe(0);

    other.exec('COMMIT');
    await write(backend, 3);
    expect((await backend.recentChanges(10)).map((c) => c.resourceVersion)).toEqual([3]);
    other.close();
    await backend.close();
  });

  it('a lock released within the busy timeout only delays the write', async () => {
    const path = dbPath();
    const backend = new SqliteBackend(path, { busyTimeoutMs: 5000 });
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE');
    const pending = write(backend, 1);
    setTimeout(() => other.exec('COMMIT'), 50);
    await pending;
    expect((await backend.recentChanges(10)).map((c) => c.resourceVersion)).toEqual([1]);
    other.close();
    await backend.close();
  });

  it('answers 507 when the disk is full, and later writes still work', async () => {
    const backend = new SqliteBackend(dbPath());
    // Cap the file at its current size: the next page allocation fails with SQLITE_FULL.
    await backend.transaction((tx) => tx.execute('PRAGMA max_page_count = 1'));
    const err = await rejection(write(backend, 1, JSON.stringify({ pad: 'x'.repeat(64 * 1024) })));
    expect(err).toMatchObject({ reason: StatusReason.InsufficientStorage, code: 507 });
    expect(err.message).toMatch(/^the store cannot write: the disk holding .*sidekick\.db is full \(SQLITE_FULL\); free space and retry$/);
    await backend.transaction((tx) => tx.execute('PRAGMA max_page_count = 1073741823'));
    await write(backend, 2);
    expect((await backend.recentChanges(10)).map((c) => c.resourceVersion)).toEqual([2]);
    await backend.close();
  });
});

describeWithPostgres('Postgres faults', (getUrl) => {
  const admin = (text: string): Promise<void> => pgAdmin(getUrl(), text);

  it('a connection the server dropped is replaced: the next write and read succeed, nothing escapes', async () => {
    const backend = await PostgresBackend.open(getUrl(), { onError: () => undefined });
    try {
      await backend.transaction((tx) => tx.appendChange({ resourceVersion: 1, plural: 'notes', namespace: 'default', name: 'n1', type: 'ADDED', json: '{}' }));
      // Every other session of this database ends, as on a server restart or a failover.
      const db = new URL(getUrl()).pathname.slice(1);
      await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db}' AND pid <> pg_backend_pid()`);
      await backend.transaction((tx) => tx.appendChange({ resourceVersion: 2, plural: 'notes', namespace: 'default', name: 'n2', type: 'ADDED', json: '{}' }));
      expect(await backend.read((r) => r.currentResourceVersion())).toBe(0);
      expect((await backend.recentChanges(10)).map((c) => c.resourceVersion)).toEqual([1, 2]);
    } finally {
      await backend.close();
    }
  });
});

describe('storeFault', () => {
  it.each([
    [{ code: 'SQLITE_BUSY' }, 'busy'],
    [{ code: 'SQLITE_BUSY_SNAPSHOT' }, 'busy'],
    [{ code: 'SQLITE_LOCKED' }, 'busy'],
    [{ code: 'SQLITE_FULL' }, 'full'],
    [{ code: 'SQLITE_IOERR_WRITE' }, 'io'],
    [{ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' }, undefined],
    [{ code: '53100' }, 'full'],
    [{ code: '57P01' }, 'busy'],
    [{ code: '08006' }, 'busy'],
    [{ code: 'ECONNREFUSED' }, 'busy'],
    [{ code: '23505' }, undefined],
    [new Error('Connection terminated unexpectedly'), 'busy'],
    [new Error('boom'), undefined],
    ['SQLITE_BUSY', undefined],
  ])('%j → %s', (err, fault) => {
    expect(storeFault(err)).toBe(fault);
  });

  it('leaves errors that are not faults as they are', () => {
    const conflict = new ApiError(StatusReason.Conflict, 'x');
    expect(storeFaultError(conflict, 'db')).toBe(conflict);
    const bug = new TypeError('x is not a function');
    expect(storeFaultError(bug, 'db')).toBe(bug);
  });
});

describe('retryStoreFault', () => {
  it('retries busy faults with growing pauses until the budget is spent, then throws the last one', async () => {
    let clock = 0;
    const pauses: number[] = [];
    let calls = 0;
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    const attempt = (): never => {
      calls++;
      throw busy;
    };
    const sleep = async (ms: number): Promise<void> => {
      pauses.push(ms);
      clock += ms;
    };
    await expect(retryStoreFault(attempt, { budgetMs: 1000, sleep, now: () => clock })).rejects.toBe(busy);
    expect(calls).toBe(pauses.length + 1);
    expect(clock).toBe(1000);
    expect(Math.max(...pauses)).toBeLessThanOrEqual(250);
    expect(pauses[pauses.length - 2]).toBeGreaterThan(pauses[0]);
  });

  it('does not retry what is not a fault, nor once repeating is unsafe', async () => {
    let calls = 0;
    const bug = new Error('bug');
    await expect(retryStoreFault(() => (calls++, Promise.reject(bug)), { budgetMs: 1000 })).rejects.toBe(bug);
    const busy = Object.assign(new Error('gone'), { code: 'ECONNRESET' });
    await expect(retryStoreFault(() => (calls++, Promise.reject(busy)), { budgetMs: 1000, canRetry: () => false })).rejects.toBe(busy);
    expect(calls).toBe(2);
  });
});
