/**
 * Admission of WorkflowTemplates and Workflows at create, for the rules that need the store (like
 * run-limits.ts for Runs): after the schema, a template must follow the rules of
 * resources/workflow/template-problems.ts and name agents that exist; a Workflow must name an
 * existing session, repo mount and template (or carry one inline that follows the same rules),
 * pin the template's current digest if it pins one, and give every parameter the template needs
 * and no other. Its repo mount defaults, and is required when the template needs one
 * (workflow-repo-mount.ts). A refusal is one 422 Invalid listing every problem with its field path.
 *
 * What is admitted gets its digest stamped, computed here whatever the body said: `status.digest`
 * on a template (its spec is immutable, so the digest never changes) and `status.templateDigest`
 * on a workflow — the template version its controller runs.
 */
import type { KubeObject } from '../../resources/meta.js';
import type { Agent } from '../../resources/kinds/agent.js';
import type { RepoMount } from '../../resources/kinds/repomount.js';
import type { Session } from '../../resources/kinds/session.js';
import type { Workflow } from '../../resources/kinds/workflow.js';
import type { WorkflowTemplate, WorkflowTemplateSpec } from '../../resources/kinds/workflowtemplate.js';
import { templateDigest } from '../../resources/workflow/digest.js';
import { agentReferences, reasonOf, templateProblems, type TemplateProblem } from '../../resources/workflow/template-problems.js';
import { invalid } from '../errors.js';
import { defaultRepoMount, repoMountProblems, sessionMounts } from './workflow-repo-mount.js';
import type { Store } from '../store/store.js';

/** The plurals whose creates go through {@link admitWorkflowCreate}. */
export const WORKFLOW_PLURALS: ReadonlySet<string> = new Set(['workflowtemplates', 'workflows']);

/**
 * Checks a WorkflowTemplate or Workflow about to be created against the store and stamps its
 * digest on `obj`; throws 422 Invalid with every problem. Other kinds pass untouched.
 */
export async function admitWorkflowCreate(store: Store, plural: string, obj: KubeObject): Promise<void> {
  if (plural === 'workflowtemplates') await admitTemplate(store, obj as WorkflowTemplate);
  else if (plural === 'workflows') await admitWorkflow(store, obj as Workflow);
}

/**
 * The digests stamped at create name the version a workflow runs: a status write (kubectl patch
 * --subresource status) keeps them whatever the body says.
 */
export function keepStampedStatus(plural: string, old: KubeObject, next: KubeObject): void {
  const field = plural === 'workflowtemplates' ? 'digest' : plural === 'workflows' ? 'templateDigest' : undefined;
  const stamped = field ? (old.status as Record<string, unknown> | undefined)?.[field] : undefined;
  if (field && stamped !== undefined) next.status = { ...(next.status as Record<string, unknown> | undefined), [field]: stamped };
}

async function admitTemplate(store: Store, template: WorkflowTemplate): Promise<void> {
  const namespace = template.metadata.namespace ?? '';
  const problems = [...templateProblems(template.spec, 'spec'), ...(await missingAgents(store, namespace, template.spec, 'spec'))];
  if (problems.length > 0) throw invalid('WorkflowTemplate', nameOf(template), problems);
  template.status = { ...(template.status ?? {}), digest: templateDigest(template.spec) };
}

async function admitWorkflow(store: Store, workflow: Workflow): Promise<void> {
  const namespace = workflow.metadata.namespace ?? '';
  const spec = workflow.spec;
  const session = await store.find<Session>('sessions', namespace, spec.session);
  const mounts = session ? await sessionMounts(store, session) : [];
  // Defaulted first, so the checks below see the repo mount the workflow will run with.
  if (session) defaultRepoMount(spec, session, mounts);
  const problems: TemplateProblem[] = [...(await sessionProblems(store, namespace, spec, session))];
  const effective = await effectiveTemplate(store, namespace, spec, problems);
  if (effective) problems.push(...paramProblems(effective.spec, spec.params ?? {}));
  if (effective && session) {
    const name = spec.templateRef ? `workflowtemplate/${spec.templateRef.name}` : 'the inline template';
    problems.push(...repoMountProblems(spec, { name, spec: effective.spec }, mounts));
  }
  if (problems.length > 0 || !effective) throw invalid('Workflow', nameOf(workflow), problems);
  workflow.status = { ...(workflow.status ?? {}), templateDigest: effective.digest };
}

