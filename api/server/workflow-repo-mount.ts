/**
 * The repository a Workflow's phases work in, at create (workflow-admission.ts): `spec.repoMount`
 * defaults to the session's `spec.defaults.repoMount`, else to the session's only RepoMount — for
 * `sidekick submit` and `kubectl apply` alike, so a workflow never runs without a repository only
 * because nobody named it. A workflow whose template needs a repository (repository-phases.ts) and
 * has none, or does work while its session has several RepoMounts and no default, is refused.
 */
import type { RepoMount } from '../../resources/kinds/repomount.js';
import type { Session } from '../../resources/kinds/session.js';
import type { Workflow } from '../../resources/kinds/workflow.js';
import type { WorkflowTemplateSpec } from '../../resources/kinds/workflowtemplate.js';
import { repositoryPhases, workingPhases } from '../../resources/workflow/repository-phases.js';
import { reasonOf, type TemplateProblem } from '../../resources/workflow/template-problems.js';
import type { Store } from '../store/store.js';

const named = (v: string | undefined): v is string => v !== undefined && v !== '';

/** The names of the session's RepoMounts, sorted. */
export async function sessionMounts(store: Store, session: Session): Promise<string[]> {
  const { items } = await store.list<RepoMount>('repomounts', { namespace: session.metadata.namespace, fieldSelector: `spec.session=${session.metadata.name}` });
  return items.map((m) => m.metadata.name!).sort();
}

/** Fills in `spec.repoMount` when it is unset: the session's default, else its only RepoMount. */
export function defaultRepoMount(spec: Workflow['spec'], session: Session, mounts: string[]): void {
  if (named(spec.repoMount)) return;
  const chosen = session.spec.defaults?.repoMount ?? (mounts.length === 1 ? mounts[0] : undefined);
  if (named(chosen)) spec.repoMount = chosen;
}

/**
 * `spec.repoMount: Required value` when the workflow has no repository but its template needs one,
 * or would have to guess between the session's RepoMounts. `template` names the template in the
 * message (`workflowtemplate/review`, or `the inline template`).
 */
export function repoMountProblems(spec: Workflow['spec'], template: { name: string; spec: WorkflowTemplateSpec }, mounts: string[]): TemplateProblem[] {
  if (named(spec.repoMount)) return [];
  const needing = repositoryPhases(template.spec);
  if (mounts.length > 1 && workingPhases(template.spec).length > 0) {
    const working = workingPhases(template.spec).join(', ');
    return [required(`${template.name} has phases that do work (${working}); session ${spec.session} has ${mounts.length} RepoMounts (${mounts.join(', ')}) and no spec.defaults.repoMount: name one`)];
  }
  if (needing.length > 0) {
    return [required(`${template.name} has phases that work in a repository (${needing.join(', ')}); session ${spec.session} has no RepoMount`)];
  }
  return [];
}

function required(detail: string): TemplateProblem {
  const message = `Required value: ${detail}`;
  return { field: 'spec.repoMount', message, reason: reasonOf(message) };
}
