import { describe, expect, test } from '@jest/globals';
import { phaseGraph } from '../../resources/workflow/graph.js';
import { lineHead } from './line.js';
import type { PhaseStatus } from './plan.js';

// plan → implement → review; docs stands alone.
const g = phaseGraph({
  phases: [
    { name: 'plan', type: 'Agent', retries: 0 },
    { name: 'implement', type: 'Agent', retries: 0, dependsOn: ['plan'] },
    { name: 'review', type: 'Agent', retries: 0, dependsOn: ['implement'] },
    { name: 'docs', type: 'Agent', retries: 0 },
  ],
});

const at = (commit: string, finishedAt: string, phase: PhaseStatus['phase'] = 'Succeeded'): PhaseStatus => ({ phase, finishedAt, outputs: { headCommit: commit, branch: `b-${commit}` } });

describe('lineHead', () => {
  test('a first phase has no line yet: it starts from the mount', () => {
    expect(lineHead(g, {}, 'plan')).toBeUndefined();
  });

  test('a phase starts from its dependency\'s head, not from an unrelated phase', () => {
    const phases = { plan: at('p1', '2030-01-01T00:00:01Z'), docs: at('d1', '2030-01-01T00:00:09Z') };
    expect(lineHead(g, phases, 'implement')).toEqual({ commit: 'p1', phase: 'plan', branch: 'b-p1' });
  });

  test('a second attempt of implement starts from its own first attempt (the newest head of the line)', () => {
    const phases = { plan: at('p1', '2030-01-01T00:00:01Z'), implement: at('i1', '2030-01-01T00:00:05Z', 'Pending') };
    expect(lineHead(g, phases, 'implement')?.commit).toBe('i1');
  });

  test('after a GoBackTo from review, implement starts from review\'s work', () => {
    const phases = { plan: at('p1', '2030-01-01T00:00:01Z'), implement: at('i1', '2030-01-01T00:00:05Z', 'Pending'), review: at('r1', '2030-01-01T00:00:08Z', 'Pending') };
    expect(lineHead(g, phases, 'implement')?.commit).toBe('r1');
  });

  test('on a tie in time the later phase wins', () => {
    const phases = { plan: at('p1', '2030-01-01T00:00:05Z'), implement: at('i1', '2030-01-01T00:00:05Z') };
    expect(lineHead(g, phases, 'review')?.commit).toBe('i1');
  });
});
