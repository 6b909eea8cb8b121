/**
 * Queue benchmark: 500 no-op Scripted runs queued at once in one session limited to 5 active runs
 * (`limits: {maxActiveRuns: 5, maxQueuedRuns: 500}`), with mixed priorities, drained by the
 * daemon's admission; a daemon process per part, driven over its Unix socket.
 *
 * The runs are created, all requests in flight at once, before their agent exists: a run whose
 * agent is missing stays Queued and keeps its place without taking a slot, so every run is queued
 * before the first is admitted and the admission order can be checked for all of them. Creating
 * the agent starts the drain; drain time runs from that POST to the last `run.Completed` seen.
 *
 * Admission order is read from the session's journal (`run.Starting` in sequence order) and
 * checked against the rule (DOMAIN.md, Runs): priority, higher first, then FIFO by creation (the
 * creationTimestamp and time-ordered uid the POSTs returned). Runs admitted together (several
 * slots free at once) may commit their `run.Starting` in any order among themselves, so a run may
 * start while up to maxActiveRuns - 1 runs ranked above it are still waiting; a run that starts
 * ahead of maxActiveRuns or more runs ranked above it is out of order. The journal also gives the
 * most runs active at once (must not pass the limit) and the slot hand-off: the n-th run.Starting
 * after the first `maxActiveRuns` against the n-th end that freed a slot (daemon stamps).
 *
 * Baseline (fresh daemon, same 500 runs and agent): no daemon queue. The session allows 500
 * active runs, and the benchmark itself keeps `maxActiveRuns` runs in flight, creating the next
 * one (in the queue's order) as soon as one of its runs is seen Completed. Same work, same
 * parallelism, so the ratio is what the daemon's queue costs over a client that schedules for it.
 * (500 runs active at once, the other possible baseline, would start 500 driver host processes at
 * once on this machine, measuring process start-up under memory pressure rather than the queue.)
 *
 * Usage: node dist/hack/bench/queue.js [--runs 500] [--active 5]
 */
import { cpus, loadavg } from 'node:os';
import { msSince, percentile } from './http.js';
import { cpuSeconds } from './daemon-process.js';
import { interrupted, line, ms, ratio, removeTempDirs, runMain, sorted, withDaemon } from './runs-harness.js';
import { API, SocketClient, TimelineFollower, type TimelineEvent } from './runs-socket.js';
import { RunTracker } from './runs-tracker.js';
import * as fx from './runs-fixtures.js';

const apiVersion = 'sidekicks.dev/v1alpha1';
const PRIORITIES = [0, 10, 5];
const TERMINAL = new Set(['run.Completed', 'run.Failed', 'run.Interrupted', 'run.Canceled']);

interface Options {
  runs: number;
  active: number;
}

/** A run of the benchmark and where it belongs in the queue. */
interface QueuedRun {
  name: string;
  priority: number;
  creationTimestamp: string;
  uid: string;
}

interface Created {
  metadata: { name: string; uid: string; creationTimestamp: string };
}

/** The session's journal in sequence order, as the follower delivers it. */
class JournalLog {
  readonly events: { e: TimelineEvent; arrivedAt: bigint }[] = [];
  readonly queued = new Set<string>();
  constructor(private readonly tracker: RunTracker) {}
  readonly onEvent = (e: TimelineEvent, arrivedAt: bigint): void => {
    this.events.push({ e, arrivedAt });
    if (e.type === 'run.Queued' && e.run) this.queued.add(e.run);
    this.tracker.onEvent(e, arrivedAt);
  };
}

function session(name: string, maxActiveRuns: number, maxQueuedRuns: number): object {
  return { apiVersion, kind: 'Session', metadata: { name, labels: { bench: 'queue' } }, spec: { title: `bench ${name}`, limits: { maxActiveRuns, maxQueuedRuns } } };
}

function run(name: string, sessionName: string, priority: number): object {
  return { apiVersion, kind: 'Run', metadata: { name, labels: { bench: 'queue' } }, spec: { session: sessionName, agent: 'noop', priority, prompt: 'Nothing to do.' } };
}

const NOOP = fx.agent('noop', [{ say: 'Nothing to do.' }]);

/** Mixed priorities, spread over the creation order. */
function priorityOf(i: number): number {
  return PRIORITIES[(i * 7 + Math.floor(i / 3)) % PRIORITIES.length]!;
}

/** The queue's order: priority (higher first), then creation (timestamp, then the time-ordered uid). */
function queueOrder(a: QueuedRun, b: QueuedRun): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.creationTimestamp !== b.creationTimestamp) return a.creationTimestamp < b.creationTimestamp ? -1 : 1;
  return a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0;
}

