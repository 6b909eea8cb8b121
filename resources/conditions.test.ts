import { describe, expect, it } from '@jest/globals';
import { findCondition, isConditionTrue, setCondition } from './conditions.js';
import type { Condition } from './meta.js';

const t0 = new Date('2026-11-23T10:00:00.000Z');
const t1 = new Date('2026-11-23T10:05:00.000Z');

describe('setCondition', () => {
  it('adds a new condition with the transition time and generation', () => {
    expect(setCondition(undefined, { type: 'Ready', status: 'True', reason: 'Attached' }, 3, t0)).toEqual([
      { type: 'Ready', status: 'True', reason: 'Attached', lastTransitionTime: '2026-11-23T10:00:00Z', observedGeneration: 3 },
    ]);
  });

  it.each([
    ['same status keeps the transition time', 'True', '2026-11-23T10:00:00Z'],
    ['flipped status moves the transition time', 'False', '2026-11-23T10:05:00Z'],
    ['Unknown counts as a flip', 'Unknown', '2026-11-23T10:05:00Z'],
  ] as const)('%s', (_name, status, expectedTime) => {
    const before = setCondition([], { type: 'Ready', status: 'True', reason: 'Attached' }, 1, t0);
    const after = setCondition(before, { type: 'Ready', status, reason: 'Changed', message: 'detail' }, 2, t1);
    expect(after).toEqual([{ type: 'Ready', status, reason: 'Changed', message: 'detail', lastTransitionTime: expectedTime, observedGeneration: 2 }]);
  });

  it('keeps other conditions and their order, and does not modify its input', () => {
    const input: Condition[] = [
      { type: 'Admitted', status: 'True', lastTransitionTime: '2026-11-23T09:00:00Z', observedGeneration: 1 },
      { type: 'Succeeded', status: 'Unknown', lastTransitionTime: '2026-11-23T09:00:00Z', observedGeneration: 1 },
    ];
    const snapshot = structuredClone(input);
    const out = setCondition(input, { type: 'Admitted', status: 'True', reason: 'SlotAvailable' }, 2, t1);
    expect(input).toEqual(snapshot);
    expect(out.map((c) => c.type)).toEqual(['Admitted', 'Succeeded']);
    expect(out[0]).toEqual({ type: 'Admitted', status: 'True', reason: 'SlotAvailable', lastTransitionTime: '2026-11-23T09:00:00Z', observedGeneration: 2 });
    expect(out[1]).toEqual(input[1]);
    expect(out[1]).not.toBe(input[1]);
  });

  it('drops a reason that is no longer given', () => {
    const before = setCondition([], { type: 'Ready', status: 'False', reason: 'Missing', message: 'no binary' }, 1, t0);
    expect(setCondition(before, { type: 'Ready', status: 'True' }, 1, t1)[0]).toEqual({
      type: 'Ready',
      status: 'True',
      lastTransitionTime: '2026-11-23T10:05:00Z',
      observedGeneration: 1,
    });
  });
});

describe('findCondition / isConditionTrue', () => {
  const conditions = setCondition(setCondition([], { type: 'Ready', status: 'True' }, 1, t0), { type: 'Stalled', status: 'False' }, 1, t0);
  it.each([
    ['Ready', true],
    ['Stalled', false],
    ['Reconciling', false],
  ])('%s → %s', (type, expected) => {
    expect(isConditionTrue(conditions, type)).toBe(expected);
    expect(findCondition(conditions, type)?.type).toBe(expected || type === 'Stalled' ? type : undefined);
  });
  it('handles an absent list', () => {
    expect(findCondition(undefined, 'Ready')).toBeUndefined();
    expect(isConditionTrue(undefined, 'Ready')).toBe(false);
  });
});
