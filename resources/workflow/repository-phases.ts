/**
 * Which phases of a template work in a repository: the ones whose commands run on the line of
 * commits the phases build. An Automated phase commits what its command does, and a QualityChecks
 * gate checks the commit of the phase it follows; without a repository each command gets an empty
 * scratch directory, where a check can never see the work it is meant to check. Agent and
 * MultiAgent phases can work in scratch (their results travel in outputs and prompts), so they do
 * not need one — but they do use the workflow's repository when it has one (see
 * docs/decisions/0020-workflow-repo-mount-defaults.md).
 */
import type { WorkflowTemplateSpec } from '../kinds/workflowtemplate.js';

/** The names of the phases that need a repository, in template order. */
export function repositoryPhases(spec: WorkflowTemplateSpec): string[] {
  return spec.phases.filter((p) => p.type === 'Automated' || (p.gate?.type === 'QualityChecks' && (p.gate.checks ?? []).length > 0)).map((p) => p.name);
}

/** The names of the phases that do work (everything but Human phases), which a repository, when there is one, is for. */
export function workingPhases(spec: WorkflowTemplateSpec): string[] {
  return spec.phases.filter((p) => p.type !== 'Human').map((p) => p.name);
}
