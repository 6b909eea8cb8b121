/**
 * Runs benchmark (issue 3): 200 Scripted runs applied at once, each in its own worktree of a
 * 5,000-file repository, with worktree creation through the controller beside raw `git worktree
 * add` of the same repository; journal append and replay throughput beside raw SQLite; daemon
 * RSS with 50 active runs; and the time from applying a Run to its first journal event.
 * Baselines are measured in the same run, since the figures move with the machine.
 *
 * The daemon runs as a separate process (startDaemonProcess), one per part so each part starts
 * from a fresh daemon; the benchmark talks to its Unix socket (plain HTTP, no token).
 *
 * Usage: node dist/hack/bench/runs.js [--runs 200] [--files 5000] [--active 50] [--latency 30] [--journal-scale 1]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { percentile, msSince } from './http.js';
import { startDaemonProcess, rssMiB, type DaemonProcess } from './daemon-process.js';
import { measureJournal } from './runs-journal.js';
import { generateRepo, managerPrepares, rawWorktreeAdds } from './runs-repo.js';
import { API, SocketClient, TimelineFollower } from './runs-socket.js';
import { RunTracker, type RunRecord } from './runs-tracker.js';
import * as fx from './runs-fixtures.js';

interface Options {
  runs: number;
  files: number;
  active: number;
  latency: number;
  journalScale: number;
}

// Everything to undo, newest first, whether the benchmark ends, fails or is interrupted.
const daemons = new Set<DaemonProcess>();
const tempDirs: string[] = [];

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

async function withDaemon<T>(fn: (d: DaemonProcess, client: SocketClient) => Promise<T>): Promise<T> {
  const d = await startDaemonProcess();
  daemons.add(d);
  const client = new SocketClient(join(d.home, 'sidekick.sock'), 64);
  try {
    return await fn(d, client);
  } finally {
    client.close();
    daemons.delete(d);
    await d.stop();
  }
}

/** Prints one figure, its name padded so the values line up. */
function line(name: string, value: string): void {
  console.log(`  ${name.padEnd(64)} ${value}`);
}

const ms = (n: number): string => `${n.toFixed(n < 10 ? 1 : 0)} ms`;
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

/** run.Starting → workspace.ready of each record (daemon clock), ascending. */
function worktreeTimes(records: RunRecord[]): number[] {
  return sorted(records.filter((r) => r.startingAt !== undefined && r.workspaceReadyAt !== undefined).map((r) => r.workspaceReadyAt! - r.startingAt!));
}

function recordsOf(tracker: RunTracker, names: string[]): RunRecord[] {
  return names.map((n) => tracker.runs.get(n)).filter((r): r is RunRecord => r !== undefined);
}

/** Creates `names` as runs, all requests in flight at once; resolves when all are acknowledged. */
async function applyAll(client: SocketClient, names: string[], body: (name: string) => object): Promise<void> {
  await Promise.all(names.map((n) => client.json('POST', `${API}/runs`, body(n), [201])));
}

async function untilTerminal(tracker: RunTracker, names: string[], timeoutMs: number): Promise<void> {
  const done = (): number => tracker.count((r) => r.terminal !== undefined, names);
  await tracker.until(() => done() === names.length, timeoutMs, `${names.length} runs to finish`, () => `(${done()} finished; ${tracker.failures()})`);
}

/** Flushes dirty pages (`sync`), so writeback of earlier work is not charged to what follows. */
function settleDisk(): void {
  spawnSync('sync');
}

