/**
 * Session admission: which queued runs may start now and where the others wait. A run holds a
 * slot from Starting until it ends; free slots go to queued runs by priority (higher first), then
 * by creation (FIFO: creation time, then the time-ordered uid), so the order is total and the same
 * after a restart.
 */
import type { Run } from '../../resources/kinds/run.js';
import { RunPhase } from '../../resources/kinds/run.js';
import { isActivePhase } from './phases.js';
import type { RunWriter } from './run-writer.js';
import { controllerActor, moveRun } from './run-status.js';

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
  return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
}

/**
 * Decides admission for one session's runs. `ready` says whether a queued run's references
 * (agent, repo mount) exist; a run that is not ready keeps its place but does not take a slot.
 */
export function decideAdmission(runs: Run[], maxActiveRuns: number, ready: (run: Run) => boolean): AdmissionDecision {
  const live = runs.filter((r) => !r.metadata.deletionTimestamp);
  const active = live.filter((r) => isActivePhase(r.status?.phase)).length;
  const queue = waitingRuns(live);
  let free = Math.max(0, maxActiveRuns - active);
  const admit = new Set<string>();
  const positions = new Map<string, number>();
  let position = 0;
  for (const run of queue) {
    if (free > 0 && ready(run)) {
      admit.add(run.metadata.name!);
      free -= 1;
      continue;
    }
    positions.set(run.metadata.name!, ++position);
  }
  return { admit, positions, active, queued: queue.length };
}

/** The runs waiting in a session's queue (live, Queued or not yet observed), front first. */
export function waitingRuns(runs: Run[]): Run[] {
  return runs.filter((r) => !r.metadata.deletionTimestamp && (r.status?.phase ?? RunPhase.Queued) === RunPhase.Queued).sort(queueOrder);
}

/** What a run's readiness depends on: its agent and repo mount. */
export function referenceKey(run: Run): string {
  return `${run.spec.agent}\u0000${run.spec.repoMount ?? ''}`;
}

/** Records that a queued run waits at `position` (its first observation is journalled as run.Queued). */
export async function queueAt(writer: RunWriter, ns: string, run: Run, position: number, opts: { keepReason?: boolean } = {}): Promise<void> {
  await writer.commit(ns, run.metadata.name!, (r) => {
    if ((r.status?.phase ?? RunPhase.Queued) !== RunPhase.Queued) return null;
    if (r.status?.phase === RunPhase.Queued && r.status.queuePosition === position) return null;
    const first = r.status?.phase === undefined;
    // Moving a run in the queue (keepReason) leaves what else it waits for (its agent, the session
    // budget) as it is; its own admission decision says it waits for a slot.
    const waitsFor = opts.keepReason && r.status?.conditions?.find((c) => c.type === 'Admitted' && c.status === 'False' && c.reason !== 'QueueFull');
    moveRun(r, {
      phase: RunPhase.Queued,
      ...(waitsFor ? {} : { condition: { type: 'Admitted', status: 'False', reason: 'QueueFull', message: `waiting for a slot in session ${run.spec.session} (position ${position})` } }),
    });
    r.status!.queuePosition = position;
    return first ? [{ type: 'run.Queued', actor: controllerActor, payload: { queuePosition: position } }] : [];
  });
}
