import { describe, expect, test } from '@jest/globals';
import { ancestors, descendants, findCycle, graphProblems, phaseGraph, topologicalOrder } from './graph.js';

type Phases = { name: string; dependsOn?: string[] }[];
const spec = (phases: Phases) => ({ phases: phases.map((p) => ({ type: 'Automated' as const, command: 'true', retries: 0, ...p })) });

// plan → build, test (parallel) → ship; docs stands alone.
const diamond = spec([
  { name: 'plan' },
  { name: 'build', dependsOn: ['plan'] },
  { name: 'test', dependsOn: ['plan'] },
  { name: 'ship', dependsOn: ['build', 'test'] },
  { name: 'docs' },
]);

describe('graphProblems', () => {
  test.each<[string, Phases, { field: string; message: string }[]]>([
    ['a valid graph', [{ name: 'a' }, { name: 'b', dependsOn: ['a'] }], []],
    ['a duplicate name', [{ name: 'a' }, { name: 'a' }], [{ field: 'spec.phases[1].name', message: 'Duplicate value: "a"' }]],
    ['an unknown dependency', [{ name: 'a' }, { name: 'b', dependsOn: ['a', 'nope'] }], [{ field: 'spec.phases[1].dependsOn[1]', message: 'Not found: phase "nope"' }]],
    ['a self-dependency', [{ name: 'a', dependsOn: ['a'] }], [{ field: 'spec.phases[0].dependsOn[0]', message: 'Invalid value: "a": a phase cannot depend on itself' }]],
    [
      // b runs after a, c after b, a after c: the cycle is named in the order the phases would run.
      'a cycle of three',
      [{ name: 'a', dependsOn: ['c'] }, { name: 'b', dependsOn: ['a'] }, { name: 'c', dependsOn: ['b'] }],
      [{ field: 'spec.phases[0].dependsOn', message: 'Invalid value: dependency cycle a -> b -> c -> a' }],
    ],
    [
      'a cycle of two behind a valid phase',
      [{ name: 'start' }, { name: 'x', dependsOn: ['start', 'y'] }, { name: 'y', dependsOn: ['x'] }],
      [{ field: 'spec.phases[1].dependsOn', message: 'Invalid value: dependency cycle x -> y -> x' }],
    ],
  ])('%s', (_, phases, expected) => {
    expect(graphProblems(spec(phases))).toEqual(expected);
  });

  test('paths start at the given prefix (an inline template)', () => {
    expect(graphProblems(spec([{ name: 'a', dependsOn: ['b'] }]), 'spec.template')).toEqual([
      { field: 'spec.template.phases[0].dependsOn[0]', message: 'Not found: phase "b"' },
    ]);
  });
});

describe('phaseGraph and its questions', () => {
  const g = phaseGraph(diamond);

  test('keeps declaration order and drops unknown dependencies', () => {
    expect(g.names).toEqual(['plan', 'build', 'test', 'ship', 'docs']);
    expect(phaseGraph(spec([{ name: 'a', dependsOn: ['ghost'] }])).deps.get('a')).toEqual([]);
  });

  test.each<[string, string[], string[]]>([
    ['plan', [], ['build', 'test', 'ship']],
    ['build', ['plan'], ['ship']],
    ['ship', ['build', 'test', 'plan'], []],
    ['docs', [], []],
  ])('%s: ancestors %j, descendants %j', (name, up, down) => {
    expect([...ancestors(g, name)].sort()).toEqual([...up].sort());
    expect([...descendants(g, name)].sort()).toEqual([...down].sort());
  });

  test('topologicalOrder puts every phase after its dependencies, declaration order breaking ties', () => {
    expect(topologicalOrder(g)).toEqual(['plan', 'build', 'test', 'ship', 'docs']);
    const reversed = phaseGraph(spec([{ name: 'last', dependsOn: ['mid'] }, { name: 'mid', dependsOn: ['first'] }, { name: 'first' }]));
    expect(topologicalOrder(reversed)).toEqual(['first', 'mid', 'last']);
  });

  test('topologicalOrder refuses a cycle, naming it', () => {
    const cyclic = phaseGraph(spec([{ name: 'a', dependsOn: ['b'] }, { name: 'b', dependsOn: ['a'] }]));
    expect(() => topologicalOrder(cyclic)).toThrow('dependency cycle a -> b -> a');
  });

  test('findCycle is undefined for an acyclic graph, and ancestors terminate inside a cycle', () => {
    expect(findCycle(g)).toBeUndefined();
    const cyclic = phaseGraph(spec([{ name: 'a', dependsOn: ['b'] }, { name: 'b', dependsOn: ['a'] }]));
    expect([...ancestors(cyclic, 'a')].sort()).toEqual(['a', 'b']);
  });
});
