/**
 * What one reconcile pass knows about a workflow, and what is derived from it the same way by the
 * observer and the converger: the values prompts render with, where a phase's work starts (the
 * head of its line), and how a command step of a phase is made.
 */
import type { RepoMount } from '../../resources/kinds/repomount.js';
import type { Workflow } from '../../resources/kinds/workflow.js';
import type { WorkflowTemplateSpec } from '../../resources/kinds/workflowtemplate.js';
import type { RenderValues } from '../../resources/workflow/expressions.js';
import { phaseGraph } from '../../resources/workflow/graph.js';
import type { PrepareRequest } from '../../node/workspace/workspace.js';
import { lineHead } from './line.js';
import type { PhaseSpec } from './plan.js';
import type { StepRef, StepSpec } from './steps.js';

export interface Pass {
  wf: Workflow;
  spec: WorkflowTemplateSpec;
  /** Parameter values, defaults filled in. */
  params: Record<string, string>;
  /** The workflow's RepoMount, when it names one and it exists. */
  mount?: RepoMount;
}

/** The values prompts and commands render with: params, every phase's outputs, the workflow. */
export function renderValues(pass: Pass): RenderValues {
  const outputs: RenderValues['outputs'] = {};
  for (const [name, ps] of Object.entries(pass.wf.status?.phases ?? {})) outputs[name] = ps.outputs;
  return { params: pass.params, outputs, workflow: { name: pass.wf.metadata.name!, namespace: pass.wf.metadata.namespace!, session: pass.wf.spec.session } };
}

/** The commit a phase's new work starts from: the head of its line (./line.ts), when there is one. */
export function baseRefOf(pass: Pass, phase: string): string | undefined {
  return lineHead(phaseGraph(pass.spec), pass.wf.status?.phases ?? {}, phase)?.commit;
}

/** Why command steps cannot get a workspace: the workflow's repo mount is gone. */
export function missingMount(pass: Pass): string | undefined {
  return pass.wf.spec.repoMount && !pass.mount ? `repomount "${pass.wf.spec.repoMount}" not found` : undefined;
}

export function stepRefOf(pass: Pass, phase: string, name: string): StepRef {
  const { wf } = pass;
  return { namespace: wf.metadata.namespace!, session: wf.spec.session, workflow: wf.metadata.name!, workflowUid: wf.metadata.uid!, phase, name };
}

/**
 * A command step of `spec`: an Automated command (`commit`) starts at the head of the phase's line;
 * a check at the phase's own head. The workspace is made in the mount's mode, like a run's.
 */
export function stepSpecOf(pass: Pass, spec: PhaseSpec, command: string, commit: boolean): StepSpec {
  const ps = pass.wf.status?.phases?.[spec.name];
  const baseRef = commit ? baseRefOf(pass, spec.name) : (ps?.outputs?.headCommit ?? baseRefOf(pass, spec.name));
  let workspace: Omit<PrepareRequest, 'run'> = { mode: 'Scratch' };
  const m = pass.mount?.spec;
  if (m) {
    workspace = {
      mode: m.mode ?? 'Worktree',
      mount: {
        path: m.path,
        ...((baseRef ?? m.baseRef) ? { baseRef: baseRef ?? m.baseRef } : {}),
        ...(m.branch ? { branch: m.branch } : {}),
        branchPrefix: m.branchPrefix ?? 'sidekicks/',
        copyFiles: m.copyFiles ?? [],
      },
    };
  }
  return { command, commit, workspace, ...(spec.timeoutSeconds ? { timeoutMs: spec.timeoutSeconds * 1000 } : {}) };
}
