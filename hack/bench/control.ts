/**
 * Run control benchmark: pause-to-Paused and resume-to-Running latency of a Scripted
 * run, over repeated pause / resume cycles against a daemon process (target: < 2 s each).
 *
 * Each cycle patches `spec.suspend` as `sidekick pause` / `sidekick resume` do (a merge patch over
 * the daemon's Unix socket) and times until the run's `run.Paused` / `run.Running` journal event
 * reaches a timeline follower. Those events commit with the status change they record, so their
 * arrival is the moment a watcher sees the new phase. A pause includes interrupting the driver at
 * a safe point, its last checkpoint and its host process exiting; a resume lasts until the run is
 * Running again, which the controller commits once it has spawned the new driver host and handed it
 * the checkpoint (the host's own start-up, ~0.2 s of Node boot, runs on after that).
 *
 * Between a resume and the next pause the benchmark lets the run settle (`--settle-ms`, default
 * 1000): a pause right after a resume would also wait out that host start-up, which is not what a
 * person pausing a working run waits for. `--settle-ms 0` measures that back-to-back case.
 *
 * Usage: node dist/hack/bench/control.js [--cycles 20] [--settle-ms 1000]
 */
import { request } from 'node:http';
import { socketOwnerHeaders } from '../../api/client/connection.js';
import { join } from 'node:path';
import { percentile } from './http.js';
import { startDaemonProcess, type DaemonProcess } from './daemon-process.js';
import { API, SocketClient, TimelineFollower, type TimelineEvent } from './runs-socket.js';
import * as fx from './runs-fixtures.js';

const TARGET_MS = 2000;
const PHASE_TIMEOUT_MS = 30_000;

interface Waiter {
  match: (e: TimelineEvent) => boolean;
  resolve: (arrivedAt: bigint) => void;
}

/** Resolves waits on timeline events as they arrive. */
class EventWaits {
  private waiters: Waiter[] = [];

  readonly onEvent = (e: TimelineEvent, arrivedAt: bigint): void => {
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(e)) return true;
      w.resolve(arrivedAt);
      return false;
    });
  };

  /** The arrival time of the first event after this call that `match` takes. */
  next(what: string, match: (e: TimelineEvent) => boolean): Promise<bigint> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${PHASE_TIMEOUT_MS / 1000} s waiting for ${what}`));
      }, PHASE_TIMEOUT_MS);
      const waiter: Waiter = {
        match,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      this.waiters.push(waiter);
    });
  }
}

/** `PATCH spec.suspend` as a merge patch, as `sidekick pause|resume` sends it. */
function patchSuspend(socketPath: string, suspend: boolean): Promise<void> {
  const body = JSON.stringify({ spec: { suspend } });
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, path: `${API}/runs/control?fieldManager=sidekick`, method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json', 'content-length': Buffer.byteLength(body), ...socketOwnerHeaders(socketPath) } },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`PATCH suspend=${suspend}: HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function line(name: string, value: string): void {
  console.log(`  ${name.padEnd(52)} ${value}`);
}

const ms = (n: number): string => `${n.toFixed(n < 10 ? 1 : 0)} ms`;

function report(name: string, samples: number[]): boolean {
  const s = [...samples].sort((a, b) => a - b);
  const p99 = percentile(s, 99);
  line(name, `p50 ${ms(percentile(s, 50))}  p99 ${ms(p99)}  max ${ms(s.at(-1)!)}  (n=${s.length})`);
  return p99 < TARGET_MS;
}

async function main(): Promise<void> {
  const cycles = option('cycles', 20);
  const settleMs = option('settle-ms', 1000);
  console.log(`\n== Run control: ${cycles} pause / resume cycles of one Scripted run, ${settleMs} ms apart (target < ${TARGET_MS} ms) ==`);
  let daemon: DaemonProcess | undefined;
  let follower: TimelineFollower | undefined;
  let http: SocketClient | undefined;
  try {
    daemon = await startDaemonProcess();
    const socket = join(daemon.home, 'sidekick.sock');
    http = new SocketClient(socket, 4);
    await http.json('POST', `${API}/sessions`, fx.session('control', 5), [201]);
    await http.json('POST', `${API}/agents`, fx.agent('control', fx.waitScript(3600)), [201]);
    const waits = new EventWaits();
    // The session's journal exists once the session controller has observed it.
    for (const deadline = Date.now() + PHASE_TIMEOUT_MS; ; ) {
      try {
        follower = await TimelineFollower.open(socket, 'control', waits.onEvent);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const running = (e: TimelineEvent) => e.run === 'control' && e.type === 'run.Running';
    const paused = (e: TimelineEvent) => e.run === 'control' && e.type === 'run.Paused';
    const started = waits.next('the run to start', running);
    await http.json('POST', `${API}/runs`, fx.run('control', 'control', 'control', 'control'), [201]);
    await started;

    const pauses: number[] = [];
    const resumes: number[] = [];
    // One warm-up cycle (first host spawn from a checkpoint, page cache), not counted.
    for (let i = 0; i <= cycles; i++) {
      await new Promise((r) => setTimeout(r, settleMs));
      const isPaused = waits.next(`run.Paused (cycle ${i})`, paused);
      let start = process.hrtime.bigint();
      await patchSuspend(socket, true);
      const pausedAt = await isPaused;
      const isRunning = waits.next(`run.Running (cycle ${i})`, running);
      const pauseMs = Number(pausedAt - start) / 1e6;
      start = process.hrtime.bigint();
      await patchSuspend(socket, false);
      const runningAt = await isRunning;
      const resumeMs = Number(runningAt - start) / 1e6;
      if (i > 0) {
        pauses.push(pauseMs);
        resumes.push(resumeMs);
      }
    }
    const okPause = report('pause → Paused (PATCH suspend: true → run.Paused)', pauses);
    const okResume = report('resume → Running (PATCH suspend: false → run.Running)', resumes);
    line('target', `${okPause && okResume ? 'met' : 'MISSED'} (p99 < ${TARGET_MS} ms for both)`);
    if (!okPause || !okResume) process.exitCode = 1;
  } finally {
    follower?.close();
    http?.close();
    await daemon?.stop();
  }
}

await main();
