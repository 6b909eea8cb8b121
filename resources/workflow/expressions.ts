/**
 * The `{{…}}` expressions of workflow prompts and commands: `{{params.NAME}}`,
 * `{{phases.PHASE.outputs.KEY}}` and `{{workflow.name}}`. Parsed once for validation (unknown
 * parameters, outputs of phases that are not ancestors, malformed braces) and rendered by the
 * controller with the values it has.
 */
export type Reference =
  | { kind: 'param'; name: string }
  | { kind: 'output'; phase: string; key: string }
  | { kind: 'workflow'; field: 'name' | 'namespace' | 'session' };

export interface ParsedText {
  references: Reference[];
  /** Expressions that are not one of the forms above, as written (`{{ nope }}`). */
  invalid: string[];
}

const EXPRESSION = /\{\{\s*([^{}]*?)\s*\}\}/g;
const PARAM = /^params\.([a-z][a-z0-9-]*)$/;
const OUTPUT = /^phases\.([a-z][a-z0-9-]*)\.outputs\.([A-Za-z][A-Za-z0-9_-]*)$/;
const WORKFLOW = /^workflow\.(name|namespace|session)$/;

function parseOne(expr: string): Reference | undefined {
  let m = PARAM.exec(expr);
  if (m) return { kind: 'param', name: m[1]! };
  m = OUTPUT.exec(expr);
  if (m) return { kind: 'output', phase: m[1]!, key: m[2]! };
  m = WORKFLOW.exec(expr);
  if (m) return { kind: 'workflow', field: m[1] as 'name' | 'namespace' | 'session' };
  return undefined;
}

export function parseText(text: string): ParsedText {
  const references: Reference[] = [];
  const invalid: string[] = [];
  for (const m of text.matchAll(EXPRESSION)) {
    const ref = parseOne(m[1]!);
    if (ref) references.push(ref);
    else invalid.push(m[0]);
  }
  // Braces left over after the expressions are taken out are unbalanced: `{{params.x}` or `}}`.
  const rest = text.replace(EXPRESSION, '');
  if (rest.includes('{{') || rest.includes('}}')) invalid.push(rest.includes('{{') ? rest.slice(rest.indexOf('{{'), rest.indexOf('{{') + 24) : '}}');
  return { references, invalid };
}

export interface RenderValues {
  params: Record<string, string>;
  /** Phase → its outputs (latest attempt). */
  outputs: Record<string, Record<string, string> | undefined>;
  workflow: { name: string; namespace: string; session: string };
}

/** Replaces every expression; an output that does not exist (yet) renders empty. */
export function render(text: string, values: RenderValues): string {
  return text.replace(EXPRESSION, (whole, expr: string) => {
    const ref = parseOne(expr);
    if (!ref) return whole;
    if (ref.kind === 'param') return values.params[ref.name] ?? '';
    if (ref.kind === 'workflow') return values.workflow[ref.field];
    return values.outputs[ref.phase]?.[ref.key] ?? '';
  });
}

/** The canonical text of a reference, as an error message shows it: `{{phases.plan.outputs.summary}}`. */
export function formatReference(ref: Reference): string {
  if (ref.kind === 'param') return `{{params.${ref.name}}}`;
  if (ref.kind === 'workflow') return `{{workflow.${ref.field}}}`;
  return `{{phases.${ref.phase}.outputs.${ref.key}}}`;
}
