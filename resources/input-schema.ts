/**
 * The JSON Schema of a server-defined tool's input (Tool `spec.inputSchema`): checked to be a
 * schema of an object when the Tool is written, and compiled where the tool runs, so the input a
 * model sends is validated before anyone is asked to approve it and before the command starts.
 * One Ajv configuration for both places: a schema the API accepted always compiles on a node.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import m from 'ajv-formats';

const addFormats = m.default;

let instance: Ajv | undefined;

// strict: false — tool authors write schemas by hand (or generate them), with keywords such as
// `examples` or `$comment`: they are not errors, only unvalidated.
function ajv(): Ajv {
  if (!instance) {
    instance = new Ajv({ allErrors: true, strict: false, validateFormats: true });
    addFormats(instance);
  }
  return instance;
}

/** Why `schema` cannot be a tool's input schema, or undefined when it can. */
export function inputSchemaProblem(schema: unknown): string | undefined {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return 'must be a JSON Schema object';
  const s = schema as Record<string, unknown>;
  // Models are given function tools whose parameters are one object: the input arrives as a JSON object.
  if (s.type !== 'object') return 'must describe an object: set "type": "object"';
  const a = ajv();
  if (!a.validateSchema(s)) return `is not a valid JSON Schema: ${a.errorsText(a.errors, { dataVar: 'inputSchema' })}`;
  try {
    a.compile(s);
  } catch (err) {
    return `cannot be compiled: ${(err as Error).message}`;
  }
  return undefined;
}

/** Checks inputs against one tool's schema: the problems in a sentence, or undefined when the input fits. */
export type InputCheck = (input: unknown) => string | undefined;

const compiled = new Map<string, ValidateFunction>();

/** Compiles `schema` (cached by its JSON text) into an InputCheck; throws when it is not a valid schema. */
export function inputCheckFor(schema: Record<string, unknown>): InputCheck {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv().compile(schema);
    compiled.set(key, validate);
  }
  const fn = validate;
  return (input) => (fn(input) ? undefined : ajv().errorsText(fn.errors, { dataVar: 'input' }));
}
