/**
 * The session run queue, decided in one place (DOMAIN.md, Runs): which queued runs a session
 * admits, where the others wait, whether a new run may be created at all, and how many waiting
 * runs to wake when a slot frees. Pure code on Run objects, at the lowest layer, so the API's
 * create check (api/server/run-limits.ts) and the controllers decide by the same rules.
 *
 * A run holds a slot from Starting until it ends; free slots go to queued runs by priority (higher
 * first), then by creation (FIFO: creation time, then the time-ordered uid), so the order is total
 * and the same after a restart.
 */
import { isActivePhase, isTerminalPhase, RunPhase, type Run } from './kinds/run.js';
import type { SessionLimits } from './kinds/session.js';

/** Children a parent run may have (DOMAIN.md). */
export const MAX_CHILD_RUNS = 3;

export interface AdmissionDecision {
  /** Names of queued runs that may start now. */
  admit: Set<string>;
  /** 1-based queue position of every run that stays queued. */
  positions: Map<string, number>;
  active: number;
  queued: number;
}

/** The queue's order: priority (higher first), then creation (time, then the time-ordered uid), then name. */
export function queueOrder(a: Run, b: Run): number {
  const pa = a.spec.priority ?? 0;
  const pb = b.spec.priority ?? 0;
  if (pa !== pb) return pb - pa;
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  // uids are UUIDv7, monotonic within the daemon: they order runs created in the same second.
  const ua = a.metadata.uid ?? '';
  const ub = b.metadata.uid ?? '';
  if (ua !== ub) return ua < ub ? -1 : 1;
  const na = a.metadata.name ?? '';
  const nb = b.metadata.name ?? '';
  return na === nb ? 0 : na < nb ? -1 : 1;
}

/** Whether a run waits in its session's queue (live, and Queued or not yet observed). */
export function isWaiting(run: Run): boolean {
  return !run.metadata.deletionTimestamp && (run.status?.phase ?? RunPhase.Queued) === RunPhase.Queued;
}

/** Whether a run counts against the session's queue limit at create time (live and not ended). */
export function isUnfinished(run: Run): boolean {
  return !run.metadata.deletionTimestamp && !isTerminalPhase(run.status?.phase);
}

/** The runs waiting in a session's queue, front first. */
export function waitingRuns(runs: Iterable<Run>): Run[] {
  return [...runs].filter(isWaiting).sort(queueOrder);
}

/**
 * Decides admission over a session's queue (front first, as `waitingRuns` or SessionRuns.queue
 * give it) with `active` slots taken. `ready` says whether a queued run's references (agent, repo
 * mount) exist; a run that is not ready keeps its place but does not take a slot. `upTo` stops the
 * walk once that run has its answer and no slot is left (the rest of the queue is not looked at,
 * and has no positions in the decision).
 */
export function decideAdmission(queue: readonly Run[], active: number, maxActiveRuns: number, ready: (run: Run) => boolean, upTo?: string): AdmissionDecision {
  let free = Math.max(0, maxActiveRuns - active);
  let waitingFor = upTo;
  const admit = new Set<string>();
  const positions = new Map<string, number>();
  let position = 0;
  for (const run of queue) {
    const name = run.metadata.name!;
    if (free > 0 && ready(run)) {
      admit.add(name);
      free -= 1;
    } else positions.set(name, ++position);
    if (name === waitingFor) waitingFor = undefined;
    if (upTo !== undefined && waitingFor === undefined && free === 0) break;
  }
  return { admit, positions, active, queued: queue.length };
}

/** Decides admission for one session's runs, whatever their phase (table tests, small sessions). */
export function decideAdmissionOf(runs: Run[], maxActiveRuns: number, ready: (run: Run) => boolean): AdmissionDecision {
  const active = runs.filter((r) => !r.metadata.deletionTimestamp && isActivePhase(r.status?.phase)).length;
  return decideAdmission(waitingRuns(runs), active, maxActiveRuns, ready);
}

/** How many runs at the front of a queue to wake when a slot may have freed (at least one: the front decides). */
export function runsToWake(limits: Pick<SessionLimits, 'maxActiveRuns'>, active: number): number {
  return Math.max(1, limits.maxActiveRuns - active);
}

/** Why a session with `unfinished` runs refuses one more (its queue would overflow), or undefined. */
export function queueRefusal(session: string, limits: Pick<SessionLimits, 'maxActiveRuns' | 'maxQueuedRuns'>, unfinished: number): string | undefined {
  // Written as the refusal's condition: limits not known (no session yet) refuse nothing.
  if (!(unfinished >= limits.maxActiveRuns + limits.maxQueuedRuns)) return undefined;
  return `session "${session}" already has ${unfinished} unfinished runs (limits.maxActiveRuns ${limits.maxActiveRuns} + limits.maxQueuedRuns ${limits.maxQueuedRuns}); wait for runs to finish or raise the limit`;
}

/**
 * Why a child run may not name `parent` (missing, itself a child, ended, or with all its children
 * already), or undefined. `children` counts the parent's live runs.
 */
export function parentRefusal(run: Run, parent: Run | undefined, children: number): string | undefined {
  const parentName = run.spec.parent!;
  if (!parent) return `spec.parent: run "${parentName}" is not a run of session "${run.spec.session}"`;
  if (parent.spec.parent !== undefined) return `spec.parent: run "${parentName}" is itself a child of "${parent.spec.parent}"; delegation is one level deep`;
  if (isTerminalPhase(parent.status?.phase)) return `spec.parent: run "${parentName}" has ended (${parent.status!.phase})`;
  if (children >= MAX_CHILD_RUNS) return `spec.parent: run "${parentName}" already has ${children} children (at most ${MAX_CHILD_RUNS})`;
  return undefined;
}
