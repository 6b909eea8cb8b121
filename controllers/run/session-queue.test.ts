import { describe, expect, it } from '@jest/globals';
import type { Run } from '../../resources/kinds/run.js';
import type { Session } from '../../resources/kinds/session.js';
import { SessionQueue } from './session-queue.js';

function run(name: string, phase?: string, opts: { deleting?: boolean; rv?: string } = {}): Run {
  return {
    apiVersion: 'sidekicks.dev/v1alpha1',
    kind: 'Run',
    metadata: { name, namespace: 'd', uid: `u-${name}`, creationTimestamp: '2026-01-01T00:00:00Z', ...(opts.rv ? { resourceVersion: opts.rv } : {}), ...(opts.deleting ? { deletionTimestamp: '2026-01-01T00:01:00Z' } : {}) },
    spec: { session: 's', agent: 'a', prompt: 'p' },
    ...(phase ? { status: { phase } } : {}),
  } as Run;
}

describe('SessionQueue.freesSlot', () => {
  it.each([
    { change: 'Running → Completed', old: run('x', 'Running'), now: run('x', 'Completed'), frees: true },
    { change: 'Paused → Failed', old: run('x', 'Paused'), now: run('x', 'Failed'), frees: true },
    { change: 'WaitingForInput → Canceled', old: run('x', 'WaitingForInput'), now: run('x', 'Canceled'), frees: true },
    { change: 'Queued → Canceled', old: run('x', 'Queued'), now: run('x', 'Canceled'), frees: true },
    { change: 'Running → deleting', old: run('x', 'Running'), now: run('x', 'Running', { deleting: true }), frees: true },
    { change: 'Queued → deleting', old: run('x', 'Queued'), now: run('x', 'Queued', { deleting: true }), frees: true },
    { change: 'Queued → Starting', old: run('x', 'Queued'), now: run('x', 'Starting'), frees: false },
    { change: 'Running → WaitingForApproval', old: run('x', 'Running'), now: run('x', 'WaitingForApproval'), frees: false },
    { change: 'Queued → Queued', old: run('x', 'Queued'), now: run('x', 'Queued'), frees: false },
  ])('$change frees a slot: $frees', ({ old, now, frees }) => {
    expect(SessionQueue.freesSlot({ old, run: now })).toBe(frees);
  });

  it('counts a run that went, and not one that arrived', () => {
    expect(SessionQueue.freesSlot({ run: run('x', 'Running'), deleted: true })).toBe(true);
    expect(SessionQueue.freesSlot({ run: run('x') })).toBe(false);
  });
});

describe('SessionQueue.front', () => {
  it('wakes as many waiting runs as there are free slots, at least one', () => {
    const session = { spec: { limits: { maxActiveRuns: 3, maxQueuedRuns: 10 } } } as Session;
    const queue = new SessionQueue(() => session);
    for (const r of [run('busy', 'Running'), run('q1', 'Queued'), run('q2'), run('q3', 'Queued'), run('q4')]) queue.observe(r);
    expect(queue.front('d', 's')).toEqual(['d/q1', 'd/q2']);
    queue.observe(run('busy2', 'Starting'));
    queue.observe(run('busy3', 'Running'));
    expect(queue.front('d', 's')).toEqual(['d/q1']);
    queue.forget(run('q1'));
    expect(queue.front('d', 's')).toEqual(['d/q2']);
  });
});
