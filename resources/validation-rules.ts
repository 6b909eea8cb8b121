/**
 * Cross-field rules a JSON Schema cannot say (one of two fields, references between phases,
 * dependency cycles). They run after schema validation and report in the same FieldError shape.
 */
import type { FieldError } from './validation.js';

type Obj = Record<string, unknown>;
type Rule = (obj: Obj) => FieldError[];

const required = (field: string, detail?: string): FieldError => ({
  field,
  message: detail ? `Required value: ${detail}` : 'Required value',
  reason: 'FieldValueRequired',
});
const forbidden = (field: string, detail: string): FieldError => ({ field, message: `Forbidden: ${detail}`, reason: 'FieldValueForbidden' });
const invalid = (field: string, value: unknown, detail: string): FieldError => ({
  field,
  message: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
  reason: 'FieldValueInvalid',
});

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const spec = (obj: Obj): Obj => (isObj(obj.spec) ? obj.spec : {});
const present = (v: unknown) => v !== undefined && v !== null && v !== '';

/** Exactly one of env or file. */
function secretSource(field: string, source: unknown): FieldError[] {
  if (!isObj(source)) return [];
  if (present(source.env) && present(source.file)) return [forbidden(`${field}.file`, 'may not be set together with env')];
  if (!present(source.env) && !present(source.file)) return [required(`${field}.env`, 'one of env or file is required')];
  return [];
}

/** Phase references resolve and the dependency graph has no cycle. */
function phaseGraph(field: string, template: unknown): FieldError[] {
  if (!isObj(template) || !Array.isArray(template.phases)) return [];
  const phases = template.phases.filter(isObj);
  const names = new Set(phases.map((p) => p.name).filter((n): n is string => typeof n === 'string'));
  const errors: FieldError[] = [];
  phases.forEach((phase, i) => {
    const at = `${field}.phases[${i}]`;
    if (phase.type === 'Automated' && !present(phase.command)) errors.push(required(`${at}.command`, 'an Automated phase runs a command'));
    if (phase.type === 'Human' && !isObj(phase.human)) errors.push(required(`${at}.human`, 'a Human phase needs a form'));
    if (Array.isArray(phase.dependsOn)) {
      phase.dependsOn.forEach((dep, j) => {
        if (typeof dep === 'string' && !names.has(dep)) errors.push(invalid(`${at}.dependsOn[${j}]`, dep, 'no phase with this name'));
        if (dep === phase.name) errors.push(invalid(`${at}.dependsOn[${j}]`, dep, 'a phase cannot depend on itself'));
      });
    }
    const gate = phase.gate;
    if (isObj(gate)) {
      if (gate.onFailure === 'GoBackTo' && !present(gate.goBackTo)) errors.push(required(`${at}.gate.goBackTo`, 'onFailure GoBackTo names the phase to return to'));
      if (typeof gate.goBackTo === 'string' && !names.has(gate.goBackTo)) errors.push(invalid(`${at}.gate.goBackTo`, gate.goBackTo, 'no phase with this name'));
      if (gate.type === 'QualityChecks' && !(Array.isArray(gate.checks) && gate.checks.length > 0)) {
        errors.push(required(`${at}.gate.checks`, 'a QualityChecks gate needs at least one check'));
      }
    }
  });
  const cycle = findCycle(phases);
  if (cycle) errors.push(invalid(`${field}.phases`, cycle.join(' -> '), 'phases must not depend on each other in a cycle'));
  return errors;
}

function findCycle(phases: Obj[]): string[] | undefined {
  const deps = new Map<string, string[]>();
  for (const p of phases) {
    if (typeof p.name === 'string') deps.set(p.name, Array.isArray(p.dependsOn) ? p.dependsOn.filter((d): d is string => typeof d === 'string') : []);
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done') return undefined;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of deps.get(name) ?? []) {
      if (dep === name || !deps.has(dep)) continue; // reported as a bad reference instead
      const found = visit(dep);
      if (found) return found;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const name of deps.keys()) {
    const found = visit(name);
    if (found) return found;
  }
  return undefined;
}

const rules: Partial<Record<string, Rule>> = {
  Agent(obj) {
    const s = spec(obj);
    const errors: FieldError[] = [];
    if (s.driver === 'Scripted' && !Array.isArray(s.script)) errors.push(required('spec.script', 'the Scripted driver plays spec.script'));
    if (isObj(s.endpoint)) errors.push(...secretSource('spec.endpoint.apiKeyFrom', s.endpoint.apiKeyFrom));
    if (Array.isArray(s.env)) {
      s.env.forEach((env, i) => {
        if (!isObj(env)) return;
        if (present(env.value) && env.valueFrom !== undefined) errors.push(forbidden(`spec.env[${i}].valueFrom`, 'may not be set together with value'));
        errors.push(...secretSource(`spec.env[${i}].valueFrom`, env.valueFrom));
      });
    }
    return errors;
  },
  Approval(obj) {
    const s = spec(obj);
    const errors: FieldError[] = [];
    if (!present(s.run) && !present(s.workflow)) errors.push(required('spec.run', 'one of spec.run or spec.workflow is required'));
    if (present(s.workflow) && !present(s.phase)) errors.push(required('spec.phase', 'an approval raised by a workflow names its phase'));
    return errors;
  },
  Intervention(obj) {
    const s = spec(obj);
    return s.type === 'Steer' && !present(s.content) ? [required('spec.content', 'a Steer intervention carries the text to deliver')] : [];
  },
  RepoMount(obj) {
    const s = spec(obj);
    return s.mode === 'Branch' && !present(s.branch) ? [required('spec.branch', 'Branch mode works on a named branch')] : [];
  },
  Workflow(obj) {
    const s = spec(obj);
    const errors: FieldError[] = [];
    if (s.templateRef !== undefined && s.template !== undefined) errors.push(forbidden('spec.template', 'may not be set together with spec.templateRef'));
    if (s.templateRef === undefined && s.template === undefined) errors.push(required('spec.templateRef', 'one of spec.templateRef or spec.template is required'));
    errors.push(...phaseGraph('spec.template', s.template));
    return errors;
  },
  WorkflowTemplate(obj) {
    return phaseGraph('spec', obj.spec);
  },
};

/** Returns the violations of the cross-field rules of a kind (none for kinds without rules). */
export function crossFieldErrors(kind: string, obj: unknown): FieldError[] {
  const rule = rules[kind];
  return rule && isObj(obj) ? rule(obj) : [];
}
