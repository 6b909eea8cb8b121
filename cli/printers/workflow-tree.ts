/**
 * `sidekick get workflow NAME`: the workflow and its phases as a tree, the way `argo get` shows one
 * — a status symbol, the phase (with its attempt when retried), its type, who or what does the
 * work, how long it took, and the detail that matters (branch, gate result, waiting for a person).
 * Phases come in dependency order; a phase's gate is a row under it.
 */
import type { Workflow } from '../../resources/kinds/workflow.js';
import type { WorkflowTemplateSpec } from '../../resources/kinds/workflowtemplate.js';
import { phaseGraph, topologicalOrder } from '../../resources/workflow/graph.js';
import { humanDuration } from './age.js';
import { alignRows } from './tabwriter.js';

type PhaseStatus = NonNullable<NonNullable<Workflow['status']>['phases']>[string];
type PhaseSpec = WorkflowTemplateSpec['phases'][number];

const SYMBOL: Record<string, string> = { Succeeded: '✔', Failed: '✖', Running: '●', Pending: '○', Skipped: '⊘', Cancelled: '⊘', Passed: '✔' };

function duration(from: string | undefined, to: string | undefined, now: number): string {
  if (!from) return '';
  const end = to ? Date.parse(to) : now;
  return humanDuration(Math.max(0, end - Date.parse(from)));
}

function worker(p: PhaseSpec): string {
  if (p.type === 'Agent') return p.agent ?? '';
  if (p.type === 'Automated') return p.command ?? '';
  if (p.type === 'MultiAgent') return p.channel ?? '';
  return '';
}

function detail(p: PhaseSpec, s: PhaseStatus | undefined): string {
  if (p.type === 'Human' && s?.phase === 'Running') return 'waiting for you';
  const branch = s?.outputs?.branch;
  return s?.message ?? branch ?? '';
}

function gateRow(p: PhaseSpec, s: PhaseStatus | undefined): string[] | undefined {
  const gate = p.gate;
  if (!gate || gate.type === 'AutoContinue' || !s?.gate?.state) return undefined;
  const what = gate.type === 'QualityChecks' ? (gate.checks ?? []).map((c) => c.name ?? c.command ?? c.agent ?? '').join(', ') : '';
  const failed = s.gate.state === 'Failed' && gate.onFailure !== 'Stop' ? ` → ${gate.onFailure === 'GoBackTo' ? `GoBackTo ${gate.goBackTo}` : 'Retry'}` : '';
  const waiting = gate.type === 'HumanApproval' && s.gate.state === 'Running' ? 'waiting for you' : '';
  return [`${SYMBOL[s.gate.state] ?? '○'} gate`, gate.type, what, '', `${s.gate.result ?? waiting}${failed}`];
}

/** The tree for `workflow` run from `template` (the inline spec or the referenced template's). */
export function renderWorkflowTree(workflow: Workflow, template: WorkflowTemplateSpec | undefined, now = Date.now()): string {
  const status = workflow.status ?? {};
  const head = trimLines(alignRows([
    ['NAME', 'PHASE', 'DURATION', 'MESSAGE'],
    [workflow.metadata.name ?? '', status.phase ?? 'Pending', duration(status.startedAt ?? workflow.metadata.creationTimestamp, status.finishedAt, now), status.message ?? ''],
  ]));
  if (!template) return `${head}(the template of this workflow is not available)\n`;
  const order = topologicalOrder(phaseGraph(template));
  const rows: string[][] = [];
  order.forEach((name, i) => {
    const p = template.phases.find((q) => q.name === name)!;
    const s = status.phases?.[name];
    const last = i === order.length - 1;
    const attempt = (s?.attempts ?? 0) > 1 ? ` #${s!.attempts}` : '';
    rows.push([`${last ? '└─' : '├─'} ${SYMBOL[s?.phase ?? 'Pending'] ?? '○'} ${name}${attempt}`, p.type, worker(p), duration(s?.startedAt, s?.finishedAt, now), detail(p, s)]);
    const gate = gateRow(p, s);
    if (gate) rows.push([`${last ? '   ' : '│ '} └─ ${gate[0]}`, ...gate.slice(1)]);
  });
  return head + trimLines(alignRows(rows));
}

/** Alignment pads empty last cells; a tree line ends where its text does. */
function trimLines(text: string): string {
  return text.replace(/[ \t]+$/gm, '');
}