async function followSession(client: SocketClient, name: string, onEvent: (e: TimelineEvent, at: bigint) => void): Promise<TimelineFollower> {
  await fx.waitForPhase(client, 'sessions', name, 'Active');
  return TimelineFollower.open(client.socketPath, name, onEvent);
}

interface OrderCheck {
  starts: number;
  /** Runs that started with no run ranked above them still waiting. */
  exact: number;
  /** Most runs ranked above a run that were still waiting when it started. */
  maxAhead: number;
  /** Runs that started ahead of `active` or more runs ranked above them. */
  outOfOrder: string[];
  maxActive: number;
  /** ms from the n-th slot freed to the (n + active)-th run.Starting, daemon stamps. */
  handoff: number[];
}

/** Checks the admission order and the active limit from the journal. */
function checkOrder(log: JournalLog, runs: QueuedRun[], limit: number): OrderCheck {
  const ideal = [...runs].sort(queueOrder);
  const rank = new Map(ideal.map((r, i) => [r.name, i]));
  const started = new Array<boolean>(ideal.length).fill(false);
  const ours = new Set(runs.map((r) => r.name));
  const check: OrderCheck = { starts: 0, exact: 0, maxAhead: 0, outOfOrder: [], maxActive: 0, handoff: [] };
  const startTimes: number[] = [];
  const endTimes: number[] = [];
  let active = 0;
  for (const { e } of log.events) {
    if (!e.run || !ours.has(e.run)) continue;
    if (e.type === 'run.Starting') {
      const r = rank.get(e.run)!;
      let ahead = 0;
      for (let i = 0; i < r; i++) if (!started[i]) ahead++;
      started[r] = true;
      check.starts++;
      if (ahead === 0) check.exact++;
      check.maxAhead = Math.max(check.maxAhead, ahead);
      if (ahead >= limit) check.outOfOrder.push(`${e.run} (priority ${ideal[r]!.priority}, rank ${r}, ${ahead} ranked above still waiting)`);
      active++;
      check.maxActive = Math.max(check.maxActive, active);
      startTimes.push(Date.parse(e.time));
    } else if (TERMINAL.has(e.type)) {
      active--;
      endTimes.push(Date.parse(e.time));
    }
  }
  for (let j = limit; j < startTimes.length && j - limit < endTimes.length; j++) check.handoff.push(startTimes[j]! - endTimes[j - limit]!);
  return check;
}

/** Part 1: the daemon's queue drains `runs` runs through `active` slots. */
async function benchQueue(o: Options): Promise<{ drainMs: number }> {
  console.log(`\n== 1. ${o.runs} no-op Scripted runs queued at once in one session, maxActiveRuns ${o.active}, maxQueuedRuns ${o.runs}, priorities ${PRIORITIES.join('/')} ==`);
  return withDaemon(async (d, client) => {
    await client.json('POST', `${API}/sessions`, session('queue', o.active, o.runs), [201]);
    const tracker = new RunTracker();
    const log = new JournalLog(tracker);
    const follower = await followSession(client, 'queue', log.onEvent);
    try {
      const names = Array.from({ length: o.runs }, (_, i) => `q-${i}`);
      const posts: number[] = [];
      let start = process.hrtime.bigint();
      const created = await Promise.all(
        names.map(async (n, i) => {
          const t = process.hrtime.bigint();
          const obj = await client.json<Created>('POST', `${API}/runs`, run(n, 'queue', priorityOf(i)), [201]);
          posts.push(msSince(t));
          return { name: n, priority: priorityOf(i), creationTimestamp: obj.metadata.creationTimestamp, uid: obj.metadata.uid };
        }),
      );
      const createMs = msSince(start);
      await tracker.until(() => log.queued.size >= o.runs, 120_000, `${o.runs} runs Queued`, () => `(${log.queued.size} Queued)`);
      if (tracker.count((r) => r.startingAt !== undefined) > 0) throw new Error('a run started before its agent existed');

      start = process.hrtime.bigint();
      const cpuBefore = cpuSeconds(d.pid);
      await client.json('POST', `${API}/agents`, NOOP, [201]);
      const done = (): number => tracker.count((r) => r.terminal !== undefined, names);
      await tracker.until(() => done() === o.runs, 1_800_000, `${o.runs} runs to finish`, () => `(${done()} finished; ${tracker.failures()})`);
      const drainMs = Math.max(...names.map((n) => Number(tracker.runs.get(n)!.terminalAt! - start) / 1e6));
      const cpu = cpuSeconds(d.pid) - cpuBefore;
      const phases = await fx.phaseCounts(client, 'queue');
      const check = checkOrder(log, created, o.active);

      const p = sorted(posts);
      line(`create ${o.runs} runs, all POSTs in flight at once`, `${(createMs / 1000).toFixed(2)} s  (POST p50 ${ms(percentile(p, 50))}, p99 ${ms(percentile(p, 99))})`);
      line(`drain: agent created → all ${o.runs} runs ended`, `${(drainMs / 1000).toFixed(2)} s = ${(o.runs / (drainMs / 1000)).toFixed(1)} runs/s  (phases: ${JSON.stringify(phases)})`);
      line('daemon CPU during the drain (driver hosts excluded)', `${cpu.toFixed(1)} s = ${ms((cpu * 1000) / o.runs)} per run`);
      line('admission order: started with nothing ranked above waiting', `${check.exact} / ${check.starts}  (rest: admitted together with a higher-ranked run)`);
      line(`admission order: out of order (ahead of >= ${o.active} higher-ranked runs)`, `${check.outOfOrder.length}${check.outOfOrder.length ? `: ${check.outOfOrder.slice(0, 3).join('; ')}` : ''}  (most waiting above a starting run: ${check.maxAhead})`);
      line('most runs active at once (journal)', `${check.maxActive}  (limit ${o.active})`);
      const h = sorted(check.handoff);
      line('slot hand-off: run ended → next run.Starting (daemon stamps)', `p50 ${ms(percentile(h, 50))}  p99 ${ms(percentile(h, 99))}  max ${ms(h.at(-1) ?? NaN)}`);
      if ((phases.Completed ?? 0) !== o.runs || check.outOfOrder.length || check.maxActive > o.active) {
        line('WARNING', 'the queue broke a rule above');
        process.exitCode = 1;
      }
      return { drainMs };
    } finally {
      follower.close();
    }
  });
}