/** Part 1: 200 runs at once in worktrees of a 5,000-file repository, and the worktree baselines. */
async function benchRunsAtOnce(o: Options): Promise<void> {
  console.log(`\n== 1. ${o.runs} Scripted runs applied at once, one worktree each (${o.files}-file repository) ==`);
  const work = tempDir('sidekick-bench-runs-');
  const repo = join(work, 'repo');
  let start = process.hrtime.bigint();
  const base = generateRepo(repo, o.files);
  line(`generate repository (${o.files} files, one commit)`, ms(msSince(start)));
  // Each part starts with the page cache clean, so no part pays for the previous one's writeback.
  settleDisk();

  const raw = rawWorktreeAdds(repo, base, join(work, 'raw'), 20);
  const rawMedian = percentile(raw, 50);
  const inproc = await managerPrepares(repo, join(work, 'inproc-worktrees'), 10);
  const inprocMedian = percentile(inproc, 50);
  settleDisk();

  await withDaemon(async (_d, client) => {
    await fx.createAll(client, [
      ['agents', fx.agent('editor', fx.EDIT_SCRIPT)],
      ['sessions', fx.session('serial', 1)],
      ['sessions', fx.session('bench', o.runs)],
      ['repomounts', fx.repoMount('serial-repo', 'serial', repo)],
      ['repomounts', fx.repoMount('bench-repo', 'bench', repo)],
    ]);
    for (const s of ['serial', 'bench']) await fx.waitForPhase(client, 'sessions', s, 'Active');
    for (const m of ['serial-repo', 'bench-repo']) await fx.waitForPhase(client, 'repomounts', m, 'Attached');
    const tracker = new RunTracker();
    const followers = [await TimelineFollower.open(client.socketPath, 'serial', tracker.onEvent), await TimelineFollower.open(client.socketPath, 'bench', tracker.onEvent)];
    try {
      // Like for like: one run at a time (maxActiveRuns=1), so no run waits for another's worktree.
      const serialNames = Array.from({ length: 8 }, (_, i) => `serial-${i}`);
      await applyAll(client, serialNames, (n) => fx.run(n, 'serial', 'serial', 'editor', 'serial-repo'));
      await untilTerminal(tracker, serialNames, 120_000);
      const serial = worktreeTimes(recordsOf(tracker, serialNames));
      settleDisk();

      const names = Array.from({ length: o.runs }, (_, i) => `run-${i}`);
      const t0 = Date.now();
      start = process.hrtime.bigint();
      await applyAll(client, names, (n) => fx.run(n, 'concurrent', 'bench', 'editor', 'bench-repo'));
      const appliedMs = msSince(start);
      await untilTerminal(tracker, names, 600_000);
      const records = recordsOf(tracker, names);
      const allDoneMs = Math.max(...records.map((r) => Number(r.terminalAt! - start) / 1e6));
      const concurrent = worktreeTimes(records);
      const firstStarting = Math.min(...records.map((r) => r.startingAt ?? Infinity));
      const lastStarting = Math.max(...records.map((r) => r.startingAt ?? 0));
      const lastReady = Math.max(...records.map((r) => r.workspaceReadyAt ?? 0));
      const phases = await fx.phaseCounts(client, 'concurrent');
      const completed = phases.Completed ?? 0;

      line(`all ${o.runs} POSTs acknowledged`, `${(appliedMs / 1000).toFixed(2)} s`);
      line(`last run.Starting (all admitted), from first POST`, `${((lastStarting - t0) / 1000).toFixed(2)} s`);
      line(`last workspace.ready, from first POST`, `${((lastReady - t0) / 1000).toFixed(2)} s`);
      line(`all ${o.runs} runs finished, from first POST`, `${(allDoneMs / 1000).toFixed(2)} s  (phases: ${JSON.stringify(phases)})`);
      if (completed !== o.runs) line('WARNING: not every run Completed', tracker.failures(5));
      line('raw `git worktree add -b` (20 sequential), median / p90', `${ms(rawMedian)} / ${ms(percentile(raw, 90))}  (baseline)`);
      line('WorkspaceManager.prepare in-process (10 sequential), median', `${ms(inprocMedian)} = ${ratio(inprocMedian, rawMedian)} raw  (diagnostic: git work alone)`);
      const serialMedian = percentile(serial, 50);
      line(`controller, serial (maxActiveRuns=1, ${serial.length} runs), median`, `${ms(serialMedian)} = ${ratio(serialMedian, rawMedian)} raw  (target <= 1.5x)`);
      const concMedian = percentile(concurrent, 50);
      line(`controller, ${o.runs} at once: Starting→workspace.ready median / p90`, `${ms(concMedian)} / ${ms(percentile(concurrent, 90))} = ${ratio(concMedian, rawMedian)} raw  (includes queueing)`);
      const perWorktree = (lastReady - firstStarting) / o.runs;
      line(`controller, ${o.runs} at once: wall time per worktree`, `${ms(perWorktree)} = ${ratio(perWorktree, rawMedian)} raw  ((last ready - first Starting) / ${o.runs})`);
    } finally {
      for (const f of followers) f.close();
    }
  });
}

