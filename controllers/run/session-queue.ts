/**
 * The controllers' one owner of the session queues: a counted index of every session's runs (fed
 * by the runs informer and by every Run status commit, so a decision sees this process's own
 * writes before their watch events), the admission decision for a queued run, the queue's
 * positions for the session controller, and which runs to wake when a slot may have freed. The
 * rules are the session queue's (resources/run-queue.ts), shared with the API's create check.
 */
import type { Run } from '../../resources/kinds/run.js';
import { isActivePhase } from '../../resources/kinds/run.js';
import { sessionLimits, type Session } from '../../resources/kinds/session.js';
import { decideAdmission, isUnfinished, isWaiting, runsToWake, type AdmissionDecision } from '../../resources/run-queue.js';
import { SessionRunIndex, type SessionRuns } from '../../resources/session-runs.js';
import { objectKey } from '../runtime/informer.js';

/** What a run's readiness depends on: its agent and repo mount. */
export function referenceKey(run: Run): string {
  return `${run.spec.agent}\u0000${run.spec.repoMount ?? ''}`;
}

/** A change of a run, as an informer reports it. */
export interface RunChange {
  old?: Run;
  run: Run;
  deleted?: boolean;
}

export class SessionQueue {
  private readonly index = new SessionRunIndex();

  /** `session` looks a session up as last seen (the sessions informer). */
  constructor(private readonly session: (namespace: string, name: string) => Session | undefined) {}

  /** Records a run as stored (an informer event, or a status commit of this process). */
  observe(run: Run): void {
    this.index.upsert(run);
  }

  /** Forgets a deleted run. */
  forget(run: Run): void {
    this.index.remove(run);
  }

  /** A session's runs, counted. */
  runsOf(namespace: string, session: string): SessionRuns {
    return this.index.session(namespace, session);
  }

  /**
   * Decides admission up to `run` (and every run before it, or after it while slots are left):
   * `ready` answers for each distinct agent and repo mount of the queue.
   */
  decide(run: Run, ready: Map<string, boolean>): AdmissionDecision {
    const ns = run.metadata.namespace!;
    const s = this.runsOf(ns, run.spec.session);
    const limits = sessionLimits(this.session(ns, run.spec.session));
    return decideAdmission(s.queue, s.active, limits.maxActiveRuns, (r) => ready.get(referenceKey(r)) ?? false, run.metadata.name);
  }

  /** The distinct agent/repo-mount pairs of a session's waiting runs (each needs one readiness lookup). */
  referencesOf(namespace: string, session: string): Map<string, Run> {
    const refs = new Map<string, Run>();
    for (const r of this.runsOf(namespace, session).queue) if (!refs.has(referenceKey(r))) refs.set(referenceKey(r), r);
    return refs;
  }

  /**
   * The runs at the front of a session's queue that get to decide when a slot may have freed (or
   * the limits, or what the runs wait for, changed): as many as there are free slots, at least
   * one. Waking every queued run instead would cost a full admission pass per run.
   */
  front(namespace: string, session: string): string[] {
    const s = this.runsOf(namespace, session);
    const n = runsToWake(sessionLimits(this.session(namespace, session)), s.active);
    return s.queue.slice(0, n).map((r) => objectKey(r));
  }

  /** Whether a run's change may free a slot or a place in its session (it ended, left a slot, or went). */
  static freesSlot(c: RunChange): boolean {
    if (c.deleted || !c.old) return c.deleted === true;
    const was = c.old;
    const is = c.run;
    const active = (r: Run) => !r.metadata.deletionTimestamp && isActivePhase(r.status?.phase);
    return (active(was) && !active(is)) || (isUnfinished(was) && !isUnfinished(is)) || (isWaiting(was) && !isWaiting(is) && !active(is));
  }
}
