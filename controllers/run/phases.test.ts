import { describe, it, expect } from '@jest/globals';
import { nextPhase, IllegalTransitionError, isTerminalPhase, isActivePhase, type RunPhaseEvent } from './phases.js';
import { RunPhase } from '../../resources/kinds/run.js';

describe('run phase machine', () => {
  const allowed: [RunPhase, RunPhaseEvent['type'], RunPhase][] = [
    ['Queued', 'ADMIT', 'Starting'],
    ['Queued', 'INTERRUPT', 'Interrupted'],
    ['Starting', 'DRIVER_STARTED', 'Running'],
    ['Starting', 'START_FAILED', 'Failed'],
    ['Running', 'APPROVAL_REQUESTED', 'WaitingForApproval'],
    ['Running', 'INPUT_REQUESTED', 'WaitingForInput'],
    ['Running', 'PAUSE', 'Paused'],
    ['Running', 'COMPLETE', 'Completed'],
    ['Running', 'FAIL', 'Failed'],
    ['Running', 'INTERRUPT', 'Interrupted'],
    ['WaitingForApproval', 'RESOLVED', 'Running'],
    ['WaitingForApproval', 'INTERRUPT', 'Interrupted'],
    ['WaitingForInput', 'RESOLVED', 'Running'],
    ['WaitingForInput', 'FAIL', 'Failed'],
    ['Paused', 'RESUME', 'Running'],
    ['Paused', 'INTERRUPT', 'Interrupted'],
    ['Paused', 'FAIL', 'Failed'],
    ['Queued', 'CANCEL', 'Canceled'],
    ['Starting', 'CANCEL', 'Canceled'],
    ['Running', 'CANCEL', 'Canceled'],
    ['WaitingForApproval', 'CANCEL', 'Canceled'],
    ['WaitingForInput', 'CANCEL', 'Canceled'],
    ['Paused', 'CANCEL', 'Canceled'],
  ];
  it.each(allowed)('%s --%s--> %s', (from, event, to) => {
    expect(nextPhase(from, event)).toBe(to);
  });

  const illegal: [RunPhase, RunPhaseEvent['type']][] = [
    ['Queued', 'COMPLETE'],
    ['Queued', 'DRIVER_STARTED'],
    ['Starting', 'PAUSE'],
    ['Paused', 'COMPLETE'],
    ['WaitingForApproval', 'PAUSE'],
    ['Completed', 'RESUME'],
    ['Failed', 'ADMIT'],
    ['Interrupted', 'FAIL'],
    ['Canceled', 'RESUME'],
    ['Canceled', 'ADMIT'],
    ['Interrupted', 'CANCEL'],
    ['Completed', 'CANCEL'],
  ];
  it.each(illegal)('%s rejects %s', (from, event) => {
    expect(() => nextPhase(from, event)).toThrow(IllegalTransitionError);
    expect(() => nextPhase(from, event)).toThrow(`illegal run transition: ${event} in phase ${from}`);
  });

  it('classifies phases', () => {
    expect(['Completed', 'Interrupted', 'Canceled', 'Failed'].every((p) => isTerminalPhase(p as RunPhase))).toBe(true);
    expect(isActivePhase('Canceled')).toBe(false);
    expect(isTerminalPhase('Running')).toBe(false);
    expect(isActivePhase('Queued')).toBe(false);
    expect(isActivePhase('Paused')).toBe(true);
    expect(isActivePhase('Failed')).toBe(false);
  });
});