/** Part 2: journal append and replay, in-process, beside raw SQLite. */
async function benchJournal(o: Options): Promise<void> {
  console.log('\n== 2. Journal throughput, in-process, SQLite store in a temp dir ==');
  const j = await measureJournal(o.journalScale);
  line('event size (stored JSON, tool.result)', `${j.eventBytes} bytes`);
  line(`append, ${j.concurrentAppend.sessions} sessions concurrently, 1 event per call`, `${j.concurrentAppend.perSecond.toFixed(0)} events/s  (target >= 10000; group-committed)`);
  line('append, 1 session, 1 event per call, awaited (no group commit)', `${j.serialAppend.perSecond.toFixed(0)} events/s`);
  line(`append, 1 session, ${j.batchedAppend.batch} events per call`, `${j.batchedAppend.perSecond.toFixed(0)} events/s`);
  line('raw SQLite: one autocommit INSERT per row, same row size', `${j.rawInsert.perSecond.toFixed(0)} rows/s  (baseline)`);
  line(`journal (16 concurrent) / raw inserts`, `${((j.concurrentAppend.perSecond / j.rawInsert.perSecond) * 100).toFixed(1)}%`);
  line(`journal (1 per call, awaited) / raw inserts`, `${((j.serialAppend.perSecond / j.rawInsert.perSecond) * 100).toFixed(1)}%`);
  line(`read ${j.read.events} events (Journal.read, pages of 10000)`, `${j.read.perSecond.toFixed(0)} events/s  (target >= 100000)`);
  line(`replay ${j.followReplay.events} events (Journal.follow backlog)`, `${j.followReplay.perSecond.toFixed(0)} events/s`);
  line('raw SQLite: SELECT pages of 10000 + JSON.parse', `${j.rawRead.perSecond.toFixed(0)} rows/s  (baseline)`);
  line('Journal.read / raw read', `${((j.read.perSecond / j.rawRead.perSecond) * 100).toFixed(1)}%`);
}

/** Resident set size of a process's direct children (the driver hosts), in MiB, and their count. */
function childrenRss(pid: number): { mib: number; count: number } {
  const r = spawnSync('ps', ['-o', 'rss=', '--ppid', String(pid)], { encoding: 'utf8' });
  const kbs = r.stdout.split('\n').filter((l) => l.trim()).map(Number);
  return { mib: kbs.reduce((a, b) => a + b, 0) / 1024, count: kbs.length };
}

/** Part 3: daemon RSS with `active` runs Running at once (driver processes excluded). */
async function benchRss(o: Options): Promise<void> {
  console.log(`\n== 3. Daemon RSS with ${o.active} active runs (Scratch workspaces, script waits 60 s) ==`);
  await withDaemon(async (d, client) => {
    await fx.createAll(client, [
      ['agents', fx.agent('waiter', fx.waitScript(60))],
      ['sessions', fx.session('rss', o.active + 10)],
    ]);
    await fx.waitForPhase(client, 'sessions', 'rss', 'Active');
    await new Promise((r) => setTimeout(r, 500));
    const idle = rssMiB(d.pid);
    const tracker = new RunTracker();
    const follower = await TimelineFollower.open(client.socketPath, 'rss', tracker.onEvent);
    try {
      const names = Array.from({ length: o.active }, (_, i) => `active-${i}`);
      let start = process.hrtime.bigint();
      await applyAll(client, names, (n) => fx.run(n, 'rss', 'rss', 'waiter'));
      const live = (): number => tracker.count((r) => r.running && !r.terminal, names);
      await tracker.until(() => live() === o.active, 90_000, `${o.active} runs Running`, () => `(${live()} Running; ${tracker.failures()})`);
      const upMs = msSince(start);
      // Drivers boot after run.Running is journalled: let them settle before sampling.
      await new Promise((r) => setTimeout(r, 2000));
      const samples: number[] = [];
      for (let i = 0; i < 5; i++) {
        samples.push(rssMiB(d.pid));
        await new Promise((r) => setTimeout(r, 200));
      }
      const drivers = childrenRss(d.pid);
      const stillLive = live();
      const peak = Math.max(...samples);
      line(`${o.active} runs Running, from first POST`, `${(upMs / 1000).toFixed(2)} s`);
      line('daemon RSS idle (same daemon, before the runs)', `${idle.toFixed(1)} MiB  (baseline)`);
      line(`daemon RSS with ${stillLive} runs Running (max of 5 samples)`, `${peak.toFixed(1)} MiB = ${ratio(peak, idle)} idle  (target < 300 MB)`);
      line(`driver host processes (excluded above)`, `${drivers.count} processes, ${drivers.mib.toFixed(0)} MiB together`);
      start = process.hrtime.bigint();
      await client.json('DELETE', `${API}/runs?labelSelector=bench%3Drss`);
      const deadline = Date.now() + 60_000;
      while (Object.keys(await fx.phaseCounts(client, 'rss')).length > 0) {
        if (Date.now() > deadline) throw new Error('the deleted runs were not gone after 60 s');
        await new Promise((r) => setTimeout(r, 100));
      }
      line(`delete ${o.active} active runs (until gone)`, `${(msSince(start) / 1000).toFixed(2)} s; daemon RSS after: ${rssMiB(d.pid).toFixed(1)} MiB`);
    } finally {
      follower.close();
    }
  });
}

