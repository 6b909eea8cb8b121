import { describe, expect, test } from '@jest/globals';
import type { Workflow } from '../../resources/kinds/workflow.js';
import type { WorkflowTemplate, WorkflowTemplateSpec } from '../../resources/kinds/workflowtemplate.js';
import { templateDigest } from '../../resources/workflow/digest.js';
import { resolveTemplate } from './template.js';

const spec: WorkflowTemplateSpec = {
  params: [{ name: 'issue' }, { name: 'branch', default: 'main' }],
  phases: [{ name: 'a', type: 'Agent', agent: 'dev', prompt: 'fix {{params.issue}}', retries: 0 }],
  joinPolicy: 'FailFast',
  maxConcurrentPhases: 4,
};
const digest = templateDigest(spec);
const tpl = { metadata: { name: 'review', namespace: 'default' }, spec, status: { digest } } as WorkflowTemplate;

function wf(s: Partial<Workflow['spec']>, status: Workflow['status'] = {}): Workflow {
  return { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Workflow', metadata: { name: 'w', namespace: 'default' }, spec: { session: 's', suspend: false, ...s }, status } as Workflow;
}

describe('resolveTemplate', () => {
  test('a referenced template with its params (defaults filled in)', () => {
    expect(resolveTemplate(wf({ templateRef: { name: 'review', digest }, params: { issue: '142' } }), tpl)).toEqual({ ok: true, spec, digest, params: { issue: '142', branch: 'main' } });
  });

  test('an inline template is digested from its spec', () => {
    const r = resolveTemplate(wf({ template: spec, params: { issue: '1' } }), undefined);
    expect(r).toMatchObject({ ok: true, digest });
  });

  test.each<[string, Workflow, WorkflowTemplate | undefined, string, string]>([
    ['a missing template', wf({ templateRef: { name: 'review' }, params: { issue: '1' } }), undefined, 'TemplateNotFound', 'workflowtemplate "review" not found'],
    [
      'a pinned digest the template is not at',
      wf({ templateRef: { name: 'review', digest: `sha256:${'0'.repeat(64)}` }, params: { issue: '1' } }),
      tpl,
      'DigestMismatch',
      `spec.templateRef.digest pins sha256:${'0'.repeat(64)}, but workflowtemplate "review" is at ${digest}`,
    ],
    [
      'a template replaced since the workflow was admitted',
      wf({ templateRef: { name: 'review' }, params: { issue: '1' } }, { templateDigest: `sha256:${'1'.repeat(64)}` }),
      tpl,
      'TemplateChanged',
      `the workflow was admitted with template sha256:${'1'.repeat(64)}, but workflowtemplate "review" is now ${digest}`,
    ],
    ['a missing required parameter', wf({ templateRef: { name: 'review' } }), tpl, 'MissingParameter', 'spec.params: "issue" required by the template'],
  ])('fails on %s', (_, workflow, found, reason, message) => {
    expect(resolveTemplate(workflow, found)).toEqual({ ok: false, reason, message });
  });
});