/** Part 2, the baseline: the same runs, no daemon queue; the client keeps `active` in flight. */
async function benchBaseline(o: Options): Promise<{ drainMs: number }> {
  console.log(`\n== 2. Baseline: the same ${o.runs} runs, no queue (maxActiveRuns ${o.runs}); the client keeps ${o.active} in flight ==`);
  return withDaemon(async (d, client) => {
    await client.json('POST', `${API}/sessions`, session('direct', o.runs, o.runs), [201]);
    await client.json('POST', `${API}/agents`, NOOP, [201]);
    await fx.waitForPhase(client, 'agents', 'noop', 'Ready');
    const tracker = new RunTracker();
    const log = new JournalLog(tracker);
    const follower = await followSession(client, 'direct', log.onEvent);
    try {
      // The order the queue would admit them in (creation order = index order here).
      const order = Array.from({ length: o.runs }, (_, i) => ({ name: `d-${i}`, priority: priorityOf(i), i })).sort((a, b) => b.priority - a.priority || a.i - b.i);
      let next = 0;
      const start = process.hrtime.bigint();
      const cpuBefore = cpuSeconds(d.pid);
      const lane = async (): Promise<void> => {
        while (next < order.length) {
          const r = order[next++]!;
          await client.json('POST', `${API}/runs`, run(r.name, 'direct', r.priority), [201]);
          await tracker.until(() => tracker.runs.get(r.name)?.terminal !== undefined, 120_000, `${r.name} to finish`, () => tracker.failures());
        }
      };
      await Promise.all(Array.from({ length: o.active }, lane));
      const drainMs = msSince(start);
      const cpu = cpuSeconds(d.pid) - cpuBefore;
      const phases = await fx.phaseCounts(client, 'queue');
      line(`all ${o.runs} runs ended, from the first POST`, `${(drainMs / 1000).toFixed(2)} s = ${(o.runs / (drainMs / 1000)).toFixed(1)} runs/s  (phases: ${JSON.stringify(phases)})`);
      line('daemon CPU, first POST → last run ended (driver hosts excluded)', `${cpu.toFixed(1)} s = ${ms((cpu * 1000) / o.runs)} per run`);
      if ((phases.Completed ?? 0) !== o.runs) {
        line('WARNING', `not every run Completed: ${tracker.failures(5)}`);
        process.exitCode = 1;
      }
      return { drainMs };
    } finally {
      follower.close();
    }
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string, fallback: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
  const o: Options = { runs: flag('--runs', 500), active: flag('--active', 5) };
  console.log(`Queue benchmark: node ${process.version}, ${cpus().length} CPUs, load ${loadavg()[0].toFixed(2)}, ${new Date().toISOString()}`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void interrupted());
  try {
    const queue = await benchQueue(o);
    const base = await benchBaseline(o);
    console.log('');
    line('drain time, daemon queue / client-scheduled baseline', `${ratio(queue.drainMs, base.drainMs)}  (${(queue.drainMs / 1000).toFixed(2)} s vs ${(base.drainMs / 1000).toFixed(2)} s)`);
  } finally {
    removeTempDirs();
  }
}

runMain(main);
