/**
 * The rules a workflow template must follow beyond its schema, checked without the store: the
 * phase graph (graph.ts), the fields each phase type needs, gates (GoBackTo targets, quality
 * checks) and the `{{…}}` expressions of prompts and commands (expressions.ts). Every problem
 * names its field path in kube-apiserver's words. Pure: the API server runs it at create and adds
 * the lookups that need the store (api/server/workflow-admission.ts).
 */
import type { WorkflowTemplateSpec } from '../kinds/workflowtemplate.js';
import { formatReference, parseText } from './expressions.js';
import { ancestors, graphProblems, phaseGraph, type PhaseGraph } from './graph.js';

/** The Kubernetes cause reasons these rules report. */
export const ProblemReason = {
  Required: 'FieldValueRequired',
  Invalid: 'FieldValueInvalid',
  NotFound: 'FieldValueNotFound',
  Duplicate: 'FieldValueDuplicate',
  Forbidden: 'FieldValueForbidden',
} as const;
export type ProblemReason = (typeof ProblemReason)[keyof typeof ProblemReason];

/** One broken rule, in the shape of a Kubernetes `Status` cause. */
export interface TemplateProblem {
  /** Path of the offending field, e.g. `spec.phases[1].prompt`. */
  field: string;
  /** kube-apiserver's wording: `Required value`, `Not found: …`, `Invalid value: …`. */
  message: string;
  reason: ProblemReason;
}

/** An agent a template names, where it names it. */
export interface AgentReference {
  field: string;
  agent: string;
}

type Phase = WorkflowTemplateSpec['phases'][number];

/** The reason a message in kube-apiserver's words stands for. */
export function reasonOf(message: string): ProblemReason {
  if (message.startsWith('Required value')) return ProblemReason.Required;
  if (message.startsWith('Not found')) return ProblemReason.NotFound;
  if (message.startsWith('Duplicate value')) return ProblemReason.Duplicate;
  if (message.startsWith('Forbidden')) return ProblemReason.Forbidden;
  return ProblemReason.Invalid;
}

const problem = (field: string, message: string): TemplateProblem => ({ field, message, reason: reasonOf(message) });
const present = (v: string | undefined): v is string => v !== undefined && v !== '';

/**
 * Every rule the template breaks, with `at` the path of the spec (`spec` for a WorkflowTemplate,
 * `spec.template` for a Workflow's inline template).
 */
export function templateProblems(spec: WorkflowTemplateSpec, at = 'spec'): TemplateProblem[] {
  const problems: TemplateProblem[] = graphProblems(spec, at).map((p) => problem(p.field, p.message));
  const graph = phaseGraph(spec);
  const params = new Set((spec.params ?? []).map((p) => p.name));
  spec.phases.forEach((phase, i) => {
    const path = `${at}.phases[${i}]`;
    problems.push(...typeProblems(phase, path), ...gateProblems(phase, path, graph));
    const ctx: ExpressionContext = { at, params, graph, phase: phase.name };
    for (const { field, text, gate } of textsOf(phase, path)) problems.push(...expressionProblems(text, field, { ...ctx, gate }));
  });
  return problems;
}

/** The agents a template names: Agent phases and the checks that an agent reviews. */
export function agentReferences(spec: WorkflowTemplateSpec, at = 'spec'): AgentReference[] {
  const refs: AgentReference[] = [];
  spec.phases.forEach((phase, i) => {
    if (phase.type === 'Agent' && present(phase.agent)) refs.push({ field: `${at}.phases[${i}].agent`, agent: phase.agent });
    (phase.gate?.checks ?? []).forEach((check, j) => {
      if (present(check.agent)) refs.push({ field: `${at}.phases[${i}].gate.checks[${j}].agent`, agent: check.agent });
    });
  });
  return refs;
}

/** What each phase type needs to run. */
function typeProblems(phase: Phase, path: string): TemplateProblem[] {
  switch (phase.type) {
    case 'Agent':
      return [
        ...(present(phase.agent) ? [] : [problem(`${path}.agent`, 'Required value: an Agent phase names the agent that runs it')]),
        ...(present(phase.prompt) ? [] : [problem(`${path}.prompt`, 'Required value: an Agent phase gives its agent a prompt')]),
      ];
    case 'Automated':
      return present(phase.command) ? [] : [problem(`${path}.command`, 'Required value: an Automated phase runs a command')];
    case 'MultiAgent':
      return present(phase.channel) ? [] : [problem(`${path}.channel`, 'Required value: a MultiAgent phase talks in a channel')];
    case 'Human':
      return present(phase.human?.prompt) ? [] : [problem(`${path}.human.prompt`, 'Required value: a Human phase asks a person for something')];
    default:
      return [];
  }
}

