import { describe, expect, test } from '@jest/globals';
import { formatReference, parseText, render, type ParsedText, type Reference } from './expressions.js';

describe('parseText', () => {
  test.each<[string, ParsedText]>([
    ['plain text, no braces', { references: [], invalid: [] }],
    ['fix {{params.issue}}', { references: [{ kind: 'param', name: 'issue' }], invalid: [] }],
    ['{{ params.issue }} with spaces', { references: [{ kind: 'param', name: 'issue' }], invalid: [] }],
    ['see {{phases.plan.outputs.summary}}', { references: [{ kind: 'output', phase: 'plan', key: 'summary' }], invalid: [] }],
    [
      '{{workflow.name}} in {{workflow.namespace}} of {{workflow.session}}',
      {
        references: [
          { kind: 'workflow', field: 'name' },
          { kind: 'workflow', field: 'namespace' },
          { kind: 'workflow', field: 'session' },
        ],
        invalid: [],
      },
    ],
    ['{{ nope }}', { references: [], invalid: ['{{ nope }}'] }],
    ['{{params.Bad}} {{workflow.uid}} {{phases.p.output.k}}', { references: [], invalid: ['{{params.Bad}}', '{{workflow.uid}}', '{{phases.p.output.k}}'] }],
    ['{{}}', { references: [], invalid: ['{{}}'] }],
    ['unclosed {{params.x', { references: [], invalid: ['{{params.x'] }],
    ['stray }} here', { references: [], invalid: ['}}'] }],
    ['{{params.a}} and {{params.b', { references: [{ kind: 'param', name: 'a' }], invalid: ['{{params.b'] }],
  ])('%j', (text, expected) => {
    expect(parseText(text)).toEqual(expected);
  });
});

describe('render', () => {
  const values = {
    params: { issue: '142' },
    outputs: { plan: { summary: 'add a cache' }, build: undefined },
    workflow: { name: 'wf-1', namespace: 'team', session: 's1' },
  };

  test.each<[string, string]>([
    ['fix #{{params.issue}}', 'fix #142'],
    ['plan: {{ phases.plan.outputs.summary }}', 'plan: add a cache'],
    ['{{workflow.name}}/{{workflow.namespace}}/{{workflow.session}}', 'wf-1/team/s1'],
    ['missing: [{{params.other}}] [{{phases.build.outputs.x}}] [{{phases.ghost.outputs.x}}]', 'missing: [] [] []'],
    ['left alone: {{ nope }}', 'left alone: {{ nope }}'],
  ])('%j → %j', (text, expected) => {
    expect(render(text, values)).toBe(expected);
  });
});

describe('formatReference', () => {
  test.each<[Reference, string]>([
    [{ kind: 'param', name: 'issue' }, '{{params.issue}}'],
    [{ kind: 'output', phase: 'plan', key: 'summary' }, '{{phases.plan.outputs.summary}}'],
    [{ kind: 'workflow', field: 'session' }, '{{workflow.session}}'],
  ])('%j → %s, which parses back', (ref, text) => {
    expect(formatReference(ref)).toBe(text);
    expect(parseText(text).references).toEqual([ref]);
  });
});
