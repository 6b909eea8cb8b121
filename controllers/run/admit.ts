/**
 * Admission of a queued Run into its session: waits while its session, agent or repo mount is not
 * ready or the session's budget is spent, asks the session queue for a decision and takes every
 * slot it gave. Also says why a child run must stop when its parent ended. The caller holds the
 * session's lock: one decision per session at a time. A run that stays queued gets its place
 * written by queueAt (the session reconciler moves the places behind it).
 *
 * A waiting run says why, the way a Pending pod does: `status.reason`/`status.message` (the REASON
 * column of `get runs`), the Admitted condition False with the same reason, and one Event each
 * time the reason changes (Warning for what someone must fix, Normal for a full session); the
 * informers of sessions, agents and repo mounts wake it once the cause is gone.
 */
import type { Run } from '../../resources/kinds/run.js';
import { RunPhase } from '../../resources/kinds/run.js';
import type { Agent } from '../../resources/kinds/agent.js';
import type { RepoMount } from '../../resources/kinds/repomount.js';
import { sessionLimits, type Session } from '../../resources/kinds/session.js';
import type { Result } from '../runtime/controller.js';
import { exhaustion, sessionBudget, totalUsage } from './budget.js';
import { addFinalizer, hasFinalizer } from './finalizer.js';
import { controllerActor, moveRun } from './run-status.js';
import type { Store } from '../../api/store/store.js';
import type { EventRecorder } from '../../api/events/recorder.js';
import type { RunWriter } from './run-writer.js';
import type { SessionQueue } from './session-queue.js';

/** Why a run waits in the queue, as its status and Admitted condition say it. */
interface NotReady {
  reason: 'SessionNotReady' | 'AgentNotReady' | 'RepoMountNotReady' | 'BudgetExhausted';
  message: string;
  /**
   * Most often over within the second: a session not created or not observed yet, a mount whose
   * path has not been looked at yet (applied with the run). The status says it; no Warning Event.
   */
  transient?: boolean;
}

/** The reason of a run that waits only for a slot in its session (limits.maxActiveRuns). */
export const QUEUE_FULL = 'QueueFull';

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
    // `sidekick apply -f examples/hello/` creates run.yaml before session.yaml (files in name
    // order): a missing session is most often one on its way, so it gets no Warning either.
    const missing: NotReady | undefined = !session
      ? { reason: 'SessionNotReady', message: `session/${run.spec.session}: not found`, transient: true }
      : !session.status?.phase
        ? { reason: 'SessionNotReady', message: `session/${run.spec.session}: not ready yet`, transient: true }
        : await this.missingReference(run);
    if (!session || missing) {
      // The session's journal opens with session.created: nothing is journalled before it.
      await this.wait(run, missing!, { journal: !!session?.status?.phase });
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
      await this.wait(run, { reason: 'BudgetExhausted', message: spent }, { journal: true });
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
    const full = await queueAt(this.d.writer, ns, run, decision.positions.get(run.metadata.name!)!, { maxActiveRuns: sessionLimits(session).maxActiveRuns });
    if (full) this.d.recorder?.normal(run, QUEUE_FULL, full);
    return {};
  }

  /**
   * Keeps a run Queued for `why`: its status reason and message and its Admitted condition say it;
   * a new reason is journalled (run.Queued, unless `journal` is false) and recorded as a Warning
   * Event — once per reason, not once per pass (a new message for the same reason, such as a mount
   * path that now exists but is no git repository, updates the status only).
   */
  private async wait(run: Run, why: NotReady, opts: { journal: boolean }): Promise<void> {
    let newReason = false;
    await this.d.writer.commit(run.metadata.namespace!, run.metadata.name!, (r) => {
      newReason = false;
      if ((r.status?.phase ?? RunPhase.Queued) !== RunPhase.Queued) return null;
      newReason = r.status?.reason !== why.reason;
      const changed = moveRun(r, { phase: RunPhase.Queued, condition: { type: 'Admitted', status: 'False', reason: why.reason, message: why.message } });
      const said = r.status!.reason === why.reason && r.status!.message === why.message;
      if (!changed && said) return null;
      r.status!.reason = why.reason;
      r.status!.message = why.message;
      return newReason && opts.journal ? [{ type: 'run.Queued', actor: controllerActor, payload: { reason: why.reason, message: why.message } }] : [];
    });
    if (newReason && !why.transient) this.d.recorder?.warning(run, why.reason, why.message);
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
      // What it waited for is over: a running run shows no reason.
      delete r.status!.queuePosition;
      delete r.status!.reason;
      delete r.status!.message;
      return [{ type: 'run.Starting', actor: controllerActor }];
    });
    if (admitted) this.d.recorder?.normal(run, 'Admitted', `admitted into session ${run.spec.session}`);
  }

  /**
   * Why a run cannot start yet (its agent or repo mount is missing or not ready, or its mount has
   * not been looked at yet), or undefined.
   */
  private async missingReference(run: Run): Promise<NotReady | undefined> {
    const ns = run.metadata.namespace!;
    const agent = await this.d.store.find<Agent>('agents', ns, run.spec.agent);
    if (!agent) return { reason: 'AgentNotReady', message: `agent/${run.spec.agent}: not found` };
    // A CLI driver whose binary is missing cannot start at all: wait for it. An OpenAI endpoint
    // that does not answer is different: the run starts and fails with the provider's status.
    const cliDriver = agent.spec.driver === 'Claude' || agent.spec.driver === 'Codex';
    if (cliDriver && agent.status?.phase === 'Unavailable') {
      return { reason: 'AgentNotReady', message: `agent/${run.spec.agent}: ${agent.status.message ?? 'Unavailable'}` };
    }
    if (run.spec.repoMount) {
      const mount = await this.d.store.find<RepoMount>('repomounts', ns, run.spec.repoMount);
      if (!mount) return { reason: 'RepoMountNotReady', message: `repomount/${run.spec.repoMount}: not found` };
      // Applied in the same file as its runs: the RepoMount controller looks at the path first,
      // so a missing path keeps the run waiting instead of failing it at its workspace.
      if (!mount.status?.phase) return { reason: 'RepoMountNotReady', message: `repomount/${run.spec.repoMount}: its path has not been looked at yet`, transient: true };
      if (mount.status.phase === 'Detached') return { reason: 'RepoMountNotReady', message: `repomount/${run.spec.repoMount}: ${mount.status.message ?? 'Detached'}` };
    }
    return undefined;
  }
}

