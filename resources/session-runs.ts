/**
 * A counted index of runs by session, kept up to date from a watch (an informer's events, the
 * API's own writes): how many runs of a session hold a slot or are unfinished, its queue in order,
 * and how many children each parent has — so a queue decision costs the runs it looks at, not a
 * scan (and a parse) of every run of the session. Fed whole objects; an older copy of a run than
 * the one it holds (a watch event that lost the race with a write's own result) is ignored.
 */
import { isActivePhase, type Run } from './kinds/run.js';
import { isUnfinished, isWaiting, queueOrder } from './run-queue.js';

/** One session's runs, as counted. */
export class SessionRuns {
  readonly runs = new Map<string, Run>();
  /** Live runs holding a slot (Starting through waiting or Paused). */
  active = 0;
  /** Live runs that have not ended (what the create check counts). */
  unfinished = 0;
  /** Live runs per parent name. */
  private readonly childCount = new Map<string, number>();
  /** Waiting runs, front first. */
  private readonly waiting: Run[] = [];

  /** The waiting runs, front first (do not mutate). */
  get queue(): readonly Run[] {
    return this.waiting;
  }

  /** The live runs naming `parent` as theirs. */
  children(parent: string): number {
    return this.childCount.get(parent) ?? 0;
  }

  /** Adds (sign 1) or removes (sign -1) a run's share of the counts. */
  account(run: Run, sign: 1 | -1): void {
    const live = !run.metadata.deletionTimestamp;
    if (live && isActivePhase(run.status?.phase)) this.active += sign;
    if (isUnfinished(run)) this.unfinished += sign;
    if (live && run.spec.parent !== undefined) {
      const n = this.children(run.spec.parent) + sign;
      if (n > 0) this.childCount.set(run.spec.parent, n);
      else this.childCount.delete(run.spec.parent);
    }
    if (!isWaiting(run)) return;
    const at = this.indexOf(run);
    if (sign > 0) this.waiting.splice(at, 0, run);
    else if (this.waiting[at] === run) this.waiting.splice(at, 1);
  }

  /** Binary search: where `run` is (or belongs) in the queue. */
  private indexOf(run: Run): number {
    let lo = 0;
    let hi = this.waiting.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (queueOrder(this.waiting[mid], run) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The session key of a run: `namespace/session`. */
export function sessionOf(run: Run): string {
  return `${run.metadata.namespace ?? ''}/${run.spec.session}`;
}

/** Whether `next` is older than `held` (both numeric resourceVersions); unknown versions are not. */
function older(next: Run, held: Run): boolean {
  const a = next.metadata.resourceVersion;
  const b = held.metadata.resourceVersion;
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) < BigInt(b);
}

/** Runs by session, counted. */
export class SessionRunIndex {
  private readonly sessions = new Map<string, SessionRuns>();
  private readonly empty = new SessionRuns();

  /** A session's runs (an empty, shared set for a session with none: do not feed it). */
  session(namespace: string, session: string): SessionRuns {
    return this.sessions.get(`${namespace}/${session}`) ?? this.empty;
  }

  /** Records a run as it now is; returns false when it was older than the copy held. */
  upsert(run: Run): boolean {
    const key = sessionOf(run);
    let s = this.sessions.get(key);
    const held = s?.runs.get(run.metadata.name!);
    if (held && (held === run || older(run, held))) return false;
    if (!s) this.sessions.set(key, (s = new SessionRuns()));
    if (held) s.account(held, -1);
    s.runs.set(run.metadata.name!, run);
    s.account(run, 1);
    return true;
  }

  /** Forgets a run (it was deleted). */
  remove(run: Run): void {
    const key = sessionOf(run);
    const s = this.sessions.get(key);
    const held = s?.runs.get(run.metadata.name!);
    if (!s || !held) return;
    s.account(held, -1);
    s.runs.delete(run.metadata.name!);
    if (s.runs.size === 0) this.sessions.delete(key);
  }

  /** Replaces everything with `runs` (a relist). */
  reset(runs: Iterable<Run>): void {
    this.sessions.clear();
    for (const r of runs) this.upsert(r);
  }
}
