import { createHash } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import type { WorkflowTemplateSpec } from '../kinds/workflowtemplate.js';
import { templateDigest } from './digest.js';

const spec: WorkflowTemplateSpec = {
  params: [{ name: 'issue' }],
  phases: [
    { name: 'plan', type: 'Agent', agent: 'planner', prompt: 'plan {{params.issue}}', retries: 0 },
    { name: 'test', type: 'Automated', command: 'npm test', dependsOn: ['plan'], retries: 1 },
  ],
  joinPolicy: 'FailFast',
  maxConcurrentPhases: 4,
};

describe('templateDigest', () => {
  test('is sha256 over the RFC 8785 canonical JSON of the spec', () => {
    const small: WorkflowTemplateSpec = { phases: [{ name: 'a', type: 'Automated', command: 'true', retries: 0 }], joinPolicy: 'FailFast', maxConcurrentPhases: 4 };
    // Canonical JSON sorts keys and drops whitespace; written out by hand here.
    const canonical = '{"joinPolicy":"FailFast","maxConcurrentPhases":4,"phases":[{"command":"true","name":"a","retries":0,"type":"Automated"}]}';
    expect(templateDigest(small)).toBe(`sha256:${createHash('sha256').update(canonical).digest('hex')}`);
  });

  test('has the shape the WorkflowTemplate status schema allows', () => {
    expect(templateDigest(spec)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  test('does not depend on key order', () => {
    const reordered = JSON.parse(JSON.stringify({ maxConcurrentPhases: 4, joinPolicy: 'FailFast', phases: spec.phases, params: spec.params })) as WorkflowTemplateSpec;
    expect(templateDigest(reordered)).toBe(templateDigest(spec));
  });

  test.each<[string, (s: WorkflowTemplateSpec) => void]>([
    ['a prompt', (s) => (s.phases[0]!.prompt = 'plan it')],
    ['phase order', (s) => s.phases.reverse()],
    ['a default', (s) => (s.maxConcurrentPhases = 2)],
    ['a parameter default', (s) => (s.params![0]!.default = '1')],
  ])('changes with %s', (_, change) => {
    const changed = structuredClone(spec);
    change(changed);
    expect(templateDigest(changed)).not.toBe(templateDigest(spec));
  });
});
