/**
 * Store faults: a second SQLite connection takes the database's write lock at seeded random
 * points and holds it (once for longer than SQLite's 5 s busy wait) while a run works and a client
 * keeps writing. Invariants: the daemon process never exits; every answer is a success or a 503
 * (507 for a full disk) Status with a message, never a 500; an acknowledged write is there
 * afterwards and a refused one is not; the run still ends Completed and its timeline verifies.
 * FAULT_SEED replays a run; the seed is printed.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sidekickHome } from '../../api/home.js';
import { eventually } from '../eventually.js';
import { fetchTimeline, runPhase, stopDaemonProcess } from '../e2e/support.js';
import { startPacedHello, faultSeed, missingFromJournal, prng, startSessionWriter, timelineFailures, unsettled, writeViolations } from './support.js';

const seed = faultSeed();

describe('busy store: another connection holds the SQLite write lock at random points', () => {
  let dir: string;
  let home: string;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sidekick-fault-lock-'));
    home = join(dir, 'home');
  });
  afterAll(async () => {
    await stopDaemonProcess(child);
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 while locked, loses no acknowledged write, writes no refused one, and the run completes (seed printed on failure)', async () => {
    const rng = prng(seed);
    const started = await startPacedHello(dir, home);
    child = started.child;
    const { client, script } = started;

    // Holds: seeded gaps and lengths, one past the 5 s that used to crash the daemon.
    const holds = Array.from({ length: 4 }, (_, i) => ({ gap: rng.between(100, 800), ms: i === 1 ? 6_000 : rng.between(300, 2_500) }));
    const locker = new Database(sidekickHome(home).database, { timeout: 10_000 });
    const writer = startSessionWriter(client, 'lock');
    const exits: string[] = [];
    child.once('exit', (code, signal) => exits.push(`daemon exited: code ${code} signal ${signal}`));
    for (const h of holds) {
      await new Promise((r) => setTimeout(r, h.gap));
      locker.exec('BEGIN IMMEDIATE');
      await new Promise((r) => setTimeout(r, h.ms));
      locker.exec('ROLLBACK');
    }
    locker.close();
    const answers = await writer.stop();
    const report = `FAULT_SEED=${seed} holds ${JSON.stringify(holds)}`;

    expect({ report, exits }).toEqual({ report, exits: [] });
    expect({ report, ...(await writeViolations(client, answers)) }).toEqual({ report, bad: [], lost: [], phantom: [] });
    // The locks were felt: at least one write waited its way into a 503.
    expect(answers.some((a) => a.code === 503)).toBe(true);

    const run = await eventually(async () => {
      const r = await runPhase(client, 'hello');
      expect(['Completed', 'Failed']).toContain(r.status?.phase);
      return r;
    }, { timeoutMs: 30_000 });
    expect({ report, unsettled: unsettled([run]) }).toEqual({ report, unsettled: [] });
    expect({ report, phase: run.status?.phase }).toEqual({ report, phase: 'Completed' });
    expect({ report, timelines: await timelineFailures(home, ['hello']) }).toEqual({ report, timelines: [] });
    // Nothing the driver did is missing from the journal: a store fault delays events, never drops them.
    if (run.status?.phase === 'Completed') expect({ report, missing: missingFromJournal(await fetchTimeline(client), script) }).toEqual({ report, missing: [] });
  }, 90_000);
});
