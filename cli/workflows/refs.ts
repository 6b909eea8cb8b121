/** The workflow resources as the CLI addresses them, and reading `workflow/NAME` arguments. */
import { UsageError } from 'clipanion';
import type { ResourceRef } from '../../api/client/types.js';
import { parseTarget } from '../journal/read.js';

const GROUP = { group: 'sidekicks.dev', version: 'v1alpha1', namespaced: true } as const;
export const WORKFLOWS: ResourceRef = { ...GROUP, plural: 'workflows', kind: 'Workflow' };
export const WORKFLOW_TEMPLATES: ResourceRef = { ...GROUP, plural: 'workflowtemplates', kind: 'WorkflowTemplate' };

/** The name in `workflow/NAME`, `wf/NAME` or `NAME`. */
export function workflowName(arg: string): string {
  const name = parseTarget(arg, ['workflow', 'workflows', 'wf', 'workflow.sidekicks.dev', 'workflows.sidekicks.dev']);
  if (!name) throw new UsageError(`expected workflow/NAME or NAME, got "${arg}"`);
  return name;
}

export { RETRY_ANNOTATION } from '../../controllers/workflow/names.js';
