/**
 * `sidekick logs workflow/NAME [--phase PHASE] [-f]`: what a workflow's phases did, from the
 * session journal — the conversations of their runs, their command steps and checks as tool calls,
 * their channels' turn runs, and the workflow's own phase events — each line prefixed with the
 * child it came from, as `kubectl logs --prefix` does for several pods.
 */
import type { JournalEvent } from '../../api/journal/event.js';
import type { Workflow } from '../../resources/kinds/workflow.js';

/** The children of a phase are named `<wf>-<phase>-<attempt>`, plus `-check-N`, `-gate` or `-turn-N`. */
function childPattern(workflow: string, phase: string | undefined): RegExp {
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const phasePart = phase !== undefined ? esc(phase) : '[a-z][a-z0-9-]*?';
  return new RegExp(`^${esc(workflow)}-${phasePart}-\\d+(-check-\\d+|-gate|-turn-\\d+)?$`);
}

/** Which journal events belong to the workflow (one phase of it, when given). */
export function workflowEventFilter(workflow: Workflow, phase: string | undefined): (e: JournalEvent) => boolean {
  const name = workflow.metadata.name!;
  const children = childPattern(name, phase);
  return (e) => {
    const p = e.payload ?? {};
    if (e.type.startsWith('workflow.')) return p.workflow === name && (phase === undefined || p.phase === undefined || p.phase === phase);
    return e.run !== undefined && children.test(e.run);
  };
}

/** A workflow event as one line: `[workflow] implement #2 started (Agent)`. */
export function workflowEventLine(e: JournalEvent): string | undefined {
  if (!e.type.startsWith('workflow.')) return undefined;
  const p = e.payload ?? {};
  const what = e.type.slice('workflow.'.length);
  const phase = typeof p.phase === 'string' ? `${p.phase}${typeof p.attempt === 'number' && p.attempt > 1 ? ` #${p.attempt}` : ''} ` : '';
  const detail = [p.type, p.state, p.reason, p.message ?? p.result].filter((v) => typeof v === 'string' && v !== '').join(': ');
  return `[workflow] ${phase}${what.replace(/^phase_/, '').replace(/_/g, ' ')}${detail ? ` (${detail})` : ''}`;
}

/** Following ends when the phase has settled for good, or the workflow has. */
export function endsFollow(e: JournalEvent, workflow: string, phase: string | undefined): boolean {
  const p = e.payload ?? {};
  if (p.workflow !== workflow) return false;
  if (['workflow.completed', 'workflow.failed', 'workflow.cancelled'].includes(e.type)) return true;
  return phase !== undefined && p.phase === phase && ['workflow.phase_completed', 'workflow.phase_skipped', 'workflow.phase_cancelled'].includes(e.type);
}

/** Whether the workflow names this phase (in its inline template or its status). */
export function hasPhase(workflow: Workflow, phase: string): boolean {
  return phase in (workflow.status?.phases ?? {}) || (workflow.spec.template?.phases ?? []).some((p) => p.name === phase);
}
