/**
 * The derived names, labels and owner references of a workflow's children. Every child of an
 * attempt is named from the workflow, the phase and the attempt number, so a pass that repeats
 * after a crash finds what an earlier pass made (AlreadyExists = already done) and no attempt of a
 * phase is ever started twice.
 */
import type { Actor } from '../../api/journal/event.js';
import type { OwnerReference } from '../../resources/meta.js';
import type { Workflow } from '../../resources/kinds/workflow.js';
import { NameLabel, nameLabels } from '../../resources/name-labels.js';

export const workflowActor: Actor = { kind: 'controller', name: 'workflow-controller' };

export const WORKFLOW_LABEL = NameLabel.Workflow;
export const PHASE_LABEL = NameLabel.Phase;
export const ATTEMPT_LABEL = 'sidekicks.dev/attempt';
export const SESSION_LABEL = NameLabel.Session;

/**
 * `sidekicks.dev/retry: <phase>` (or `*` for every failed phase) on a Workflow asks for new
 * attempts from that phase on (its descendants reset too); the controller removes it once done.
 * `sidekick workflow retry NAME --from PHASE` sets it.
 */
export const RETRY_ANNOTATION = 'sidekicks.dev/retry';

/** `<workflow>-<phase>-<attempt>`: the Run, Approval, Channel or command step of one attempt. */
export function attemptName(workflow: string, phase: string, attempt: number): string {
  return `${workflow}-${phase}-${attempt}`;
}

/** The i-th quality check of an attempt (a command step, or a Run for an agent check). */
export function checkName(workflow: string, phase: string, attempt: number, index: number): string {
  return `${attemptName(workflow, phase, attempt)}-check-${index + 1}`;
}

/** The Approval of an attempt's HumanApproval gate. */
export function gateApprovalName(workflow: string, phase: string, attempt: number): string {
  return `${attemptName(workflow, phase, attempt)}-gate`;
}

/** The Cancel intervention the controller files against one of its runs. */
export function cancelName(run: string): string {
  return `${run}-cancel`;
}

/** The labels every child of an attempt carries. */
export function childLabels(wf: Workflow, phase: string, attempt: number): Record<string, string> {
  return { ...nameLabels({ [NameLabel.Workflow]: wf.metadata.name!, [NameLabel.Phase]: phase, [NameLabel.Session]: wf.spec.session }), [ATTEMPT_LABEL]: String(attempt) };
}

/** The controller owner reference to the workflow: its children go when it goes. */
export function ownerRef(wf: Workflow): OwnerReference {
  return { apiVersion: wf.apiVersion, kind: 'Workflow', name: wf.metadata.name!, uid: wf.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

/** The workflow that controls `obj` (by its controller owner reference), as `namespace/name`. */
export function owningWorkflow(obj: { metadata: { namespace?: string; ownerReferences?: OwnerReference[] } }): string | undefined {
  const ref = obj.metadata.ownerReferences?.find((o) => o.kind === 'Workflow' && o.controller);
  return ref ? `${obj.metadata.namespace}/${ref.name}` : undefined;
}
