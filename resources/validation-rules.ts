/**
 * Cross-field rules a JSON Schema cannot say (one of two fields, a field another requires). They
 * run after schema validation and report in the same FieldError shape.
 */
import type { FieldError } from './field-error.js';
import { agentToolErrors, toolErrors } from './tool-rules.js';

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

const rules: Partial<Record<string, Rule>> = {
  Agent(obj) {
    const s = spec(obj);
    const errors: FieldError[] = [];
    if (s.driver === 'Scripted' && !Array.isArray(s.script)) errors.push(required('spec.script', 'the Scripted driver plays spec.script'));
    if (isObj(s.endpoint)) errors.push(...secretSource('spec.endpoint.apiKeyFrom', s.endpoint.apiKeyFrom));
    // A file path would let an agent's author have the control plane read any file it can and send it as a key.
    if (isObj(s.endpoint) && s.endpoint.credentials === 'ControlPlane' && isObj(s.endpoint.apiKeyFrom) && present(s.endpoint.apiKeyFrom.file)) {
      errors.push(forbidden('spec.endpoint.apiKeyFrom.file', 'a key kept on the control plane is read from an environment variable (env)'));
    }
    if (Array.isArray(s.env)) {
      s.env.forEach((env, i) => {
        if (!isObj(env)) return;
        if (present(env.value) && env.valueFrom !== undefined) errors.push(forbidden(`spec.env[${i}].valueFrom`, 'may not be set together with value'));
        errors.push(...secretSource(`spec.env[${i}].valueFrom`, env.valueFrom));
      });
    }
    errors.push(...agentToolErrors(s));
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
  NotificationSink(obj) {
    const s = spec(obj);
    const errors: FieldError[] = [];
    if (s.webhook !== undefined && s.desktop !== undefined) errors.push(forbidden('spec.desktop', 'may not be set together with spec.webhook'));
    if (s.webhook === undefined && s.desktop === undefined) errors.push(required('spec.webhook', 'one of spec.webhook or spec.desktop is required'));
    if (isObj(s.webhook)) {
      const w = s.webhook;
      if (present(w.url) && w.urlFrom !== undefined) errors.push(forbidden('spec.webhook.urlFrom', 'may not be set together with url'));
      if (!present(w.url) && w.urlFrom === undefined) errors.push(required('spec.webhook.url', 'one of url or urlFrom is required'));
      errors.push(...secretSource('spec.webhook.urlFrom', w.urlFrom), ...secretSource('spec.webhook.secretFrom', w.secretFrom));
    }
    return errors;
  },
  RepoMount(obj) {
    const s = spec(obj);
    const errors: FieldError[] = [];
    if (s.mode === 'Branch' && !present(s.branch)) errors.push(required('spec.branch', 'Branch mode works on a named branch'));
    // The server cannot know which directory a relative path was meant from (the CLI resolves one
    // against its manifest file before sending; kubectl does not), so it refuses rather than guess.
    if (typeof s.path === 'string' && s.path !== '' && !s.path.startsWith('/')) errors.push(invalid('spec.path', s.path, 'must be an absolute path'));
    return errors;
  },
  Tool: toolErrors,
  Workflow(obj) {
    const s = spec(obj);
    const errors: FieldError[] = [];
    if (s.templateRef !== undefined && s.template !== undefined) errors.push(forbidden('spec.template', 'may not be set together with spec.templateRef'));
    if (s.templateRef === undefined && s.template === undefined) errors.push(required('spec.templateRef', 'one of spec.templateRef or spec.template is required'));
    // The phase graph, its references and expressions are checked at create, with the store at hand
    // (api/server/workflow-admission.ts): one 422 lists every problem of a template.
    return errors;
  },
};

/** Returns the violations of the cross-field rules of a kind (none for kinds without rules). */
export function crossFieldErrors(kind: string, obj: unknown): FieldError[] {
  const rule = rules[kind];
  return rule && isObj(obj) ? rule(obj) : [];
}
