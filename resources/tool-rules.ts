/**
 * The cross-field rules of server-defined tools (./kinds/tool.ts), in the FieldError shape of
 * ./validation-rules.ts: a Tool's name is a function name, its input schema is a schema of an
 * object, its working directory stays in the workspace, its environment names are variable
 * names; an Agent's scripted tool steps name a local tool or one of its `spec.serverTools`.
 */
import path from 'node:path';
import type { FieldError } from './field-error.js';
import { inputSchemaProblem } from './input-schema.js';
import { ToolName } from './kinds/agent-script.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const invalid = (field: string, value: unknown, detail: string): FieldError => ({
  field,
  message: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
  reason: 'FieldValueInvalid',
});

/** A Tool's name is the function name models call (`^[a-zA-Z0-9_-]{1,64}$` at OpenAI): a DNS label has no dots. */
const FUNCTION_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** The drivers that run their own tool loop, and so can offer a Tool (Claude and Codex run their CLI's tools). */
const OFFERS_SERVER_TOOLS = new Set(['Scripted', 'OpenAI']);
/** What a POSIX shell accepts as a variable name. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Set by the node for every call: a Tool may not replace it. */
const RESERVED_ENV = new Set(['SIDEKICK_TOOL_INPUT']);

/** Violations of a Tool's rules. */
export function toolErrors(obj: Obj): FieldError[] {
  const errors: FieldError[] = [];
  const name = isObj(obj.metadata) ? obj.metadata.name : undefined;
  if (typeof name === 'string' && name !== '' && !FUNCTION_NAME.test(name)) {
    errors.push(invalid('metadata.name', name, "a Tool's name is the function name agents call: lowercase letters, digits and '-', at most 63 characters, no dots"));
  }
  const s = isObj(obj.spec) ? obj.spec : {};
  if (s.inputSchema !== undefined) {
    const problem = inputSchemaProblem(s.inputSchema);
    if (problem) errors.push({ field: 'spec.inputSchema', message: `Invalid value: ${problem}`, reason: 'FieldValueInvalid' });
  }
  if (Array.isArray(s.command) && s.command[0] === '') errors.push(invalid('spec.command[0]', '', 'the program may not be empty'));
  if (typeof s.workingDir === 'string') {
    const dir = s.workingDir;
    if (path.posix.isAbsolute(dir)) errors.push(invalid('spec.workingDir', dir, 'must be relative to the workspace root'));
    else if (path.posix.normalize(dir).split('/')[0] === '..') errors.push(invalid('spec.workingDir', dir, 'may not lead out of the workspace'));
  }
  if (isObj(s.env)) {
    for (const key of Object.keys(s.env)) {
      if (!ENV_NAME.test(key)) errors.push(invalid(`spec.env[${key}]`, key, 'an environment variable name is letters, digits and _, not starting with a digit'));
      else if (RESERVED_ENV.has(key)) errors.push(invalid(`spec.env[${key}]`, key, 'is set by the node for every call'));
    }
  }
  return errors;
}

/** Violations of an Agent spec's tool references: scripted steps call a local tool or a listed server tool. */
export function agentToolErrors(spec: Obj): FieldError[] {
  const serverTools = Array.isArray(spec.serverTools) ? spec.serverTools.filter((t): t is string => typeof t === 'string') : [];
  const errors: FieldError[] = [];
  if (serverTools.length > 0 && typeof spec.driver === 'string' && !OFFERS_SERVER_TOOLS.has(spec.driver)) {
    errors.push({
      field: 'spec.serverTools',
      message: `Forbidden: the ${spec.driver} driver does not offer server-defined tools (the Scripted and OpenAI drivers do)`,
      reason: 'FieldValueForbidden',
    });
  }
  serverTools.forEach((t, i) => {
    if (!FUNCTION_NAME.test(t)) errors.push(invalid(`spec.serverTools[${i}]`, t, 'must be the name of a Tool (a DNS label)'));
  });
  if (!Array.isArray(spec.script)) return errors;
  const known = new Set<string>([...Object.values(ToolName), ...serverTools]);
  spec.script.forEach((step, i) => {
    if (!isObj(step) || typeof step.tool !== 'string' || known.has(step.tool)) return;
    errors.push({
      field: `spec.script[${i}].tool`,
      message: `Unsupported value: ${JSON.stringify(step.tool)}: supported values: ${[...known].map((t) => `"${t}"`).join(', ')} (a Tool must be listed in spec.serverTools)`,
      reason: 'FieldValueNotSupported',
    });
  });
  return errors;
}
