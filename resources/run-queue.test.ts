import { describe, it, expect } from '@jest/globals';
import { decideAdmission, decideAdmissionOf, parentRefusal, queueRefusal, runsToWake, waitingRuns } from './run-queue.js';
import { SessionRunIndex } from './session-runs.js';
import type { Run } from './kinds/run.js';

function run(name: string, opts: { phase?: string; priority?: number; created?: string; uid?: string; deleting?: boolean; parent?: string; rv?: string } = {}): Run {
  return {
    apiVersion: 'sidekicks.dev/v1alpha1',
    kind: 'Run',
    metadata: {
      name,
      namespace: 'default',
      uid: opts.uid ?? `0190-${name}`,
      ...(opts.rv ? { resourceVersion: opts.rv } : {}),
      creationTimestamp: opts.created ?? '2026-11-23T09:00:00Z',
      ...(opts.deleting ? { deletionTimestamp: '2026-11-23T09:10:00Z' } : {}),
    },
    spec: { session: 's', agent: 'a', prompt: 'p', channel: 'main', priority: opts.priority ?? 0, suspend: false, ...(opts.parent ? { parent: opts.parent } : {}) },
    ...(opts.phase ? { status: { phase: opts.phase } } : {}),
  } as Run;
}

describe('decideAdmissionOf', () => {
  it('admits queued runs into free slots by priority, then FIFO', () => {
    const d = decideAdmissionOf(
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
    const d = decideAdmissionOf([run('b', { uid: '0190-0002' }), run('a', { uid: '0190-0003' }), run('c', { uid: '0190-0001' })], 1, () => true);
    expect([...d.admit]).toEqual(['c']);
    expect(d.positions.get('b')).toBe(1);
    expect(d.positions.get('a')).toBe(2);
  });

  it('keeps a run whose references are missing in line without giving it a slot', () => {
    const d = decideAdmissionOf([run('first'), run('second', { created: '2026-11-23T09:00:01Z' })], 1, (r) => r.metadata.name !== 'first');
    expect([...d.admit]).toEqual(['second']);
    expect(d.positions.get('first')).toBe(1);
  });

  it('counts Paused and waiting runs as active and ignores terminal and deleting runs', () => {
    const d = decideAdmissionOf(
      [run('p', { phase: 'Paused' }), run('w', { phase: 'WaitingForApproval' }), run('done', { phase: 'Completed' }), run('canceled', { phase: 'Canceled' }), run('gone', { deleting: true }), run('q')],
      2,
      () => true,
    );
    expect(d.active).toBe(2);
    expect(d.admit.size).toBe(0);
    expect(d.positions.get('q')).toBe(1);
  });
});

describe('decideAdmission over a queue', () => {
  const queue = waitingRuns([run('a', { uid: '1' }), run('b', { uid: '2' }), run('c', { uid: '3' }), run('d', { uid: '4' })]);
  it.each([
    { active: 0, max: 2, upTo: undefined, admit: ['a', 'b'], positions: { c: 1, d: 2 } },
    { active: 2, max: 2, upTo: undefined, admit: [], positions: { a: 1, b: 2, c: 3, d: 4 } },
    { active: 5, max: 2, upTo: undefined, admit: [], positions: { a: 1, b: 2, c: 3, d: 4 } },
    { active: 1, max: 2, upTo: 'b', admit: ['a'], positions: { b: 1 } },
    { active: 0, max: 1, upTo: 'a', admit: ['a'], positions: {} },
    { active: 0, max: 9, upTo: 'a', admit: ['a', 'b', 'c', 'd'], positions: {} },
    { active: 0, max: 1, upTo: 'c', admit: ['a'], positions: { b: 1, c: 2 } },
  ])('active $active of $max, up to $upTo', ({ active, max, upTo, admit, positions }) => {
    const d = decideAdmission(queue, active, max, () => true, upTo);
    expect([...d.admit]).toEqual(admit);
    expect(Object.fromEntries(d.positions)).toEqual(positions);
  });
});

describe('runsToWake', () => {
  it.each([
    { max: 5, active: 0, wake: 5 },
    { max: 5, active: 4, wake: 1 },
    { max: 5, active: 5, wake: 1 },
    { max: 1, active: 3, wake: 1 },
  ])('max $max with $active active wakes $wake', ({ max, active, wake }) => {
    expect(runsToWake({ maxActiveRuns: max }, active)).toBe(wake);
  });
});

describe('queueRefusal', () => {
  it.each([
    { active: 1, queued: 2, unfinished: 2, refused: false },
    { active: 1, queued: 2, unfinished: 3, refused: true },
    { active: 5, queued: 0, unfinished: 4, refused: false },
    { active: 5, queued: 0, unfinished: 5, refused: true },
  ])('$unfinished unfinished with $active + $queued', ({ active, queued, unfinished, refused }) => {
    const why = queueRefusal('s', { maxActiveRuns: active, maxQueuedRuns: queued }, unfinished);
    expect(why !== undefined).toBe(refused);
    if (why) expect(why).toContain(`limits.maxActiveRuns ${active} + limits.maxQueuedRuns ${queued}`);
  });

  it('refuses nothing while the limits are unknown (no session yet)', () => {
    expect(queueRefusal('s', {} as never, 0)).toBeUndefined();
  });
});

describe('parentRefusal', () => {
  const child = run('child', { parent: 'p' });
  it.each([
    { parent: undefined, children: 0, says: 'is not a run of session' },
    { parent: run('p', { parent: 'gp' }), children: 0, says: 'delegation is one level deep' },
    { parent: run('p', { phase: 'Failed' }), children: 0, says: 'has ended (Failed)' },
    { parent: run('p', { phase: 'Running' }), children: 3, says: 'already has 3 children' },
    { parent: run('p', { phase: 'Running' }), children: 2, says: undefined },
  ])('$says', ({ parent, children, says }) => {
    const why = parentRefusal(child, parent, children);
    if (says === undefined) expect(why).toBeUndefined();
    else expect(why).toContain(says);
  });
});

describe('SessionRunIndex', () => {
  it('counts active, unfinished, waiting and children as runs change and go', () => {
    const index = new SessionRunIndex();
    index.upsert(run('a', { uid: '1', rv: '1' }));
    index.upsert(run('b', { uid: '2', rv: '2', priority: 5 }));
    index.upsert(run('c', { uid: '3', rv: '3', phase: 'Running' }));
    index.upsert(run('k', { uid: '4', rv: '4', phase: 'Queued', parent: 'c' }));
    const s = index.session('default', 's');
    expect(s.queue.map((r) => r.metadata.name)).toEqual(['b', 'a', 'k']);
    expect([s.active, s.unfinished, s.children('c')]).toEqual([1, 4, 1]);

    index.upsert(run('b', { uid: '2', rv: '5', priority: 5, phase: 'Starting' }));
    expect(s.queue.map((r) => r.metadata.name)).toEqual(['a', 'k']);
    expect(s.active).toBe(2);
    // An older copy (a watch event behind the write's own result) changes nothing.
    expect(index.upsert(run('b', { uid: '2', rv: '2', priority: 5 }))).toBe(false);
    expect(s.queue.map((r) => r.metadata.name)).toEqual(['a', 'k']);

    index.upsert(run('c', { uid: '3', rv: '6', phase: 'Completed' }));
    index.upsert(run('k', { uid: '4', rv: '7', deleting: true, parent: 'c' }));
    expect([s.active, s.unfinished, s.children('c')]).toEqual([1, 2, 0]);
    expect(s.queue.map((r) => r.metadata.name)).toEqual(['a']);

    index.remove(run('a', { uid: '1' }));
    expect(s.queue).toEqual([]);
    expect(s.unfinished).toBe(1);
  });

  it('agrees with decideAdmissionOf over the same runs', () => {
    const runs = [run('x', { uid: '1', priority: 1 }), run('y', { uid: '2', phase: 'Paused' }), run('z', { uid: '3' }), run('w', { uid: '0', priority: 1 })];
    const index = new SessionRunIndex();
    index.reset(runs);
    const s = index.session('default', 's');
    expect(decideAdmission(s.queue, s.active, 2, () => true)).toEqual(decideAdmissionOf(runs, 2, () => true));
  });
});
