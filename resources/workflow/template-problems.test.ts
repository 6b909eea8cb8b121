import { describe, expect, test } from '@jest/globals';
import type { WorkflowTemplateSpec } from '../kinds/workflowtemplate.js';
import { agentReferences, reasonOf, templateProblems } from './template-problems.js';

type Phase = WorkflowTemplateSpec['phases'][number];
const agent = (name: string, extra: Partial<Phase> = {}): Phase => ({ name, type: 'Agent', agent: 'coder', prompt: 'work', retries: 0, ...extra });
const automated = (name: string, extra: Partial<Phase> = {}): Phase => ({ name, type: 'Automated', command: 'make', retries: 0, ...extra });
const template = (phases: Phase[], params: WorkflowTemplateSpec['params'] = []): WorkflowTemplateSpec => ({
  params,
  phases,
  joinPolicy: 'FailFast',
  maxConcurrentPhases: 4,
});
/** The problems as `field: message` lines, as the 422 lists them. */
const lines = (spec: WorkflowTemplateSpec, at?: string) => templateProblems(spec, at).map((p) => `${p.field}: ${p.message}`);

describe('templateProblems', () => {
  test('a valid template has none', () => {
    const spec = template(
      [
        agent('plan', { prompt: 'plan {{params.issue}} for {{workflow.name}}' }),
        agent('impl', {
          dependsOn: ['plan'],
          prompt: 'do {{phases.plan.outputs.summary}}',
          gate: {
            type: 'QualityChecks',
            onFailure: 'GoBackTo',
            goBackTo: 'plan',
            checks: [{ command: 'npm test' }, { agent: 'reviewer', prompt: 'review {{phases.impl.outputs.diff}} against {{phases.plan.outputs.summary}}' }],
          },
        }),
        { name: 'chat', type: 'MultiAgent', channel: 'design', retries: 0 },
        { name: 'sign-off', type: 'Human', human: { prompt: 'ok {{params.issue}}?', timeoutBehavior: 'Fail' }, dependsOn: ['impl'], retries: 0 },
      ],
      [{ name: 'issue' }],
    );
    expect(templateProblems(spec)).toEqual([]);
  });

  test.each<[string, Phase[], string[]]>([
    [
      'graph problems from graph.ts',
      [automated('a', { dependsOn: ['c'] }), automated('b', { dependsOn: ['a', 'ghost'] }), automated('c', { dependsOn: ['b'] })],
      ['spec.phases[1].dependsOn[1]: Not found: phase "ghost"', 'spec.phases[0].dependsOn: Invalid value: dependency cycle a -> b -> c -> a'],
    ],
    [
      'an Agent phase without agent and prompt',
      [{ name: 'a', type: 'Agent', retries: 0 }],
      ['spec.phases[0].agent: Required value: an Agent phase names the agent that runs it', 'spec.phases[0].prompt: Required value: an Agent phase gives its agent a prompt'],
    ],
    ['an Automated phase without command', [{ name: 'a', type: 'Automated', command: '', retries: 0 }], ['spec.phases[0].command: Required value: an Automated phase runs a command']],
    ['a MultiAgent phase without channel', [{ name: 'a', type: 'MultiAgent', retries: 0 }], ['spec.phases[0].channel: Required value: a MultiAgent phase talks in a channel']],
    ['a Human phase without its form', [{ name: 'a', type: 'Human', retries: 0 }], ['spec.phases[0].human.prompt: Required value: a Human phase asks a person for something']],
  ])('%s', (_, phases, expected) => {
    expect(lines(template(phases))).toEqual(expected);
  });

  describe('gates', () => {
    const gated = (gate: NonNullable<Phase['gate']>) => template([automated('plan'), automated('impl', { dependsOn: ['plan'], gate }), automated('docs')]);

    test.each<[string, NonNullable<Phase['gate']>, string[]]>([
      ['GoBackTo the phase itself', { type: 'HumanApproval', onFailure: 'GoBackTo', goBackTo: 'impl' }, []],
      ['GoBackTo an ancestor', { type: 'HumanApproval', onFailure: 'GoBackTo', goBackTo: 'plan' }, []],
      ['GoBackTo without a target', { type: 'HumanApproval', onFailure: 'GoBackTo' }, ['spec.phases[1].gate.goBackTo: Required value: onFailure GoBackTo names the phase to go back to']],
      ['GoBackTo an unknown phase', { type: 'HumanApproval', onFailure: 'GoBackTo', goBackTo: 'ghost' }, ['spec.phases[1].gate.goBackTo: Not found: phase "ghost"']],
      [
        'GoBackTo an unrelated phase',
        { type: 'HumanApproval', onFailure: 'GoBackTo', goBackTo: 'docs' },
        ['spec.phases[1].gate.goBackTo: Invalid value: "docs": must be "impl" or a phase it depends on'],
      ],
      ['goBackTo without GoBackTo', { type: 'HumanApproval', onFailure: 'Stop', goBackTo: 'plan' }, ['spec.phases[1].gate.goBackTo: Forbidden: may only be set with onFailure GoBackTo']],
      ['QualityChecks without checks', { type: 'QualityChecks', onFailure: 'Retry', checks: [] }, ['spec.phases[1].gate.checks: Required value: a QualityChecks gate needs at least one check']],
      [
        'checks with neither or both of command and agent, and a prompt for a command',
        { type: 'QualityChecks', onFailure: 'Stop', checks: [{ name: 'empty' }, { command: 'lint', agent: 'reviewer' }, { command: 'test', prompt: 'why' }] },
        [
          'spec.phases[1].gate.checks[0]: Required value: one of command or agent',
          'spec.phases[1].gate.checks[1].agent: Forbidden: may not be set together with command',
          'spec.phases[1].gate.checks[2].prompt: Forbidden: only a check with an agent has a prompt',
        ],
      ],
      ['checks on another gate type', { type: 'AutoContinue', onFailure: 'Stop', checks: [{ command: 'lint' }] }, ['spec.phases[1].gate.checks: Forbidden: only a QualityChecks gate runs checks']],
    ])('%s', (_, gate, expected) => {
      expect(lines(gated(gate))).toEqual(expected);
    });
  });

  describe('expressions', () => {
    // plan → impl; docs unrelated; the text under test is impl's.
    const using = (where: Partial<Phase>, params: WorkflowTemplateSpec['params'] = [{ name: 'issue' }]) =>
      template([agent('plan'), agent('impl', { dependsOn: ['plan'], ...where }), agent('docs')], params);

    test.each<[string, Partial<Phase>, string[]]>([
      ['an unknown expression', { prompt: 'x {{ nope }} y' }, ['spec.phases[1].prompt: Invalid value: "{{ nope }}": unknown expression']],
      ['unbalanced braces', { prompt: 'x {{params.issue' }, ['spec.phases[1].prompt: Invalid value: "{{params.issue": unknown expression']],
      ['an undeclared param', { prompt: '{{params.ticket}}' }, ['spec.phases[1].prompt: Invalid value: "{{params.ticket}}": parameter "ticket" is not declared in spec.params']],
      ['a later phase output', { prompt: '{{phases.docs.outputs.url}}' }, ['spec.phases[1].prompt: Invalid value: "{{phases.docs.outputs.url}}": phase "docs" is not an ancestor of "impl"']],
      ['its own output in its prompt', { prompt: '{{phases.impl.outputs.diff}}' }, ['spec.phases[1].prompt: Invalid value: "{{phases.impl.outputs.diff}}": phase "impl" is not an ancestor of "impl"']],
      ['an output of no phase', { prompt: '{{phases.ghost.outputs.x}}' }, ['spec.phases[1].prompt: Invalid value: "{{phases.ghost.outputs.x}}": phase "ghost" does not exist']],
      ['a repeated mistake, once', { prompt: '{{params.ticket}} and {{ params.ticket }}' }, ['spec.phases[1].prompt: Invalid value: "{{params.ticket}}": parameter "ticket" is not declared in spec.params']],
      [
        'commands and check texts too',
        {
          gate: { type: 'QualityChecks', onFailure: 'Stop', checks: [{ command: 'test {{params.x}}' }, { agent: 'reviewer', prompt: 'see {{phases.docs.outputs.url}}' }] },
        },
        [
          'spec.phases[1].gate.checks[0].command: Invalid value: "{{params.x}}": parameter "x" is not declared in spec.params',
          'spec.phases[1].gate.checks[1].prompt: Invalid value: "{{phases.docs.outputs.url}}": phase "docs" is not an ancestor of "impl"',
        ],
      ],
    ])('%s', (_, where, expected) => {
      expect(lines(using(where))).toEqual(expected);
    });

    test('a transitive ancestor output is readable', () => {
      const spec = template([agent('a'), agent('b', { dependsOn: ['a'] }), agent('c', { dependsOn: ['b'], prompt: '{{phases.a.outputs.x}}' })]);
      expect(templateProblems(spec)).toEqual([]);
    });

    test('an Automated command and a Human prompt are checked', () => {
      const spec = template([automated('a', { command: 'run {{params.x}}' }), { name: 'h', type: 'Human', human: { prompt: '{{phases.a.outputs.y}}', timeoutBehavior: 'Fail' }, retries: 0 }]);
      expect(lines(spec)).toEqual([
        'spec.phases[0].command: Invalid value: "{{params.x}}": parameter "x" is not declared in spec.params',
        'spec.phases[1].human.prompt: Invalid value: "{{phases.a.outputs.y}}": phase "a" is not an ancestor of "h"',
      ]);
    });
  });

  test('an inline template reports under its own path', () => {
    expect(lines(template([agent('a', { prompt: '{{params.p}}', dependsOn: ['z'] })]), 'spec.template')).toEqual([
      'spec.template.phases[0].dependsOn[0]: Not found: phase "z"',
      'spec.template.phases[0].prompt: Invalid value: "{{params.p}}": parameter "p" is not declared in spec.template.params',
    ]);
  });

  test('every problem carries the reason its message stands for', () => {
    const problems = templateProblems(template([{ name: 'a', type: 'Agent', retries: 0, dependsOn: ['zz'], prompt: '{{ nope }}' }, automated('a')]));
    expect(problems.map((p) => [p.message.split(':')[0], p.reason])).toEqual([
      ['Not found', 'FieldValueNotFound'],
      ['Duplicate value', 'FieldValueDuplicate'],
      ['Required value', 'FieldValueRequired'],
      ['Invalid value', 'FieldValueInvalid'],
    ]);
  });
});

describe('reasonOf', () => {
  test.each([
    ['Required value', 'FieldValueRequired'],
    ['Not found: agent "x"', 'FieldValueNotFound'],
    ['Duplicate value: "a"', 'FieldValueDuplicate'],
    ['Forbidden: no', 'FieldValueForbidden'],
    ['Invalid value: "x": bad', 'FieldValueInvalid'],
  ])('%s → %s', (message, reason) => {
    expect(reasonOf(message)).toBe(reason);
  });
});

describe('agentReferences', () => {
  test('Agent phases and agent checks, with their paths; not other phase types', () => {
    const spec = template([
      agent('a', { agent: 'coder' }),
      automated('b', { gate: { type: 'QualityChecks', onFailure: 'Stop', checks: [{ command: 'lint' }, { agent: 'reviewer' }] } }),
      { name: 'c', type: 'MultiAgent', channel: 'room', retries: 0 },
    ]);
    expect(agentReferences(spec, 'spec.template')).toEqual([
      { field: 'spec.template.phases[0].agent', agent: 'coder' },
      { field: 'spec.template.phases[1].gate.checks[1].agent', agent: 'reviewer' },
    ]);
  });
});
