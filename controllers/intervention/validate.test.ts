/** Which new interventions are refused (Rejected), stale (Expired) or go ahead: a table. */
import { describe, it, expect } from '@jest/globals';
import type { Intervention, InterventionSpec } from '../../resources/kinds/intervention.js';
import type { Run } from '../../resources/kinds/run.js';
import { validate } from './reconciler.js';

function run(phase: string | undefined, extra: { generation?: number; deleting?: boolean } = {}): Run {
  return {
    apiVersion: 'sidekicks.dev/v1alpha1',
    kind: 'Run',
    metadata: { name: 'r', namespace: 'default', uid: 'u1', generation: extra.generation ?? 3, ...(extra.deleting ? { deletionTimestamp: '2025-01-01T00:00:00Z' } : {}) },
    spec: { session: 's', agent: 'a', prompt: 'p', channel: 'main', priority: 0, suspend: false },
    status: phase ? { phase: phase as NonNullable<Run['status']>['phase'] } : {},
  } as Run;
}

function iv(spec: Partial<InterventionSpec>): Intervention {
  return { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Intervention', metadata: { name: 'iv', namespace: 'default' }, spec: { run: 'r', type: 'Steer', content: 'x', ...spec } } as Intervention;
}

describe('validate', () => {
  const cases: [string, Intervention, Run | undefined, string | undefined, string | undefined][] = [
    ['steer of a running run', iv({}), run('Running'), undefined, undefined],
    ['steer of a queued run waits for it', iv({}), run(undefined), undefined, undefined],
    ['steer of a paused run waits for it', iv({}), run('Paused'), undefined, undefined],
    ['a missing run', iv({}), undefined, 'Rejected', 'run "r" not found'],
    ['a run being deleted', iv({ type: 'Cancel' }), run('Running', { deleting: true }), 'Rejected', 'run "r" is being deleted'],
    ['an ended run', iv({ type: 'Cancel' }), run('Completed'), 'Rejected', 'run "r" already ended Completed'],
    ['an ended run beats a stale generation', iv({ expectedRunGeneration: 1 }), run('Failed'), 'Rejected', 'run "r" already ended Failed'],
    ['the generation the requester saw', iv({ expectedRunGeneration: 3 }), run('Running'), undefined, undefined],
    ['a stale generation', iv({ expectedRunGeneration: 2 }), run('Running'), 'Expired', 'it is at generation 3, the request expected 2'],
    ['a steer without text', iv({ content: '  ' }), run('Running'), 'Rejected', 'spec.content'],
    ['an interrupt of a queued run', iv({ type: 'Interrupt' }), run('Queued'), 'Rejected', 'has not started'],
    ['an interrupt of a paused run', iv({ type: 'Interrupt' }), run('Paused'), 'Rejected', 'is paused'],
    ['an interrupt of a run waiting for approval', iv({ type: 'Interrupt' }), run('WaitingForApproval'), undefined, undefined],
    ['a cancel of a queued run', iv({ type: 'Cancel' }), run('Queued'), undefined, undefined],
    ['a cancel of a paused run', iv({ type: 'Cancel' }), run('Paused'), undefined, undefined],
  ];
  it.each(cases)('%s', (_name, intervention, r, phase, message) => {
    const outcome = validate(intervention, r);
    expect(outcome?.phase).toBe(phase);
    if (message) expect(outcome?.message).toContain(message);
  });
});
