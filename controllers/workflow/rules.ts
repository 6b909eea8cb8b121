/**
 * The rules the planner (./plan.ts) applies that are worth naming on their own: which phases are
 * ready, which phases a GoBackTo starts again, the join policies' verdict, and failing a workflow
 * that cannot go on. Pure.
 */
import { ancestors, descendants, phaseGraph, topologicalOrder, type PhaseGraph } from '../../resources/workflow/graph.js';
import type { WorkflowStatus } from '../../resources/kinds/workflow.js';
import type { WorkflowTemplateSpec } from '../../resources/kinds/workflowtemplate.js';
import type { PhaseStatus, Plan, WorkflowEvent } from './plan-types.js';
import { metaTime } from '../../resources/time.js';


const TERMINAL_WORKFLOW = new Set(['Completed', 'Failed', 'Cancelled']);

export function isWorkflowTerminal(status: WorkflowStatus | undefined): boolean {
  return TERMINAL_WORKFLOW.has(status?.phase ?? '');
}

/** Pending phases whose dependencies have all succeeded, in dependency order. */
export function readyPhases(template: WorkflowTemplateSpec, phases: Record<string, PhaseStatus>): string[] {
  const g = phaseGraph(template);
  return topologicalOrder(g).filter((n) => (phases[n]?.phase ?? 'Pending') === 'Pending' && (g.deps.get(n) ?? []).every((d) => phases[d]?.phase === 'Succeeded'));
}

/**
 * The phases a GoBackTo from `from` to `target` starts again: the target, the phases between it
 * and `from`, and `from` itself, in dependency order. Phases that depend on the target but lead
 * elsewhere keep their result.
 */
export function goBackRange(g: PhaseGraph, target: string, from: string): string[] {
  const before = ancestors(g, from);
  const between = descendants(g, target);
  return topologicalOrder(g).filter((n) => n === target || n === from || (between.has(n) && before.has(n)));
}

/**
 * The workflow's verdict once every phase has settled: FailFast and AllSettled fail when any phase
 * failed; AnySuccess succeeds when a terminal branch (a phase nothing depends on) succeeded.
 */
export function joinOutcome(template: WorkflowTemplateSpec, phases: Record<string, PhaseStatus>): { ok: boolean; message: string } {
  const g = phaseGraph(template);
  // Cancelled and Skipped phases did not succeed either (a retry of one phase can leave them).
  const failed = g.names.filter((n) => phases[n]?.phase !== 'Succeeded');
  if (template.joinPolicy === 'AnySuccess') {
    const leaves = g.names.filter((n) => descendants(g, n).size === 0);
    const won = leaves.filter((n) => phases[n]?.phase === 'Succeeded');
    return won.length > 0
      ? { ok: true, message: `terminal phase${won.length > 1 ? 's' : ''} ${won.join(', ')} succeeded` }
      : { ok: false, message: `no terminal phase succeeded (${leaves.join(', ')})` };
  }
  const said = failed.map((n) => `${n} ${(phases[n]?.phase ?? 'Pending').toLowerCase()}`);
  return failed.length > 0 ? { ok: false, message: `phase ${said.join(', ')}` } : { ok: true, message: 'every phase succeeded' };
}

/**
 * Ends a workflow that cannot go on, whatever its template says: Failed (a template that is gone
 * or changed) or Cancelled (the workflow is being deleted). Running phases are Cancelled, waiting
 * ones Skipped. Nothing to do when it already ended.
 */
export function endPlan(name: string, status: WorkflowStatus | undefined, end: { phase: 'Failed' | 'Cancelled'; reason: string; message: string }, now: Date): Plan {
  const next = structuredClone(status ?? {});
  if (isWorkflowTerminal(next)) return { status: next, events: [] };
  const events = endInPlace(name, next, Object.keys(next.phases ?? {}), { ...end, cancelReason: end.reason }, metaTime(now));
  return { status: next, events };
}

/** Ends `status` in place (Failed unless told), cancelling running phases and skipping waiting ones; returns the events. */
export function endInPlace(
  workflow: string,
  status: WorkflowStatus,
  order: string[],
  why: { reason: string; message: string; cancelReason: string; phase?: 'Failed' | 'Cancelled' },
  now: string,
): WorkflowEvent[] {
  const events: WorkflowEvent[] = [];
  const emit = (type: string, payload: Record<string, unknown>) => events.push({ type: `workflow.${type}`, payload: { workflow, ...payload } });
  const phases = (status.phases ??= {});
  for (const name of order) {
    const ps = phases[name];
    if (!ps) continue;
    const from = ps.phase ?? 'Pending';
    if (from !== 'Running' && from !== 'Pending') continue;
    status.transitions = (status.transitions ?? 0) + 1;
    ps.finishedAt = now;
    if (from === 'Running') {
      ps.phase = 'Cancelled';
      ps.message = `${why.cancelReason}: ${why.message}`;
      emit('phase_cancelled', { phase: name, attempt: ps.attempts ?? 0, reason: why.cancelReason, message: why.message });
    } else {
      ps.phase = 'Skipped';
      ps.message = `${why.reason}: ${why.message}`;
      emit('phase_skipped', { phase: name, reason: why.reason });
    }
  }
  const phase = why.phase ?? 'Failed';
  status.phase = phase;
  status.message = `${why.reason}: ${why.message}`;
  status.finishedAt = now;
  emit(phase === 'Failed' ? 'failed' : 'cancelled', { reason: why.reason, message: why.message });
  return events;
}
