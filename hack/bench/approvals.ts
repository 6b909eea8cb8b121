/**
 * Approvals benchmark: the machine's share of an approval round trip, against a daemon process.
 *
 * A Scripted run plays N RunCommand steps (`echo step-<i>`), each of which the default policy sends
 * to Ask. The benchmark watches Approvals (`GET .../approvals?watch=1`, as `sidekick get -w` and
 * kubectl do), approves each one the moment it appears with the merge patch of `spec.decision` that
 * `sidekick approve` sends, and follows the session's timeline. Per approval it measures
 * - gate: the driver's tool request (the earlier of the `tool.invoked` and `approval.requested`
 *   journal stamps, daemon clock, ms) → the Approval's ADDED event reaching the watcher;
 * - resume: the approve PATCH sent → the call's `tool.result` reaching the timeline follower (the
 *   decision stored, the approval controller settling it, the gate releasing the driver, the
 *   command executing, its result journalled);
 * - round trip = gate + resume: what the machine adds. The time the benchmark itself takes between
 *   seeing an Approval and sending its PATCH (the stand-in for a person) is left out.
 * Baseline, in the same daemon: the same script in a session whose ApprovalPolicy allows
 * ToolExecution by default, so the gate lets each call through without an Approval:
 * `tool.invoked` → `tool.result` observed. The ratio is the approval's round trip over that.
 *
 * Daemon stamps have millisecond resolution (truncated), so each figure that starts from one can
 * read up to 1 ms long. Client arrivals are mapped onto the same wall clock (see wallClock).
 * WARNING: the daemon journals `tool.invoked` through the run's event pump while it answers the
 * permission request at once, so `approval.requested` is often journalled first; the gate figure
 * then starts at the Approval's creation and leaves out the gate's reads before it. The benchmark
 * prints how often that happened.
 *
 * Usage: node dist/hack/bench/approvals.js [--approvals 200] [--warmup 10]
 */
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { exchange, percentile } from './http.js';
import { interrupted, line, ms, ratio, removeTempDirs, runMain, sorted, withDaemon } from './runs-harness.js';
import { API, streamLines, TimelineFollower, type TimelineEvent } from './runs-socket.js';
import * as fx from './runs-fixtures.js';
import type { ScriptStep } from '../../resources/kinds/agent-script.js';

const TARGET_P99_MS = 50;
const STEP_TIMEOUT_MS = 30_000;

interface Options {
  approvals: number;
  warmup: number;
}

/** Milestones of one tool call (wall-clock ms). */
interface CallRecord {
  invokedAt?: number;
  requestedAt?: number;
  /** The Approval's ADDED event reached the watcher. */
  watchedAt?: number;
  /** The approve PATCH was handed to the socket. */
  patchSentAt?: number;
  /** `approval.approved` journalled: the approval controller has settled the decision. */
  approvedAt?: number;
  /** `tool.result` journalled (daemon clock). */
  resultAt?: number;
  /** The tool.result reached the timeline follower. */
  resultSeenAt?: number;
  resultOk?: boolean;
  /** The command's own run time, as the tool layer reports it. */
  durationMs?: number;
}

/**
 * Maps process.hrtime.bigint() onto Date.now()'s wall clock, anchored at a millisecond tick so the
 * mapping is accurate to microseconds rather than to Date.now()'s whole milliseconds.
 */
function wallClock(): (hr: bigint) => number {
  const first = Date.now();
  let hr: bigint;
  let now: number;
  do {
    hr = process.hrtime.bigint();
    now = Date.now();
  } while (now === first);
  return (t) => now + Number(t - hr) / 1e6;
}

/** The script: `count` commands the policy decides on, then a last word. */
function commands(count: number): ScriptStep[] {
  return [...Array.from({ length: count }, (_, i) => ({ tool: 'RunCommand' as const, input: { command: `echo step-${i}` } })), { say: 'All commands ran.' }];
}

/** A Scripted agent whose turn limit fits the script. */
function agent(name: string, script: ScriptStep[]): object {
  const a = fx.agent(name, script) as { spec: Record<string, unknown> };
  return { ...a, spec: { ...a.spec, maxTurns: script.length + 10 } };
}

/** Lets every ToolExecution request of `session` run without an Approval (a policy default, so none is filed). */
function allowPolicy(session: string): object {
  return { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'ApprovalPolicy', metadata: { name: `${session}-allow`, labels: { bench: 'approvals' } }, spec: { session, defaults: { ToolExecution: 'Allow' } } };
}

