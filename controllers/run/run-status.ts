/**
 * Pure helpers that change a Run's status in place: phase moves go through the lifecycle machine,
 * conditions through the one conditions helper. RunWriter commits the result.
 */
import { systemClock, type Clock } from '../runtime/clock.js';
import type { Run } from '../../resources/kinds/run.js';
import { RunPhase } from '../../resources/kinds/run.js';
import { setCondition, type ConditionUpdate } from '../../resources/conditions.js';
import type { Actor, JournalEventInput } from '../../api/journal/event.js';
import { nextPhase, isTerminalPhase, type RunPhaseEvent } from './phases.js';
import type { FailureCategoryName } from '../../node/drivers/contract.js';
import type { WorkspaceInfo } from '../../node/ports.js';
import { metaTime } from '../../resources/time.js';

export const controllerActor: Actor = { kind: 'controller', name: 'run-controller' };

/** RFC 3339, second precision (metav1.Time). */
export function nowTime(clock: Clock = systemClock): string {
  return metaTime(clock.now());
}

export interface RunMove {
  /** A lifecycle event; the machine decides the next phase (and rejects illegal moves). */
  event?: RunPhaseEvent['type'];
  /** Sets the phase directly: only for the first observation of a new run (Queued). */
  phase?: typeof RunPhase.Queued;
  condition?: ConditionUpdate;
  /** When the move happened (`finishedAt` of an ending, a flipped condition's time; default: the system clock now). */
  at?: string;
}

/** Applies a move to `run.status`; returns true when anything changed. */
export function moveRun(run: Run, move: RunMove): boolean {
  const status = (run.status ??= {});
  const before = JSON.stringify(status);
  if (move.event) status.phase = nextPhase(status.phase ?? RunPhase.Queued, move.event);
  if (move.phase) status.phase = move.phase;
  if (move.condition) status.conditions = setCondition(status.conditions, move.condition, run.metadata.generation ?? 1, move.at ? new Date(move.at) : undefined);
  if (status.phase && isTerminalPhase(status.phase)) status.finishedAt ??= move.at ?? nowTime();
  return JSON.stringify(status) !== before;
}

export interface Failure {
  category: FailureCategoryName;
  reason: string;
  message: string;
  /** START_FAILED from Starting, FAIL otherwise; INTERRUPT ends the run Interrupted, CANCEL Canceled instead. */
  event: 'START_FAILED' | 'FAIL' | 'INTERRUPT' | 'CANCEL';
  /** When it ended (`finishedAt`; default: the system clock now). */
  at?: string;
}

/** Ends a run Failed (or Interrupted, or Canceled) with reason and category; null when it already ended. */
export function failRun(run: Run, f: Failure): JournalEventInput[] | null {
  if (isTerminalPhase(run.status?.phase)) return null;
  const event = f.event === 'START_FAILED' && run.status?.phase !== RunPhase.Starting ? 'FAIL' : f.event;
  // A stopped run has not failed: only a failure has a category.
  const failed = event === 'FAIL' || event === 'START_FAILED';
  moveRun(run, { event, condition: { type: 'Succeeded', status: 'False', reason: f.reason, message: f.message }, ...(f.at ? { at: f.at } : {}) });
  moveRun(run, { condition: { type: 'DriverRunning', status: 'False', reason: f.reason, message: f.message } });
  run.status!.reason = f.reason;
  run.status!.message = f.message;
  // An ended run waits on nothing: its open approvals are canceled (approval controller).
  delete run.status!.pendingApprovals;
  if (failed) run.status!.failureCategory = f.category;
  delete run.status!.queuePosition;
  return [{ type: `run.${run.status!.phase}`, actor: controllerActor, payload: { reason: f.reason, message: f.message, ...(failed ? { failureCategory: f.category } : {}) } }];
}

/** The status.workspace view of a workspace. */
export function workspaceOf(ws: WorkspaceInfo): NonNullable<NonNullable<Run['status']>['workspace']> {
  return {
    ...(ws.mode !== 'Scratch' ? { mode: ws.mode } : {}),
    path: ws.path,
    ...(ws.branch ? { branch: ws.branch } : {}),
    ...(ws.baseCommit ? { baseCommit: ws.baseCommit } : {}),
    ...(ws.headCommit ? { headCommit: ws.headCommit } : {}),
  };
}
