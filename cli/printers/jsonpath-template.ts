/**
 * kubectl's JSONPath template language (k8s.io/client-go/util/jsonpath): literal text mixed with
 * `{expressions}` — field paths (`.items[*].metadata.name`, `..name`, `[0]`, `[?(@.x=="y")]`,
 * `['a.b']`, escaped dots `a\.b`), string literals (`{"\n"}`), and `{range EXPR}…{end}` loops.
 * Path evaluation is delegated to jsonpath-plus; this module parses the template and prints results
 * the way kubectl does (several results joined by spaces, objects as JSON, missing keys as nothing).
 */
import { JSONPath } from 'jsonpath-plus';

/** Thrown on a template that does not parse. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

type Node =
  | { type: 'text'; text: string }
  | { type: 'path'; paths: string[] }
  | { type: 'range'; path: string; body: Node[] };

/** A parsed template, reusable across objects. */
export class JsonPathTemplate {
  private readonly nodes: Node[];

  constructor(readonly source: string) {
    this.nodes = parseTemplate(source);
  }

  /** Renders the template against `data`. */
  execute(data: unknown): string {
    return render(this.nodes, data, data);
  }

  /** Every value the template's expressions select (used by custom-columns and --sort-by). */
  values(data: unknown): unknown[] {
    const out: unknown[] = [];
    for (const node of this.nodes) if (node.type === 'path') for (const p of node.paths) out.push(...evaluate(p, data, data));
    return out;
  }
}

/** kubectl's RelaxedJSONPathExpression: `.a.b` and `a.b` become `{.a.b}`; `{...}` is kept. */
export function relaxedJsonPath(expr: string): string {
  const trimmed = expr.trim();
  if (trimmed.startsWith('{') && trimmed.endsWith('}')) return trimmed;
  const inner = trimmed.startsWith('.') || trimmed.startsWith('[') ? trimmed : `.${trimmed}`;
  return `{${inner}}`;
}

function parseTemplate(source: string): Node[] {
  const root: Node[] = [];
  const stack: { path: string; body: Node[] }[] = [];
  const current = (): Node[] => (stack.length ? stack[stack.length - 1].body : root);
  let i = 0;
  while (i < source.length) {
    const open = source.indexOf('{', i);
    if (open < 0) {
      current().push({ type: 'text', text: source.slice(i) });
      break;
    }
    if (open > i) current().push({ type: 'text', text: source.slice(i, open) });
    const close = findClose(source, open + 1);
    if (close < 0) throw new TemplateError(`error parsing jsonpath ${source}, unclosed action`);
    const action = source.slice(open + 1, close).trim();
    i = close + 1;
    if (action === 'end') {
      const done = stack.pop();
      if (!done) throw new TemplateError(`error parsing jsonpath ${source}, not in range, nothing to end`);
      current().push({ type: 'range', path: done.path, body: done.body });
    } else if (action.startsWith('range ') || action.startsWith('range\t')) {
      stack.push({ path: action.slice(6).trim(), body: [] });
    } else if (action.startsWith('"') || action.startsWith("'")) {
      current().push({ type: 'text', text: unquote(action, source) });
    } else if (action === '') {
      continue;
    } else {
      current().push({ type: 'path', paths: splitTopLevel(action) });
    }
  }
  if (stack.length) throw new TemplateError(`error parsing jsonpath ${source}, unclosed range`);
  return root;
}

/**
 * Scans `s` from `from` outside quoted strings (which may hold backslash escapes), tracking the
 * depth of `[...]` and `(...)`: returns the first index where `stop(char, depthAfterIt, index)`
 * says so, or -1. The one lexer of the parser's three scans (action end, unions, brackets).
 */
function scanUnquoted(s: string, from: number, stop: (c: string, depth: number, i: number) => boolean): number {
  let quote: string | undefined;
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      continue;
    }
    if (c === '[' || c === '(') depth++;
    else if (c === ']' || c === ')') depth--;
    if (stop(c, depth, i)) return i;
  }
  return -1;
}

/** Index of the `}` closing an action, skipping quoted strings and brackets. */
function findClose(s: string, from: number): number {
  return scanUnquoted(s, from, (c, depth) => c === '}' && depth <= 0);
}

