/**
 * The phase graph of a workflow template: dependency edges from `dependsOn`, checked for unknown
 * names and cycles, and the questions the controller and admission ask of it (ancestors, an order
 * to walk in). Pure: both the API server (refusing bad templates) and the controller use it.
 */
import type { WorkflowTemplateSpec } from '../kinds/workflowtemplate.js';

export interface GraphProblem {
  /** Path of the offending field, e.g. `spec.phases[2].dependsOn[0]`. */
  field: string;
  message: string;
}

export interface PhaseGraph {
  /** Phase names in declaration order. */
  names: string[];
  /** Phase → the phases it depends on. */
  deps: Map<string, string[]>;
}

export function phaseGraph(spec: Pick<WorkflowTemplateSpec, 'phases'>): PhaseGraph {
  const names = spec.phases.map((p) => p.name);
  const known = new Set(names);
  const deps = new Map(spec.phases.map((p) => [p.name, (p.dependsOn ?? []).filter((d) => known.has(d))]));
  return { names, deps };
}

/** Duplicate names, unknown dependencies and cycles (each cycle named: `a -> b -> a`). */
export function graphProblems(spec: Pick<WorkflowTemplateSpec, 'phases'>, at = 'spec'): GraphProblem[] {
  const problems: GraphProblem[] = [];
  const seen = new Set<string>();
  spec.phases.forEach((p, i) => {
    if (seen.has(p.name)) problems.push({ field: `${at}.phases[${i}].name`, message: `Duplicate value: "${p.name}"` });
    seen.add(p.name);
    (p.dependsOn ?? []).forEach((d, j) => {
      if (!spec.phases.some((q) => q.name === d)) problems.push({ field: `${at}.phases[${i}].dependsOn[${j}]`, message: `Not found: phase "${d}"` });
      else if (d === p.name) problems.push({ field: `${at}.phases[${i}].dependsOn[${j}]`, message: `Invalid value: "${d}": a phase cannot depend on itself` });
    });
  });
  const cycle = findCycle(phaseGraph(spec));
  if (cycle && cycle.length > 2) {
    const i = spec.phases.findIndex((p) => p.name === cycle[0]);
    problems.push({ field: `${at}.phases[${i}].dependsOn`, message: `Invalid value: dependency cycle ${cycle.join(' -> ')}` });
  }
  return problems;
}

/** One dependency cycle as a closed path (`[a, b, a]`), or undefined. */
export function findCycle(g: PhaseGraph): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    if (state.get(n) === 'done') return undefined;
    if (state.get(n) === 'open') return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 'open');
    stack.push(n);
    for (const d of g.deps.get(n) ?? []) {
      const found = visit(d);
      if (found) return found;
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of g.names) {
    const found = visit(n);
    if (found) return found.reverse();
  }
  return undefined;
}

/** Every phase `name` depends on, directly or not. */
export function ancestors(g: PhaseGraph, name: string): Set<string> {
  const out = new Set<string>();
  const walk = (n: string): void => {
    for (const d of g.deps.get(n) ?? []) {
      if (out.has(d)) continue;
      out.add(d);
      walk(d);
    }
  };
  walk(name);
  return out;
}

/** Every phase that depends on `name`, directly or not. */
export function descendants(g: PhaseGraph, name: string): Set<string> {
  const out = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const n of g.names) {
      if (out.has(n)) continue;
      if ((g.deps.get(n) ?? []).some((d) => d === name || out.has(d))) {
        out.add(n);
        grew = true;
      }
    }
  }
  return out;
}

/** Phase names in an order where every phase comes after its dependencies (declaration order breaks ties). */
export function topologicalOrder(g: PhaseGraph): string[] {
  const placed = new Set<string>();
  const order: string[] = [];
  while (order.length < g.names.length) {
    const next = g.names.find((n) => !placed.has(n) && (g.deps.get(n) ?? []).every((d) => placed.has(d)));
    if (next === undefined) throw new Error(`dependency cycle ${findCycle(g)?.join(' -> ') ?? ''}`);
    placed.add(next);
    order.push(next);
  }
  return order;
}