/** GoBackTo targets and quality checks. */
function gateProblems(phase: Phase, path: string, graph: PhaseGraph): TemplateProblem[] {
  const gate = phase.gate;
  if (!gate) return [];
  const problems: TemplateProblem[] = [];
  const at = `${path}.gate`;
  if (gate.onFailure === 'GoBackTo') {
    if (!present(gate.goBackTo)) problems.push(problem(`${at}.goBackTo`, 'Required value: onFailure GoBackTo names the phase to go back to'));
    else if (!graph.names.includes(gate.goBackTo)) problems.push(problem(`${at}.goBackTo`, `Not found: phase "${gate.goBackTo}"`));
    else if (gate.goBackTo !== phase.name && !ancestors(graph, phase.name).has(gate.goBackTo)) {
      problems.push(problem(`${at}.goBackTo`, `Invalid value: ${JSON.stringify(gate.goBackTo)}: must be "${phase.name}" or a phase it depends on`));
    }
  } else if (gate.goBackTo !== undefined) {
    problems.push(problem(`${at}.goBackTo`, 'Forbidden: may only be set with onFailure GoBackTo'));
  }
  const checks = gate.checks ?? [];
  if (gate.type === 'QualityChecks' && checks.length === 0) {
    problems.push(problem(`${at}.checks`, 'Required value: a QualityChecks gate needs at least one check'));
  }
  if (gate.type !== 'QualityChecks' && checks.length > 0) {
    problems.push(problem(`${at}.checks`, `Forbidden: only a QualityChecks gate runs checks`));
  }
  checks.forEach((check, j) => {
    const c = `${at}.checks[${j}]`;
    if (present(check.command) && present(check.agent)) problems.push(problem(`${c}.agent`, 'Forbidden: may not be set together with command'));
    if (!present(check.command) && !present(check.agent)) problems.push(problem(c, 'Required value: one of command or agent'));
    if (present(check.prompt) && !present(check.agent)) problems.push(problem(`${c}.prompt`, 'Forbidden: only a check with an agent has a prompt'));
  });
  return problems;
}

/** The texts of a phase that may hold expressions; `gate` marks those run after the phase itself. */
function textsOf(phase: Phase, path: string): { field: string; text: string; gate: boolean }[] {
  const texts: { field: string; text: string | undefined; gate: boolean }[] = [
    { field: `${path}.prompt`, text: phase.prompt, gate: false },
    { field: `${path}.command`, text: phase.command, gate: false },
    { field: `${path}.human.prompt`, text: phase.human?.prompt, gate: false },
    ...(phase.gate?.checks ?? []).flatMap((check, j) => [
      { field: `${path}.gate.checks[${j}].command`, text: check.command, gate: true },
      { field: `${path}.gate.checks[${j}].prompt`, text: check.prompt, gate: true },
    ]),
  ];
  return texts.filter((t): t is { field: string; text: string; gate: boolean } => present(t.text));
}

interface ExpressionContext {
  /** Path of the template spec, for naming its params. */
  at: string;
  params: Set<string>;
  graph: PhaseGraph;
  /** The phase whose text this is. */
  phase: string;
  /** Gate checks run once the phase has written its outputs, so they may read them. */
  gate?: boolean;
}

/** Malformed expressions, undeclared params and outputs of phases that have not run before this one. */
function expressionProblems(text: string, field: string, ctx: ExpressionContext): TemplateProblem[] {
  const { references, invalid } = parseText(text);
  const messages = invalid.map((expr) => `Invalid value: ${JSON.stringify(expr)}: unknown expression`);
  const before = ancestors(ctx.graph, ctx.phase);
  for (const ref of references) {
    const shown = JSON.stringify(formatReference(ref));
    if (ref.kind === 'param' && !ctx.params.has(ref.name)) {
      messages.push(`Invalid value: ${shown}: parameter "${ref.name}" is not declared in ${ctx.at}.params`);
    } else if (ref.kind === 'output') {
      const readable = before.has(ref.phase) || (ctx.gate === true && ref.phase === ctx.phase);
      if (!ctx.graph.names.includes(ref.phase)) messages.push(`Invalid value: ${shown}: phase "${ref.phase}" does not exist`);
      else if (!readable) messages.push(`Invalid value: ${shown}: phase "${ref.phase}" is not an ancestor of "${ctx.phase}"`);
    }
  }
  return [...new Set(messages)].map((m) => problem(field, m));
}
