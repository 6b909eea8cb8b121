/**
 * What happens to the runs bound to a node that is not Ready (or was deleted). A run that has not
 * started there is re-queued: its `spec.nodeName` is cleared, so the scheduler binds it to another
 * node that fits. A started run stays bound — its worktree and driver are on that machine, and it
 * resumes when the node returns — until the node has been gone for the lost grace; then it is
 * Failed with reason NodeLost, journalled like any failure. A node that comes back in time changes
 * nothing here.
 */
import type { Store } from '../../api/store/store.js';
import type { EventRecorder } from '../../api/events/recorder.js';
import type { Actor } from '../../api/journal/event.js';
import { isActivePhase, isTerminalPhase, type Run } from '../../resources/kinds/run.js';
import { humanDuration } from '../../api/human-duration.js';
import { metaTime } from '../../resources/time.js';
import type { Result } from '../runtime/controller.js';
import type { Clock } from '../runtime/clock.js';
import type { RunWriter } from '../run/run-writer.js';
import { failRun, moveRun } from '../run/run-status.js';
import { setRunNode } from '../scheduler/bind.js';
import type { Lister } from '../scheduler/lister.js';
import { RUN_SCHEDULED } from '../scheduler/fit.js';

/** The reason of a run failed because its node stayed away too long. */
export const NODE_LOST = 'NodeLost';

const actor: Actor = { kind: 'controller', name: 'node-lifecycle-controller' };

/** Where the node is: not Ready since a time, or deleted at one. */
export type NodeAbsence = { notReadySince: number } | { deletedAt: number };

/** True for a run that has not started on its node: no phase yet, or still Queued there. */
export function isUnstarted(run: Run): boolean {
  return !isTerminalPhase(run.status?.phase) && !isActivePhase(run.status?.phase);
}

export class BoundRuns {
  constructor(
    private readonly d: { store: Store; writer: RunWriter; list: Lister; recorder?: EventRecorder; clock: Clock; lostGraceMs: number },
  ) {}

  /** Re-queues the node's unstarted runs and fails its started ones once lost; says when to look again. */
  async converge(node: string, absence: NodeAbsence, now: number): Promise<Result> {
    const bound = await this.d.list<Run>('runs', (r) => r.spec.nodeName === node && !isTerminalPhase(r.status?.phase));
    const lostAt = 'deletedAt' in absence ? absence.deletedAt : absence.notReadySince + this.d.lostGraceMs;
    const why = 'deletedAt' in absence ? `runtimenode ${node} was deleted` : `node ${node} is not Ready`;
    let waiting = false;
    for (const run of bound) {
      if (isUnstarted(run)) await this.requeue(run, node, why);
      else if (now >= lostAt) await this.fail(run, node, 'deletedAt' in absence ? why : `node ${node} has not been Ready for ${humanDuration(now - absence.notReadySince)} (more than the ${humanDuration(this.d.lostGraceMs)} grace)`, now);
      else waiting = true;
    }
    return waiting ? { requeueAfterMs: lostAt - now } : {};
  }

  /** Clears the binding of a run that has not started (re-read: it may have started meanwhile). */
  private async requeue(run: Run, node: string, why: string): Promise<void> {
    const ns = run.metadata.namespace!;
    const name = run.metadata.name!;
    const unbound = await setRunNode(this.d.store, ns, name, undefined, { still: (r) => r.spec.nodeName === node && isUnstarted(r) });
    if (!unbound) return;
    const message = `${why}: the run had not started there and was re-queued for scheduling`;
    await this.d.writer.commit(ns, name, (draft) => {
      moveRun(draft, { condition: { type: RUN_SCHEDULED, status: 'False', reason: 'NodeNotReady', message }, at: metaTime(this.d.clock.now()) });
      return [{ type: 'run.rescheduled', actor, payload: { node, reason: 'NodeNotReady', message } }];
    });
    this.d.recorder?.normal(unbound, 'Rescheduled', message);
  }

  /** Fails a started run with reason NodeLost (unless it ended meanwhile). */
  private async fail(run: Run, node: string, why: string, now: number): Promise<void> {
    const message = `${why}: the run was lost with its node`;
    const failed = await this.d.writer.commit(run.metadata.namespace!, run.metadata.name!, (draft) => {
      if (draft.spec.nodeName !== node || !isActivePhase(draft.status?.phase)) return null;
      const events = failRun(draft, { category: 'Transport', reason: NODE_LOST, message, event: 'FAIL', at: metaTime(now) });
      return events?.map((e) => ({ ...e, actor })) ?? null;
    });
    if (failed?.status?.reason === NODE_LOST) this.d.recorder?.warning(failed, NODE_LOST, message);
  }
}
