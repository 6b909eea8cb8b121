/**
 * Admission of a queued Run into its session: waits (with the reason) while its session, agent or
 * repo mount is not ready or the session's budget is spent, asks the session queue for a decision
 * and takes every slot it gave. Also says why a child run must stop when its parent ended. The
 * caller holds the session's lock: one decision per session at a time. A run that stays queued
 * gets its place written by queueAt (the session reconciler moves the places behind it).
 */
import type { Run } from '../../resources/kinds/run.js';
import { RunPhase } from '../../resources/kinds/run.js';
import type { Agent } from '../../resources/kinds/agent.js';
import type { RepoMount } from '../../resources/kinds/repomount.js';
import type { Session } from '../../resources/kinds/session.js';
import type { Result } from '../runtime/controller.js';
import { exhaustion, sessionBudget, totalUsage } from './budget.js';
import { addFinalizer, hasFinalizer } from './finalizer.js';
import { controllerActor, moveRun } from './run-status.js';
import type { Store } from '../../api/store/store.js';
import type { EventRecorder } from '../../api/events/recorder.js';
import type { RunWriter } from './run-writer.js';
import type { SessionQueue } from './session-queue.js';

/** Why a run waits in the queue, as its Admitted condition says it. */
interface NotReady {
  reason: 'SessionNotReady' | 'AgentNotReady' | 'RepoMountNotReady';
  message: string;
}

export class RunAdmission {
  constructor(private readonly d: { store: Store; writer: RunWriter; queue: SessionQueue; recorder?: EventRecorder }) {}

  /** Why a child run must stop: its parent failed, was interrupted or cancelled, or is gone (DOMAIN.md, Runs). */
  async parentEnded(run: Run): Promise<string | undefined> {
    const parent = await this.d.store.find<Run>('runs', run.metadata.namespace!, run.spec.parent!);
    if (!parent || parent.metadata.deletionTimestamp) return `the parent run "${run.spec.parent}" was deleted`;
    const phase = parent.status?.phase;
    if (phase === RunPhase.Failed) return `the parent run "${run.spec.parent}" failed${parent.status?.reason ? ` (${parent.status.reason})` : ''}`;
    if (phase === RunPhase.Interrupted) return `the parent run "${run.spec.parent}" was interrupted${parent.status?.reason ? ` (${parent.status.reason})` : ''}`;
    if (phase === RunPhase.Canceled) return `the parent run "${run.spec.parent}" was canceled`;
    return undefined;
  }

  /** Queued → Starting when the session has a free slot and the run is first in line. */
  async admit(run: Run): Promise<Result> {
    const ns = run.metadata.namespace!;
    const session = await this.d.store.find<Session>('sessions', ns, run.spec.session);
    // Until the session controller has observed the session, its journal does not start with
    // session.created: wait (the session's status change wakes its runs).
    const missing: NotReady | undefined = !session
      ? { reason: 'SessionNotReady', message: `session "${run.spec.session}" not found` }
      : !session.status?.phase
        ? { reason: 'SessionNotReady', message: `session "${run.spec.session}" is not ready yet` }
        : await this.missingReference(run);
    if (!session || missing) {
      const { reason, message } = missing!;
      await this.d.writer.commit(ns, run.metadata.name!, (r) => {
        const changed = moveRun(r, { phase: RunPhase.Queued, condition: { type: 'Admitted', status: 'False', reason, message } });
        if (!changed) return null;
        // The session's journal opens with session.created: nothing is journalled before it.
        return session?.status?.phase ? [{ type: 'run.Queued', actor: controllerActor, payload: { reason, message } }] : [];
      });
      // No polling: the session, agent and repo mount informers wake the runs that name them.
      return {};
    }
    // The run as just read is at least as new as the queue's copy (an older one is ignored).
    this.d.queue.observe(run);
    const runs = this.d.queue.runsOf(ns, run.spec.session);
    // A session whose budget is used up admits nothing more; raising the budget lets the queue move.
    const budget = sessionBudget(session);
    const spent = Object.keys(budget).length > 0 ? exhaustion(`session "${run.spec.session}"`, budget, totalUsage([...runs.runs.values()])) : undefined;
    if (spent) {
      await this.d.writer.commit(ns, run.metadata.name!, (r) => {
        const changed = moveRun(r, { phase: RunPhase.Queued, condition: { type: 'Admitted', status: 'False', reason: 'BudgetExhausted', message: spent } });
        return changed ? [{ type: 'run.Queued', actor: controllerActor, payload: { reason: 'BudgetExhausted', message: spent } }] : null;
      });
      return {};
    }
    // Readiness depends only on a run's agent and repo mount: one lookup per distinct pair, not per run.
    const readiness = new Map<string, boolean>();
    for (const [refs, r] of this.d.queue.referencesOf(ns, run.spec.session)) readiness.set(refs, !(await this.missingReference(r)));
    const decision = this.d.queue.decide(run, readiness);
    // One decision may free several slots: it admits every run it found a slot for (each then
    // starts on its own pass, woken by its phase change).
    for (const name of decision.admit) await this.admitOne(name === run.metadata.name ? run : runs.runs.get(name)!);
    if (decision.admit.has(run.metadata.name!)) return {};
    // The positions of the runs behind this one are the session controller's (one pass per change).
    await queueAt(this.d.writer, ns, run, decision.positions.get(run.metadata.name!)!);
    return {};
  }

  /** Queued → Starting: takes the slot the session's admission decision gave the run. */
  private async admitOne(run: Run): Promise<void> {
    const ns = run.metadata.namespace!;
    if (!hasFinalizer(run)) await addFinalizer(this.d.store, run);
    let admitted = false;
    await this.d.writer.commit(ns, run.metadata.name!, (r) => {
      if ((r.status?.phase ?? RunPhase.Queued) !== RunPhase.Queued) return null;
      admitted = true;
      moveRun(r, { event: 'ADMIT', condition: { type: 'Admitted', status: 'True', reason: 'SlotAvailable', message: `session ${run.spec.session} has a free slot` } });
      delete r.status!.queuePosition;
      return [{ type: 'run.Starting', actor: controllerActor }];
    });
    if (admitted) this.d.recorder?.normal(run, 'Admitted', `admitted into session ${run.spec.session}`);
  }

  /** Why a run cannot start yet (its agent or repo mount is missing or not ready), or undefined. */
  private async missingReference(run: Run): Promise<NotReady | undefined> {
    const ns = run.metadata.namespace!;
    const agent = await this.d.store.find<Agent>('agents', ns, run.spec.agent);
    if (!agent) return { reason: 'AgentNotReady', message: `agent "${run.spec.agent}" not found` };
    // A CLI driver whose binary is missing cannot start at all: wait for it. An OpenAI endpoint
    // that does not answer is different: the run starts and fails with the provider's status.
    const cliDriver = agent.spec.driver === 'Claude' || agent.spec.driver === 'Codex';
    if (cliDriver && agent.status?.phase === 'Unavailable') {
      return { reason: 'AgentNotReady', message: `agent "${run.spec.agent}" is not ready${agent.status.message ? `: ${agent.status.message}` : ''}` };
    }
    if (run.spec.repoMount) {
      const mount = await this.d.store.find<RepoMount>('repomounts', ns, run.spec.repoMount);
      if (!mount) return { reason: 'RepoMountNotReady', message: `repomount "${run.spec.repoMount}" not found` };
      if (mount.status?.phase === 'Detached') {
        return { reason: 'RepoMountNotReady', message: `repomount "${run.spec.repoMount}" is not ready${mount.status?.message ? `: ${mount.status.message}` : ''}` };
      }
    }
    return undefined;
  }
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
