/**
 * Per-run milestones read from a session's timeline: when the first event naming the run
 * arrived at the client, the daemon's own timestamps of `run.Starting` and `workspace.ready`,
 * and how the run ended. The benchmark waits on these instead of polling run statuses: each
 * milestone is committed with the status change it records (RunWriter), so they agree.
 */
import type { TimelineEvent } from './runs-socket.js';

export interface RunRecord {
  /** Client arrival (hrtime) of the first event that names the run. */
  firstEventAt?: bigint;
  firstEventType?: string;
  /** Daemon clock (ms since epoch) of `run.Starting`. */
  startingAt?: number;
  /** Daemon clock (ms since epoch) of `workspace.ready`. */
  workspaceReadyAt?: number;
  running: boolean;
  /** `run.Completed`, `run.Failed`, `run.Interrupted` or `run.Canceled`. */
  terminal?: string;
  terminalAt?: bigint;
  /** reason: message of a failure, for the report. */
  failure?: string;
  /** Set while the run waits for a person (an approval or an answer): nobody will come. */
  blockedOn?: string;
}

const TERMINAL = new Set(['run.Completed', 'run.Failed', 'run.Interrupted', 'run.Canceled']);
const BLOCKING = new Set(['approval.requested', 'run.WaitingForApproval', 'run.WaitingForInput']);

/** Collects milestones from a TimelineFollower and resolves waits on them. */
export class RunTracker {
  readonly runs = new Map<string, RunRecord>();
  private waiters: { check: () => boolean; resolve: () => void }[] = [];

  /** Pass as the follower's `onEvent`. */
  readonly onEvent = (e: TimelineEvent, arrivedAt: bigint): void => {
    if (!e.run) return;
    let r = this.runs.get(e.run);
    if (!r) this.runs.set(e.run, (r = { firstEventAt: arrivedAt, firstEventType: e.type, running: false }));
    if (e.type === 'run.Starting') r.startingAt = Date.parse(e.time);
    else if (e.type === 'workspace.ready') r.workspaceReadyAt = Date.parse(e.time);
    else if (e.type === 'run.Running') {
      r.running = true;
      delete r.blockedOn;
    } else if (BLOCKING.has(e.type)) r.blockedOn = `${e.type} ${JSON.stringify(e.payload ?? {}).slice(0, 200)}`;
    else if (TERMINAL.has(e.type)) {
      r.terminal = e.type;
      r.terminalAt = arrivedAt;
      r.running = false;
      if (e.type !== 'run.Completed') r.failure = `${String(e.payload?.reason ?? '')}: ${String(e.payload?.message ?? '')}`;
    }
    this.waiters = this.waiters.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  };

  /** Runs (among `names`, or all seen) whose record satisfies `pick`. */
  count(pick: (r: RunRecord) => boolean, names?: Iterable<string>): number {
    let n = 0;
    for (const name of names ?? this.runs.keys()) {
      const r = this.runs.get(name);
      if (r && pick(r)) n++;
    }
    return n;
  }

  /** Resolves when `check` holds; rejects after `timeoutMs` with `what` and `progress()` in the message. */
  until(check: () => boolean, timeoutMs: number, what: string, progress: () => string = () => ''): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what} ${progress()}`));
      }, timeoutMs);
      const waiter = {
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** `n` failures as "name (reason: message)", for an error message. */
  failures(n = 3): string {
    const out: string[] = [];
    for (const [name, r] of this.runs) if (r.failure && out.length < n) out.push(`${name} (${r.failure})`);
    return out.join('; ');
  }
}