/** Part 4: POST of a Run → first journal event naming it, runs created one at a time. */
async function benchApplyLatency(o: Options): Promise<void> {
  console.log(`\n== 4. Apply → first journal event of the run (${o.latency} runs, one at a time, Scratch) ==`);
  await withDaemon(async (_d, client) => {
    await fx.createAll(client, [
      ['agents', fx.agent('quick', [{ say: 'Done.' }])],
      ['sessions', fx.session('latency', 100)],
    ]);
    await fx.waitForPhase(client, 'sessions', 'latency', 'Active');
    const tracker = new RunTracker();
    const follower = await TimelineFollower.open(client.socketPath, 'latency', tracker.onEvent);
    try {
      // Back to back: the next run is applied as soon as the previous one's first event arrives,
      // so earlier runs are still starting their drivers (a user applying a batch by hand).
      // Quiet: the next run is applied only after the previous one finished.
      for (const mode of ['back-to-back', 'quiet'] as const) {
        const post: number[] = [];
        const first: number[] = [];
        const types = new Set<string>();
        const warmup = 3;
        const count = mode === 'quiet' ? Math.ceil(o.latency / 2) : o.latency;
        for (let i = 0; i < warmup + count; i++) {
          const name = `${mode === 'quiet' ? 'q' : 'b'}-${i}`;
          const start = process.hrtime.bigint();
          await client.json('POST', `${API}/runs`, fx.run(name, 'latency', 'latency', 'quick'), [201]);
          const postMs = msSince(start);
          await tracker.until(() => tracker.runs.has(name), 10_000, `the first event of ${name}`);
          const rec = tracker.runs.get(name)!;
          if (mode === 'quiet') await untilTerminal(tracker, [name], 30_000);
          if (i < warmup) continue;
          post.push(postMs);
          first.push(Number(rec.firstEventAt! - start) / 1e6);
          types.add(rec.firstEventType!);
        }
        const p = sorted(post);
        const f = sorted(first);
        line(`${mode}: apply → first event p50 / p99 (${count} runs)`, `${ms(percentile(f, 50))} / ${ms(percentile(f, 99))}  (target p50 < 200 ms; first event: ${[...types].join(', ')})`);
        line(`${mode}: the POST alone p50 / p99`, `${ms(percentile(p, 50))} / ${ms(percentile(p, 99))}  (baseline: store write + reply)`);
      }
    } finally {
      follower.close();
    }
  });
}

function cleanupNow(): void {
  for (const d of daemons) if (d.child.exitCode === null) d.child.kill('SIGTERM');
  for (const dir of tempDirs.reverse()) rmSync(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string, fallback: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
  const o: Options = { runs: flag('--runs', 200), files: flag('--files', 5000), active: flag('--active', 50), latency: flag('--latency', 30), journalScale: flag('--journal-scale', 1) };
  const gitVersion = spawnSync('git', ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`Runs benchmark: node ${process.version}, ${gitVersion}, ${cpus().length} CPUs, ${new Date().toISOString()}`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cleanupNow();
      process.exit(130);
    });
  }
  const started = process.hrtime.bigint();
  try {
    await benchRunsAtOnce(o);
    await benchJournal(o);
    await benchRss(o);
    await benchApplyLatency(o);
  } finally {
    // Worktrees of the runs live in the daemons' homes (removed by stop()); the repository here.
    const cleanup = process.hrtime.bigint();
    cleanupNow();
    console.log(`\ntotal ${(msSince(started) / 1000).toFixed(0)} s (cleanup ${(msSince(cleanup) / 1000).toFixed(1)} s)`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