function unquote(literal: string, source: string): string {
  const q = literal[0];
  if (literal.length < 2 || literal[literal.length - 1] !== q) throw new TemplateError(`error parsing jsonpath ${source}, unterminated string`);
  const body = literal.slice(1, -1);
  return body.replace(/\\(.)/g, (_, ch: string) => ({ n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" })[ch] ?? ch);
}

/** Splits `a,b` unions at top-level commas. */
function splitTopLevel(action: string): string[] {
  const parts: string[] = [];
  let start = 0;
  scanUnquoted(action, 0, (c, depth, i) => {
    if (c === ',' && depth === 0) {
      parts.push(action.slice(start, i).trim());
      start = i + 1;
    }
    return false;
  });
  parts.push(action.slice(start).trim());
  return parts.filter(Boolean);
}

function render(nodes: Node[], data: unknown, root: unknown): string {
  let out = '';
  for (const node of nodes) {
    if (node.type === 'text') out += node.text;
    else if (node.type === 'path') {
      const values = node.paths.flatMap((p) => evaluate(p, data, root));
      out += values.map(formatValue).join(' ');
    } else {
      for (const item of evaluate(node.path, data, root)) out += render(node.body, item, root);
    }
  }
  return out;
}

/** Evaluates one kubectl path against `data` (`$` addresses the root, `@` or `.` the current value). */
export function evaluate(path: string, data: unknown, root: unknown = data): unknown[] {
  let expr = path.trim();
  let target = data;
  if (expr.startsWith('$')) {
    target = root;
    expr = expr.slice(1);
  } else if (expr.startsWith('@')) expr = expr.slice(1);
  if (expr === '' || expr === '.') return target === undefined ? [] : [target];
  const converted = `$${toJsonPathPlus(expr)}`;
  if (target === null || typeof target !== 'object') return [];
  const results = JSONPath({ path: converted, json: target as object, wrap: true, eval: 'safe' }) as unknown[];
  return results;
}

/** Rewrites kubectl dotted segments (with `\.` escapes) into bracket notation jsonpath-plus reads unambiguously. */
function toJsonPathPlus(expr: string): string {
  let out = '';
  let i = 0;
  while (i < expr.length) {
    const c = expr[i];
    if (c === '[') {
      const end = findBracketEnd(expr, i);
      out += negativeIndex(expr.slice(i, end + 1));
      i = end + 1;
    } else if (c === '.') {
      const recursive = expr[i + 1] === '.';
      i += recursive ? 2 : 1;
      let name = '';
      while (i < expr.length && expr[i] !== '.' && expr[i] !== '[') {
        if (expr[i] === '\\' && i + 1 < expr.length) {
          name += expr[i + 1];
          i += 2;
        } else name += expr[i++];
      }
      if (name === '') out += recursive ? '..' : '';
      else if (name === '*') out += recursive ? '..*' : '.*';
      else out += `${recursive ? '..' : ''}[${JSON.stringify(name).replace(/^"|"$/g, "'")}]`;
    } else {
      // A bare leading name (`metadata.name`) reads as `.metadata.name`.
      expr = `.${expr.slice(i)}`;
      i = 0;
    }
  }
  return out;
}

/** `[-1]` → `[-1:]`: jsonpath-plus reads negative indexes only as slices. */
function negativeIndex(bracket: string): string {
  const m = /^\[\s*-(\d+)\s*\]$/.exec(bracket);
  if (!m) return bracket;
  const n = Number(m[1]);
  return n === 1 ? '[-1:]' : `[-${n}:-${n - 1}]`;
}

/** Index of the `]` closing the bracket that opens at `start`. */
function findBracketEnd(s: string, start: number): number {
  const end = scanUnquoted(s, start, (c, depth) => (c === ']' || c === ')') && depth === 0);
  if (end < 0) throw new TemplateError(`error parsing jsonpath ${s}, unterminated array`);
  return end;
}

/** Prints one value as kubectl does: strings raw, scalars as text, objects and arrays as JSON. */
export function formatValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return '';
  if (v === null || typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