/** Follows a watch of Approvals over the Unix socket, handing each event to `onEvent` with its arrival. */
function watchApprovals(socketPath: string, session: string, onEvent: (type: string, obj: ApprovalObject, arrivedAt: bigint) => void): Promise<http.ClientRequest> {
  const selector = encodeURIComponent(`sidekicks.dev/session=${session}`);
  return streamLines(socketPath, `${API}/approvals?watch=1&labelSelector=${selector}`, 'watch approvals', (line, arrivedAt) => {
    const e = JSON.parse(line) as { type: string; object: ApprovalObject };
    onEvent(e.type, e.object, arrivedAt);
  });
}

interface ApprovalObject {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { run?: string };
  status?: { phase?: string };
}

/** One run of the script in `session`; resolves with each call's milestones once the run has ended. */
async function playRun(
  socketPath: string,
  session: string,
  count: number,
  approve: boolean,
  toWall: (hr: bigint) => number,
): Promise<Map<string, CallRecord>> {
  const calls = new Map<string, CallRecord>();
  const call = (id: string): CallRecord => calls.get(id) ?? (calls.set(id, {}), calls.get(id)!);
  const callOf = new Map<string, string>();
  const agentHttp = new http.Agent({ keepAlive: true, maxSockets: 4 });
  let finish!: (outcome: string) => void;
  const ended = new Promise<string>((resolve) => (finish = resolve));
  let lastProgress = Date.now();
  const follower = await TimelineFollower.open(socketPath, session, (e: TimelineEvent, arrivedAt: bigint) => {
    if (e.run !== session) return;
    lastProgress = Date.now();
    const approval = e.payload?.approval as string | undefined;
    // The settling events name the approval only; approval.requested names both.
    const callId = (e.payload?.callId as string | undefined) ?? (approval ? callOf.get(approval) : undefined);
    if (e.type === 'tool.invoked' && callId) call(callId).invokedAt = Date.parse(e.time);
    else if (e.type === 'approval.requested' && callId) {
      call(callId).requestedAt = Date.parse(e.time);
      if (approval) callOf.set(approval, callId);
    } else if (e.type === 'approval.approved' && callId) call(callId).approvedAt = Date.parse(e.time);
    else if ((e.type === 'tool.result' || e.type === 'tool.error') && callId) {
      const r = call(callId);
      r.resultSeenAt = toWall(arrivedAt);
      r.resultAt = Date.parse(e.time);
      r.resultOk = e.type === 'tool.result';
      r.durationMs = e.payload?.durationMs as number | undefined;
    } else if (e.type === 'run.Completed' || e.type === 'run.Failed' || e.type === 'run.Interrupted' || e.type === 'run.Canceled') {
      finish(`${e.type}${e.payload?.message ? `: ${String(e.payload.message)}` : ''}`);
    }
  });
  const patchErrors: string[] = [];
  const watch = approve
    ? await watchApprovals(socketPath, session, (type, obj, arrivedAt) => {
        if (type !== 'ADDED' || obj.status?.phase !== 'Pending') return;
        const callId = obj.metadata.annotations?.['sidekicks.dev/tool-call'];
        if (!callId) return;
        const r = call(callId);
        r.watchedAt = toWall(arrivedAt);
        // Approve at once, as `sidekick approve NAME` does: a merge patch of spec.decision.
        r.patchSentAt = toWall(process.hrtime.bigint());
        void exchange(
          http.request,
          { agent: agentHttp, socketPath, method: 'PATCH', path: `${API}/approvals/${obj.metadata.name}?fieldManager=sidekick`, headers: { 'content-type': 'application/merge-patch+json' } },
          { spec: { decision: { verdict: 'Approved' } } },
        ).then(
          (res) => void (res.status !== 200 && patchErrors.push(`${obj.metadata.name}: HTTP ${res.status} ${res.body.slice(0, 200)}`)),
          (err: Error) => void patchErrors.push(`${obj.metadata.name}: ${err.message}`),
        );
      })
    : undefined;
  const stall = setInterval(() => {
    if (Date.now() - lastProgress > STEP_TIMEOUT_MS) finish(`stalled: no event for ${STEP_TIMEOUT_MS / 1000} s`);
  }, 1000);
  try {
    const client = new http.Agent({ keepAlive: false });
    const res = await exchange(http.request, { agent: client, socketPath, method: 'POST', path: `${API}/runs` }, fx.run(session, 'approvals', session, session));
    if (res.status !== 201) throw new Error(`create run ${session}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
    const outcome = await ended;
    if (!outcome.startsWith('run.Completed')) throw new Error(`run ${session} ended ${outcome}`);
    if (patchErrors.length) throw new Error(`approve failed: ${patchErrors.slice(0, 3).join('; ')}`);
    const results = [...calls.values()].filter((r) => r.resultSeenAt !== undefined);
    if (results.length !== count || results.some((r) => !r.resultOk)) throw new Error(`run ${session}: ${results.length}/${count} calls reported, ${results.filter((r) => !r.resultOk).length} refused or failed`);
    return calls;
  } finally {
    clearInterval(stall);
    follower.close();
    watch?.destroy();
    agentHttp.destroy();
  }
}

function summary(name: string, xs: number[], note = ''): void {
  const s = sorted(xs);
  line(name, `p50 ${ms(percentile(s, 50))}  p99 ${ms(percentile(s, 99))}  max ${ms(s.at(-1)!)}${note ? `  ${note}` : ''}`);
}

/** The call records after the warm-up, in script order. */
function measured(calls: Map<string, CallRecord>, warmup: number, total: number): CallRecord[] {
  return Array.from({ length: total - warmup }, (_, i) => calls.get(`step-${warmup + i}`)!).filter(Boolean);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string, fallback: number): number => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
  const o: Options = { approvals: flag('--approvals', 200), warmup: flag('--warmup', 10) };
  const total = o.approvals + o.warmup;
  console.log(`Approvals benchmark: node ${process.version}, ${cpus().length} CPUs, load ${loadavg()[0].toFixed(2)}, ${new Date().toISOString()}`);
  console.log(`\n== Approval round trip: ${o.approvals} RunCommand approvals of one Scripted run (+${o.warmup} warm-up), approved on sight ==`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void interrupted());
  try {
    await withDaemon(async (_d, client) => {
      const script = commands(total);
      await fx.createAll(client, [
        ['sessions', fx.session('open', 5)],
        ['sessions', fx.session('gated', 5)],
        ['agents', agent('open', script)],
        ['agents', agent('gated', script)],
        ['approvalpolicies', allowPolicy('open')],
      ]);
      for (const s of ['open', 'gated']) await fx.waitForPhase(client, 'sessions', s, 'Active');
      const socketPath = client.socketPath;
      const toWall = wallClock();

      // Baseline first: the same calls, allowed by policy, nobody asked.
      const open = measured(await playRun(socketPath, 'open', total, false, toWall), o.warmup, total);
      const gated = measured(await playRun(socketPath, 'gated', total, true, toWall), o.warmup, total);

      const base = open.map((r) => r.resultSeenAt! - r.invokedAt!);
      const start = (r: CallRecord): number => Math.min(r.invokedAt ?? Infinity, r.requestedAt ?? Infinity);
      const gate = gated.map((r) => r.watchedAt! - start(r));
      const gateDaemon = gated.map((r) => r.requestedAt! - start(r));
      const delivery = gated.map((r) => r.watchedAt! - r.requestedAt!);
      const resume = gated.map((r) => r.resultSeenAt! - r.patchSentAt!);
      const settle = gated.map((r) => r.approvedAt! - r.patchSentAt!);
      const release = gated.map((r) => r.resultAt! - r.approvedAt!);
      const follow = gated.map((r) => r.resultSeenAt! - r.resultAt!);
      const human = gated.map((r) => r.patchSentAt! - r.watchedAt!);
      const trip = gated.map((r, i) => gate[i]! + resume[i]!);
      const commandMs = sorted(gated.map((r) => r.durationMs ?? 0));

      summary('gate: tool request → Approval ADDED at the watcher', gate);
      summary('  tool.invoked → approval.requested (daemon stamps)', gateDaemon);
      const early = gated.filter((r) => r.requestedAt! < r.invokedAt!).length;
      line('  calls journalled approval.requested before tool.invoked', `${early} / ${gated.length}  (then the gate counts from approval.requested)`);
      summary('  approval.requested → watcher (watch delivery)', delivery);
      summary('resume: approve PATCH sent → tool.result observed', resume);
      summary('  PATCH sent → approval.approved (stored, settled)', settle);
      summary('  approval.approved → tool.result (release, run, journal)', release, `(the command itself: p50 ${ms(percentile(commandMs, 50))})`);
      summary('  tool.result → timeline follower', follow);
      summary('(excluded) the bench\'s own wait: ADDED seen → PATCH sent', human);
      const p99 = percentile(sorted(trip), 99);
      summary(`round trip, machine only: gate + resume (n=${trip.length})`, trip, `(target p99 < ${TARGET_P99_MS} ms: ${p99 < TARGET_P99_MS ? 'met' : 'MISSED'})`);
      summary(`baseline, allowed by policy: tool.invoked → tool.result seen (n=${base.length})`, base);
      const med = (xs: number[]): number => percentile(sorted(xs), 50);
      line('round trip / baseline', `p50 ${ratio(med(trip), med(base))}  p99 ${ratio(p99, percentile(sorted(base), 99))}`);
      line('gate overhead per approval (p50 round trip - p50 baseline)', ms(med(trip) - med(base)));
      if (p99 >= TARGET_P99_MS) process.exitCode = 1;
    });
  } finally {
    removeTempDirs();
  }
}

runMain(main);
