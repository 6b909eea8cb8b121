/**
 * Store faults: the disk under SIDEKICK_HOME fills up at seeded random points (the home is a small
 * tmpfs; a filler file takes every free byte, then is removed) while a run works and a client keeps
 * writing. Invariants: the daemon process never exits; every answer is a success or a 507 (503)
 * Status with a message, never a 500; an acknowledged write is there afterwards and a refused one
 * is not; the run ends Completed or Failed with a reason; the timeline verifies. Needs root for the
 * mount (CI and the development machines run as root). FAULT_SEED replays a run.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../eventually.js';
import { fetchTimeline, runPhase, stopDaemonProcess } from '../e2e/support.js';
import { startPacedHello, faultSeed, missingFromJournal, prng, startSessionWriter, timelineFailures, unsettled, writeViolations } from './support.js';

const seed = faultSeed();

/** Writes `path` until the filesystem has no byte left (ENOSPC); returns the bytes written. */
function fillDisk(path: string): number {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(256 * 1024, 1);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return written;
}

describe('full disk: the filesystem under SIDEKICK_HOME fills up at random points', () => {
  let dir: string;
  let home: string;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sidekick-fault-full-'));
    home = join(dir, 'home');
    mkdirSync(home);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m,mode=0700', 'tmpfs', home]);
  });
  afterAll(async () => {
    await stopDaemonProcess(child);
    // Lazy: a driver process of a failed run may still hold a file there; the mount goes when it ends.
    execFileSync('umount', ['-l', home]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 507 while full, loses no acknowledged write, writes no refused one, and the run settles (seed printed on failure)', async () => {
    const rng = prng(seed);
    const started = await startPacedHello(dir, home);
    child = started.child;
    const { client, script } = started;
    const exits: string[] = [];
    child.once('exit', (code, signal) => exits.push(`daemon exited: code ${code} signal ${signal}`));

    const fills = Array.from({ length: 3 }, () => ({ gap: rng.between(100, 1_200), ms: rng.between(300, 2_000) }));
    const writer = startSessionWriter(client, 'full');
    const filler = join(home, 'filler');
    for (const f of fills) {
      await new Promise((r) => setTimeout(r, f.gap));
      fillDisk(filler);
      await new Promise((r) => setTimeout(r, f.ms));
      rmSync(filler);
    }
    const answers = await writer.stop();
    const report = `FAULT_SEED=${seed} fills ${JSON.stringify(fills)}`;

    expect({ report, exits }).toEqual({ report, exits: [] });
    expect({ report, ...(await writeViolations(client, answers)) }).toEqual({ report, bad: [], lost: [], phantom: [] });
    // The full disk was felt: at least one write was refused for it.
    expect({ report, refused: answers.some((a) => a.code === 507 || a.code === 503) }).toEqual({ report, refused: true });

    const run = await eventually(async () => {
      const r = await runPhase(client, 'hello');
      if (!['Completed', 'Failed'].includes(r.status?.phase ?? '')) {
        // What the run did last, to route a stuck run.
        const tail = (await fetchTimeline(client)).slice(-8).map((e) => `${e.sequence} ${e.type} ${JSON.stringify(e.payload).slice(0, 160)}`);
        expect({ report, phase: r.status?.phase, status: r.status, tail }).toEqual({ report, phase: 'Completed or Failed' });
      }
      return r;
    }, { timeoutMs: 30_000 });
    expect({ report, unsettled: unsettled([run]) }).toEqual({ report, unsettled: [] });
    expect({ report, timelines: await timelineFailures(home, ['hello']) }).toEqual({ report, timelines: [] });
    // Nothing the driver did is missing from the journal: a store fault delays events, never drops them.
    if (run.status?.phase === 'Completed') expect({ report, missing: missingFromJournal(await fetchTimeline(client), script) }).toEqual({ report, missing: [] });
  }, 90_000);
});