/** Why a run waits for a slot: `session demo has no free slot: all 2 (limits.maxActiveRuns) are taken`. */
function fullMessage(session: string, maxActiveRuns: number | undefined): string {
  return `session ${session} has no free slot${maxActiveRuns !== undefined ? `: all ${maxActiveRuns} (limits.maxActiveRuns) are taken` : ''}`;
}

/**
 * Records that a queued run waits at `position` (its first observation is journalled as
 * run.Queued). Unless `keepReason` finds another reason recorded, the run now waits for a slot
 * (QueueFull): resolves the message when it did not before (the caller records the Event), else
 * undefined. `maxActiveRuns` (the session's limit) goes into that message when known.
 */
export async function queueAt(writer: RunWriter, ns: string, run: Run, position: number, opts: { keepReason?: boolean; maxActiveRuns?: number } = {}): Promise<string | undefined> {
  let newlyFull: string | undefined;
  await writer.commit(ns, run.metadata.name!, (r) => {
    newlyFull = undefined;
    if ((r.status?.phase ?? RunPhase.Queued) !== RunPhase.Queued) return null;
    // Moving a run in the queue (keepReason) leaves why it waits as it is (its agent, the session
    // budget, a full session); its own admission decision says it waits for a slot.
    const keep = opts.keepReason === true && r.status?.reason !== undefined;
    const message = fullMessage(run.spec.session, opts.maxActiveRuns);
    if (r.status?.phase === RunPhase.Queued && r.status.queuePosition === position && (keep || r.status.message === message)) return null;
    const first = r.status?.phase === undefined;
    if (!keep && r.status?.reason !== QUEUE_FULL) newlyFull = message;
    moveRun(r, { phase: RunPhase.Queued, ...(keep ? {} : { condition: { type: 'Admitted', status: 'False', reason: QUEUE_FULL, message } }) });
    r.status!.queuePosition = position;
    if (!keep) {
      r.status!.reason = QUEUE_FULL;
      r.status!.message = message;
    }
    return first ? [{ type: 'run.Queued', actor: controllerActor, payload: { queuePosition: position } }] : [];
  });
  return newlyFull;
}
