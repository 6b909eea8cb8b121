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
 * Usage: node dist/hack/bench/runs.js [--runs 200] [--serial 8] [--files 5000] [--active 50] [--latency 30] [--journal-scale 1]
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { percentile, msSince } from './http.js';
import { rssMiB } from './daemon-process.js';
import { interrupted, line, ms, ratio, removeTempDirs, settleDisk, sorted, tempDir, withDaemon } from './runs-harness.js';
import { measureJournal } from './runs-journal.js';
import { generateRepo, WorktreeBaselines } from './runs-repo.js';
import { API, SocketClient, TimelineFollower } from './runs-socket.js';
import { RunTracker, type RunRecord } from './runs-tracker.js';
import * as fx from './runs-fixtures.js';

interface Options {
  runs: number;
  /** Controller runs made one at a time beside the raw baseline (plus one warm-up). */
  serial: number;
  files: number;
  active: number;
  latency: number;
  journalScale: number;
}

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

/** Waits until every run has ended; fails at once if one waits for a person (nobody will answer). */
async function untilTerminal(tracker: RunTracker, names: string[], timeoutMs: number): Promise<void> {
  const done = (): number => tracker.count((r) => r.terminal !== undefined, names);
  const blocked = (): string | undefined => names.map((n) => tracker.runs.get(n)).find((r) => r?.blockedOn && !r.terminal)?.blockedOn;
  await tracker.until(() => done() === names.length || blocked() !== undefined, timeoutMs, `${names.length} runs to finish`, () => `(${done()} finished; ${tracker.failures()})`);
  const waiting = blocked();
  if (waiting) throw new Error(`a benchmark run is waiting for a person: ${waiting}`);
}

