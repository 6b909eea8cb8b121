import { describe, it, expect } from '@jest/globals';
import { decideAdmission } from './admission.js';
import type { Run } from '../../resources/kinds/run.js';

function run(name: string, opts: { phase?: string; priority?: number; created?: string; uid?: string; deleting?: boolean } = {}): Run {
  return {
    apiVersion: 'sidekicks.dev/v1alpha1',
    kind: 'Run',
    metadata: {
      name,
      namespace: 'default',
      uid: opts.uid ?? `0190-${name}`,
      creationTimestamp: opts.created ?? '2026-11-23T09:00:00Z',
      ...(opts.deleting ? { deletionTimestamp: '2026-11-23T09:10:00Z' } : {}),
    },
    spec: { session: 's', agent: 'a', prompt: 'p', channel: 'main', priority: opts.priority ?? 0, suspend: false },
    ...(opts.phase ? { status: { phase: opts.phase } } : {}),
  } as Run;
}

describe('decideAdmission', () => {
  it('admits queued runs into free slots by priority, then FIFO', () => {
    const d = decideAdmission(
      [
        run('old-low', { created: '2026-11-23T09:00:00Z' }),
        run('new-high', { priority: 5, created: '2026-11-23T09:05:00Z' }),
        run('mid-low', { created: '2026-11-23T09:01:00Z' }),
        run('busy', { phase: 'Running' }),
      ],
      3,
      () => true,
    );
    expect([...d.admit].sort()).toEqual(['new-high', 'old-low']);
    expect(d.positions.get('mid-low')).toBe(1);
    expect(d.active).toBe(1);
    expect(d.queued).toBe(3);
  });

  it('orders runs created in the same second by their time-ordered uid', () => {
    const d = decideAdmission([run('b', { uid: '0190-0002' }), run('a', { uid: '0190-0003' }), run('c', { uid: '0190-0001' })], 1, () => true);
    expect([...d.admit]).toEqual(['c']);
    expect(d.positions.get('b')).toBe(1);
    expect(d.positions.get('a')).toBe(2);
  });

  it('keeps a run whose references are missing in line without giving it a slot', () => {
    const d = decideAdmission([run('first'), run('second', { created: '2026-11-23T09:00:01Z' })], 1, (r) => r.metadata.name !== 'first');
    expect([...d.admit]).toEqual(['second']);
    expect(d.positions.get('first')).toBe(1);
  });

  it('counts Paused and waiting runs as active and ignores terminal and deleting runs', () => {
    const d = decideAdmission(
      [run('p', { phase: 'Paused' }), run('w', { phase: 'WaitingForApproval' }), run('done', { phase: 'Completed' }), run('gone', { deleting: true }), run('q')],
      2,
      () => true,
    );
    expect(d.active).toBe(2);
    expect(d.admit.size).toBe(0);
    expect(d.positions.get('q')).toBe(1);
  });
});
