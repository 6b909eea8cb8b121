import { describe, expect, test } from '@jest/globals';
import type { WorkflowTemplateSpec } from '../kinds/workflowtemplate.js';
import { repositoryPhases, workingPhases } from './repository-phases.js';

const spec = (phases: unknown[]) => ({ phases }) as unknown as WorkflowTemplateSpec;

describe('phases that work in a repository', () => {
  test.each([
    ['an Automated phase', [{ name: 'build', type: 'Automated', command: 'make' }], ['build'], ['build']],
    ['an Agent phase checked by commands', [{ name: 'impl', type: 'Agent', agent: 'a', gate: { type: 'QualityChecks', checks: [{ command: 'npm test' }] } }], ['impl'], ['impl']],
    ['a QualityChecks gate without checks', [{ name: 'impl', type: 'Agent', agent: 'a', gate: { type: 'QualityChecks', checks: [] } }], [], ['impl']],
    ['Agent and MultiAgent phases alone', [{ name: 'plan', type: 'Agent', agent: 'a' }, { name: 'talk', type: 'MultiAgent', channel: 'c' }], [], ['plan', 'talk']],
    ['a Human phase', [{ name: 'ask', type: 'Human', human: { prompt: '?' } }], [], []],
  ])('%s', (_what, phases, needing, working) => {
    expect(repositoryPhases(spec(phases))).toEqual(needing);
    expect(workingPhases(spec(phases))).toEqual(working);
  });
});
