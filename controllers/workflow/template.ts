/**
 * The template version a workflow runs. The API server checks it at create and stamps
 * `status.templateDigest`; the controller checks again on every pass, because a template can be
 * deleted (or deleted and created again with another spec) after the workflow was admitted. A
 * template that is missing, or whose digest is not the pinned or admitted one, fails the workflow
 * with a reason — it never runs a version nobody asked for.
 */
import type { Workflow } from '../../resources/kinds/workflow.js';
import type { WorkflowTemplate, WorkflowTemplateSpec } from '../../resources/kinds/workflowtemplate.js';
import { templateDigest } from '../../resources/workflow/digest.js';
import { findCycle, phaseGraph } from '../../resources/workflow/graph.js';

export type Resolution =
  | { ok: true; spec: WorkflowTemplateSpec; digest: string; params: Record<string, string> }
  | { ok: false; reason: string; message: string };

/** Checks the workflow's template (`found`: the referenced WorkflowTemplate, if any) and its parameters. */
export function resolveTemplate(wf: Workflow, found: WorkflowTemplate | undefined): Resolution {
  const ref = wf.spec.templateRef;
  let spec: WorkflowTemplateSpec;
  let digest: string;
  if (wf.spec.template && !ref) {
    spec = wf.spec.template;
    digest = templateDigest(spec);
  } else if (ref && !wf.spec.template) {
    if (!found) return { ok: false, reason: 'TemplateNotFound', message: `workflowtemplate "${ref.name}" not found` };
    spec = found.spec;
    // The digest the API server stamped at create; a template stored without one gives the same from its spec.
    digest = found.status?.digest ?? templateDigest(found.spec);
    if (ref.digest && ref.digest !== digest) {
      return { ok: false, reason: 'DigestMismatch', message: `spec.templateRef.digest pins ${ref.digest}, but workflowtemplate "${ref.name}" is at ${digest}` };
    }
  } else {
    return { ok: false, reason: 'InvalidSpec', message: 'exactly one of spec.templateRef or spec.template is required' };
  }
  const admitted = wf.status?.templateDigest;
  if (admitted && admitted !== digest) {
    return { ok: false, reason: 'TemplateChanged', message: `the workflow was admitted with template ${admitted}, but ${ref ? `workflowtemplate "${ref.name}"` : 'the template'} is now ${digest}` };
  }
  const cycle = findCycle(phaseGraph(spec));
  if (cycle) return { ok: false, reason: 'InvalidTemplate', message: `dependency cycle ${cycle.join(' -> ')}` };
  const params: Record<string, string> = {};
  const missing: string[] = [];
  for (const p of spec.params ?? []) {
    const value = wf.spec.params?.[p.name] ?? p.default;
    if (value === undefined) missing.push(p.name);
    else params[p.name] = value;
  }
  if (missing.length > 0) return { ok: false, reason: 'MissingParameter', message: `spec.params: ${missing.map((m) => `"${m}"`).join(', ')} required by the template` };
  return { ok: true, spec, digest, params };
}