/** The session exists, and so does the repo mount, in that session. */
async function sessionProblems(store: Store, namespace: string, spec: Workflow['spec'], session: Session | undefined): Promise<TemplateProblem[]> {
  const problems: TemplateProblem[] = [];
  if (!session) problems.push(cause('spec.session', `Not found: session "${spec.session}"`));
  if (spec.repoMount !== undefined && spec.repoMount !== '') {
    const mount = await store.find<RepoMount>('repomounts', namespace, spec.repoMount);
    if (!mount) problems.push(cause('spec.repoMount', `Not found: repomount "${spec.repoMount}"`));
    else if (mount.spec.session !== spec.session) {
      problems.push(cause('spec.repoMount', `Invalid value: ${JSON.stringify(spec.repoMount)}: belongs to session "${mount.spec.session}", not "${spec.session}"`));
    }
  }
  return problems;
}

/**
 * The template the workflow runs, inline or referenced, with its digest; its problems go to
 * `problems`. Undefined when there is none to run (missing, or both given).
 */
async function effectiveTemplate(
  store: Store,
  namespace: string,
  spec: Workflow['spec'],
  problems: TemplateProblem[],
): Promise<{ spec: WorkflowTemplateSpec; digest: string } | undefined> {
  if (spec.templateRef && spec.template) {
    problems.push(cause('spec.template', 'Forbidden: may not be set together with spec.templateRef'));
    return undefined;
  }
  if (spec.template) {
    problems.push(...templateProblems(spec.template, 'spec.template'), ...(await missingAgents(store, namespace, spec.template, 'spec.template')));
    return { spec: spec.template, digest: templateDigest(spec.template) };
  }
  if (!spec.templateRef) {
    problems.push(cause('spec.templateRef', 'Required value: one of spec.templateRef or spec.template is required'));
    return undefined;
  }
  const { name, digest: pinned } = spec.templateRef;
  const template = await store.find<WorkflowTemplate>('workflowtemplates', namespace, name);
  if (!template) {
    problems.push(cause('spec.templateRef.name', `Not found: workflowtemplate "${name}"`));
    return undefined;
  }
  // Templates stored before digests were stamped have none; their spec gives the same answer.
  const digest = template.status?.digest ?? templateDigest(template.spec);
  if (pinned !== undefined && pinned !== digest) {
    problems.push(cause('spec.templateRef.digest', `Invalid value: ${JSON.stringify(pinned)}: template "${name}" is at ${digest}`));
  }
  // The template was checked when it was created, but an agent it names may be gone since.
  const inTemplate = [...templateProblems(template.spec, 'spec'), ...(await missingAgents(store, namespace, template.spec, 'spec'))];
  for (const p of inTemplate) {
    problems.push({ field: 'spec.templateRef.name', message: `Invalid value: ${JSON.stringify(name)}: ${p.field}: ${p.message}`, reason: p.reason });
  }
  return { spec: template.spec, digest };
}

/** Every parameter without a default is given, and nothing else is. */
function paramProblems(template: WorkflowTemplateSpec, given: Record<string, string>): TemplateProblem[] {
  const declared = template.params ?? [];
  const problems = declared.filter((p) => p.default === undefined && !(p.name in given)).map((p) => cause(`spec.params.${p.name}`, 'Required value'));
  const names = declared.map((p) => JSON.stringify(p.name));
  for (const key of Object.keys(given)) {
    if (declared.some((p) => p.name === key)) continue;
    const known = names.length > 0 ? `declared: ${names.join(', ')}` : 'it declares none';
    problems.push(cause(`spec.params.${key}`, `Invalid value: ${JSON.stringify(key)}: not a parameter of the template (${known})`));
  }
  return problems;
}

/** `Not found` for every place the template names an agent that is not in the namespace. */
async function missingAgents(store: Store, namespace: string, spec: WorkflowTemplateSpec, at: string): Promise<TemplateProblem[]> {
  const refs = agentReferences(spec, at);
  const missing = new Set<string>();
  for (const agent of new Set(refs.map((r) => r.agent))) {
    if (!(await store.find<Agent>('agents', namespace, agent))) missing.add(agent);
  }
  return refs.filter((r) => missing.has(r.agent)).map((r) => cause(r.field, `Not found: agent "${r.agent}"`));
}

function cause(field: string, message: string): TemplateProblem {
  return { field, message, reason: reasonOf(message) };
}

function nameOf(obj: KubeObject): string {
  return obj.metadata.name ?? obj.metadata.generateName ?? '';
}
