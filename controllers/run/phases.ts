/**
 * The run lifecycle as one XState v5 machine: the single definition of which phase may follow
 * which (DOMAIN.md, Runs). The Run controller asks `nextPhase` for every move; an event the
 * machine does not accept in the current phase is a bug and throws IllegalTransitionError.
 */
import { setup, transition } from 'xstate';
import { RunPhase } from '../../resources/kinds/run.js';

export type RunPhaseEvent =
  | { type: 'ADMIT' }
  | { type: 'START_FAILED' }
  | { type: 'DRIVER_STARTED' }
  | { type: 'APPROVAL_REQUESTED' }
  | { type: 'INPUT_REQUESTED' }
  | { type: 'RESOLVED' }
  | { type: 'PAUSE' }
  | { type: 'RESUME' }
  | { type: 'COMPLETE' }
  | { type: 'FAIL' }
  | { type: 'INTERRUPT' }
  | { type: 'CANCEL' };

const terminal = { type: 'final' as const };

// Every phase a run can be in before it ends may be interrupted (stopped for good because its
// driver cannot pause, or its parent ended) or canceled (a Cancel intervention).
const stop = { INTERRUPT: RunPhase.Interrupted, CANCEL: RunPhase.Canceled } as const;

/** The machine; states are exactly the Run phases. */
export const runPhaseMachine = setup({ types: { events: {} as RunPhaseEvent } }).createMachine({
  id: 'run',
  initial: RunPhase.Queued,
  states: {
    [RunPhase.Queued]: { on: { ADMIT: RunPhase.Starting, ...stop } },
    [RunPhase.Starting]: {
      on: { DRIVER_STARTED: RunPhase.Running, START_FAILED: RunPhase.Failed, FAIL: RunPhase.Failed, ...stop },
    },
    [RunPhase.Running]: {
      on: {
        APPROVAL_REQUESTED: RunPhase.WaitingForApproval,
        INPUT_REQUESTED: RunPhase.WaitingForInput,
        PAUSE: RunPhase.Paused,
        COMPLETE: RunPhase.Completed,
        FAIL: RunPhase.Failed,
        ...stop,
      },
    },
    [RunPhase.WaitingForApproval]: { on: { RESOLVED: RunPhase.Running, FAIL: RunPhase.Failed, ...stop } },
    [RunPhase.WaitingForInput]: { on: { RESOLVED: RunPhase.Running, FAIL: RunPhase.Failed, ...stop } },
    [RunPhase.Paused]: { on: { RESUME: RunPhase.Running, FAIL: RunPhase.Failed, ...stop } },
    [RunPhase.Completed]: terminal,
    [RunPhase.Interrupted]: terminal,
    [RunPhase.Canceled]: terminal,
    [RunPhase.Failed]: terminal,
  },
});

/** A move the lifecycle does not allow. */
export class IllegalTransitionError extends Error {
  constructor(
    readonly from: RunPhase,
    readonly event: RunPhaseEvent['type'],
  ) {
    super(`illegal run transition: ${event} in phase ${from}`);
    this.name = 'IllegalTransitionError';
  }
}

/** The phase that follows `from` on `event`; throws IllegalTransitionError when there is none. */
export function nextPhase(from: RunPhase, event: RunPhaseEvent['type']): RunPhase {
  const snapshot = runPhaseMachine.resolveState({ value: from, context: undefined });
  if (!snapshot.can({ type: event } as RunPhaseEvent)) throw new IllegalTransitionError(from, event);
  const [next] = transition(runPhaseMachine, snapshot, { type: event } as RunPhaseEvent);
  return next.value as RunPhase;
}

// The phase predicates live with the kind: the API server's run limits need them too.
export { isTerminalPhase, isActivePhase } from '../../resources/kinds/run.js';