/** Part 1: 200 runs at once in worktrees of a 5,000-file repository, and the worktree baselines. */
async function benchRunsAtOnce(o: Options): Promise<void> {
  console.log(`\n== 1. ${o.runs} Scripted runs applied at once, one worktree each (${o.files}-file repository) ==`);
  const work = tempDir('sidekick-bench-runs-');
  const repo = join(work, 'repo');
  let start = process.hrtime.bigint();
  const base = generateRepo(repo, o.files);
  line(`generate repository (${o.files} files, one commit)`, ms(msSince(start)));
  const baselines = new WorktreeBaselines(repo, base, join(work, 'baselines'));

  await withDaemon(async (_d, client) => {
    await fx.createAll(client, [
      ['agents', fx.agent('editor', fx.EDIT_SCRIPT)],
      ['sessions', fx.session('serial', 1)],
      ['sessions', fx.session('bench', o.runs)],
      ['repomounts', fx.repoMount('serial-repo', 'serial', repo)],
      ['repomounts', fx.repoMount('bench-repo', 'bench', repo)],
      ['approvalpolicies', fx.approvalPolicy('serial')],
      ['approvalpolicies', fx.approvalPolicy('bench')],
    ]);
    for (const s of ['serial', 'bench']) await fx.waitForPhase(client, 'sessions', s, 'Active');
    for (const m of ['serial-repo', 'bench-repo']) await fx.waitForPhase(client, 'repomounts', m, 'Attached');
    const tracker = new RunTracker();
    const followers = [await TimelineFollower.open(client.socketPath, 'serial', tracker.onEvent), await TimelineFollower.open(client.socketPath, 'bench', tracker.onEvent)];
    try {
      // Like for like: one controller run at a time, each beside a raw `git worktree add` and an
      // in-process WorkspaceManager.prepare made just before it, so a disk whose speed drifts (a
      // shared VM) moves all three alike. The first triple is a warm-up.
      const raw: number[] = [];
      const inproc: number[] = [];
      const serial: number[] = [];
      const paired: number[] = [];
      for (let i = 0; i <= o.serial; i++) {
        settleDisk();
        const r = baselines.raw();
        settleDisk();
        const p = await baselines.inProcess();
        settleDisk();
        const name = `serial-${i}`;
        await client.json('POST', `${API}/runs`, fx.run(name, 'serial', 'serial', 'editor', 'serial-repo'), [201]);
        await untilTerminal(tracker, [name], 120_000);
        const c = worktreeTimes(recordsOf(tracker, [name]))[0];
        if (i === 0 || c === undefined) continue;
        raw.push(r);
        inproc.push(p);
        serial.push(c);
        paired.push(c / r);
      }
      await baselines.clear();
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
      // The baseline again, now, with the same disk state and the repository's 200 worktrees.
      settleDisk();
      const rawAfter = sorted(Array.from({ length: 5 }, () => baselines.raw()));
      await baselines.clear();
      const rawAfterMedian = percentile(rawAfter, 50);

      line(`all ${o.runs} POSTs acknowledged`, `${(appliedMs / 1000).toFixed(2)} s`);
      line('last run.Starting (all admitted), from first POST', `${((lastStarting - t0) / 1000).toFixed(2)} s`);
      line('last workspace.ready, from first POST', `${((lastReady - t0) / 1000).toFixed(2)} s`);
      line(`all ${o.runs} runs finished, from first POST`, `${(allDoneMs / 1000).toFixed(2)} s  (phases: ${JSON.stringify(phases)})`);
      if ((phases.Completed ?? 0) !== o.runs) line('WARNING: not every run Completed', tracker.failures(5));
      const rawMedian = percentile(sorted(raw), 50);
      const med = (xs: number[]): number => percentile(sorted(xs), 50);
      line(`raw \`git worktree add -b\` (${raw.length}, one at a time), median / p90`, `${ms(rawMedian)} / ${ms(percentile(sorted(raw), 90))}  (baseline)`);
      line(`WorkspaceManager.prepare in-process, median`, `${ms(med(inproc))} = ${ratio(med(inproc), rawMedian)} raw  (diagnostic: the controller's git work alone)`);
      line(`controller, one run at a time (maxActiveRuns=1), median`, `${ms(med(serial))} = ${ratio(med(serial), rawMedian)} raw  (target <= 1.5x)`);
      line('  same, median of per-pair ratios (controller / raw beside it)', `${med(paired).toFixed(2)}x  (min ${Math.min(...paired).toFixed(2)}x, max ${Math.max(...paired).toFixed(2)}x)`);
      line(`raw \`git worktree add -b\` right after, with the runs' worktrees (${rawAfter.length}), median`, `${ms(rawAfterMedian)}  (baseline for the next lines)`);
      const concMedian = percentile(concurrent, 50);
      line(`controller, ${o.runs} at once: Starting→workspace.ready median / p90`, `${ms(concMedian)} / ${ms(percentile(concurrent, 90))} = ${ratio(concMedian, rawAfterMedian)} raw  (includes queueing)`);
      const perWorktree = (lastReady - firstStarting) / o.runs;
      line(`controller, ${o.runs} at once: wall time per worktree`, `${ms(perWorktree)} = ${ratio(perWorktree, rawAfterMedian)} raw  ((last ready - first Starting) / ${o.runs})`);
      // Worktrees of one repository are made one after another (the WorkspaceManager's per-repo
      // lock), so the gaps between consecutive workspace.ready events show whether each one costs
      // more as the repository collects worktrees.
      const readyTimes = sorted(records.map((r) => r.workspaceReadyAt ?? NaN).filter((t) => !Number.isNaN(t)));
      const gaps = readyTimes.slice(1).map((t, i) => t - readyTimes[i]);
      const k = Math.min(50, Math.floor(gaps.length / 2));
      line(`  gap between consecutive workspace.ready: first ${k} / last ${k}, median`, `${ms(med(gaps.slice(0, k)))} / ${ms(med(gaps.slice(-k)))}`);
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

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string, fallback: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
  const o: Options = { runs: flag('--runs', 200), serial: flag('--serial', 8), files: flag('--files', 5000), active: flag('--active', 50), latency: flag('--latency', 30), journalScale: flag('--journal-scale', 1) };
  const gitVersion = spawnSync('git', ['--version'], { encoding: 'utf8' }).stdout.trim();
  // The load average says how far to trust the figures: other work on the machine moves them.
  console.log(`Runs benchmark: node ${process.version}, ${gitVersion}, ${cpus().length} CPUs, load ${loadavg()[0].toFixed(2)}, ${new Date().toISOString()}`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void interrupted());
  }
  const started = process.hrtime.bigint();
  try {
    for (const part of [benchRunsAtOnce, benchJournal, benchRss, benchApplyLatency]) {
      settleDisk();
      const start = process.hrtime.bigint();
      await part(o);
      line('(this part, including its clean-up)', `${(msSince(start) / 1000).toFixed(0)} s`);
    }
  } finally {
    // Worktrees of the runs live in the daemons' homes (removed by stop()); the repository here.
    const cleanup = process.hrtime.bigint();
    removeTempDirs();
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
