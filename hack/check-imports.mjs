#!/usr/bin/env node
// Checks the import graph of our TypeScript sources (run from anywhere: `node hack/check-imports.mjs`):
//   1. no import cycles: every strongly connected set of files is reported once, with one circle
//      through it (type-only imports count: a type that needs its importer is the same knot);
//   2. imports run one way along the layers cli → controllers → node → api → resources: a file in a
//      lower layer never imports a higher one. hack/ and test/ and *.test.ts files may import anything.
// Prints one line per violation and exits 1 when there is any; the CI gate runs it as is.
// Static, dynamic (`await import('…')`) and re-exporting imports are all edges.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The layers from the top: a file may import its own layer or any layer after it. */
const LAYERS = ['cli', 'controllers', 'node', 'api', 'resources'];
/** Folders scanned besides the layers; free to import anything. */
const FREE = ['hack', 'test'];

/** Every .ts source under `dir` (no declaration files). */
function sources(dir) {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'dist') out = out.concat(sources(p));
    } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The module specifiers `file` imports: [specifier, typeOnly]. */
function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found = [];
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!named && named.length > 0 && named.every((s) => s.isTypeOnly)));
      found.push([node.moduleSpecifier.text, typeOnly]);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push([node.moduleSpecifier.text, node.isTypeOnly]);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
      found.push([node.arguments[0].text, false]);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push([node.argument.literal.text, true]);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** The source file a relative specifier names (`./x.js` → `x.ts`), or undefined for packages. */
function resolveSpecifier(from, spec, known) {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec);
  for (const candidate of [base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`, join(base, 'index.ts')]) {
    if (known.has(candidate)) return candidate;
  }
  return undefined;
}

const rel = (p) => relative(root, p).split(sep).join('/');
const top = (p) => rel(p).split('/')[0];
const isTest = (p) => p.endsWith('.test.ts') || FREE.includes(top(p));

const files = [...LAYERS, ...FREE].flatMap((d) => sources(join(root, d)));
const known = new Set(files);
/** file → [[imported file, typeOnly]] */
const graph = new Map(files.map((f) => [f, importsOf(f).flatMap(([spec, typeOnly]) => {
  const target = resolveSpecifier(f, spec, known);
  return target ? [[target, typeOnly]] : [];
})]));

const problems = [];

// Layering: a lower layer importing a higher one.
for (const [file, edges] of graph) {
  if (isTest(file)) continue;
  const from = LAYERS.indexOf(top(file));
  for (const [target] of edges) {
    const to = LAYERS.indexOf(top(target));
    if (from >= 0 && to >= 0 && to < from) problems.push(`layer: ${rel(file)} (${LAYERS[from]}) imports ${rel(target)} (${LAYERS[to]})`);
  }
}

// Cycles: Tarjan's strongly connected components, then one shortest circle through each.
const index = new Map();
const low = new Map();
const onStack = new Set();
const stack = [];
const components = [];
let counter = 0;
function strongConnect(v) {
  // Iterative, so deep import chains cannot overflow the call stack.
  const work = [[v, 0]];
  index.set(v, counter);
  low.set(v, counter++);
  stack.push(v);
  onStack.add(v);
  while (work.length > 0) {
    const frame = work[work.length - 1];
    const [node, i] = frame;
    const edges = graph.get(node);
    if (i < edges.length) {
      frame[1]++;
      const w = edges[i][0];
      if (!index.has(w)) {
        index.set(w, counter);
        low.set(w, counter++);
        stack.push(w);
        onStack.add(w);
        work.push([w, 0]);
      } else if (onStack.has(w)) low.set(node, Math.min(low.get(node), index.get(w)));
      continue;
    }
    work.pop();
    if (work.length > 0) {
      const parent = work[work.length - 1][0];
      low.set(parent, Math.min(low.get(parent), low.get(node)));
    }
    if (low.get(node) === index.get(node)) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        component.push(w);
      } while (w !== node);
      const selfLoop = component.length === 1 && graph.get(node).some(([t]) => t === node);
      if (component.length > 1 || selfLoop) components.push(component);
    }
  }
}
for (const f of files) if (!index.has(f)) strongConnect(f);

/** The shortest circle from `start` back to it inside `members` (breadth-first). */
function circle(start, members) {
  const previous = new Map();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift();
    for (const [next] of graph.get(node)) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(previous.get(path[0]));
        return [...path, start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start, start];
}

for (const component of components) {
  const members = new Set(component);
  const start = [...component].sort()[0];
  const path = circle(start, members);
  const typeOnly = path.slice(0, -1).every((f, i) => graph.get(f).filter(([t]) => t === path[i + 1]).every(([, t]) => t));
  const extra = component.length > path.length - 1 ? ` (${component.length} files in this knot)` : '';
  problems.push(`cycle${typeOnly ? ' (type-only)' : ''}: ${path.map(rel).join(' → ')}${extra}`);
}

for (const p of problems) console.log(p);
process.exit(problems.length > 0 ? 1 : 0);
