/**
 * Server-side printing: `meta.k8s.io/v1` Tables built from a kind's printer columns, as
 * kube-apiserver serves custom resources when kubectl asks with `Accept: …;as=Table;…`. NAME comes
 * first and AGE is always there; `date` cells are rendered as ages (`5s`, `3m`, `2d`) like
 * kubectl's own; priority > 0 columns are sent and kubectl shows them with `-o wide`.
 */
import type { KubeObject } from '../../resources/meta.js';
import type { KindDefinition, PrinterColumn } from '../../resources/scheme.js';
import { humanDuration } from '../human-duration.js';

/** What each row carries besides its cells (the `includeObject` query parameter). */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

type Step = { key: string } | { index: number } | { filter: { key: string; value: string } } | { all: true };

interface CompiledColumn {
  definition: TableColumn;
  steps: Step[];
  type: PrinterColumn['type'];
}

const NAME_COLUMN: TableColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace. Cannot be updated.',
  priority: 0,
};

/**
 * Compiles the simple JSONPath subset CRD printer columns use: `.a.b`, `.a[0]`, `.a[*].b` and
 * `.a[?(@.type=="Ready")].status`.
 */
export function compilePath(path: string): Step[] {
  const steps: Step[] = [];
  const re = /\.([A-Za-z0-9_$-]+)|\[(\d+)\]|\[\*\]|\[\?\(@\.([A-Za-z0-9_]+)\s*==\s*["']([^"']*)["']\)\]|\[['"]([^'"]+)['"]\]/gy;
  const src = path.startsWith('.') || path.startsWith('[') ? path : `.${path}`;
  let m: RegExpExecArray | null;
  while (re.lastIndex < src.length && (m = re.exec(src)) !== null) {
    if (m[1] !== undefined) steps.push({ key: m[1] });
    else if (m[2] !== undefined) steps.push({ index: Number(m[2]) });
    else if (m[3] !== undefined) steps.push({ filter: { key: m[3], value: m[4] ?? '' } });
    else if (m[5] !== undefined) steps.push({ key: m[5] });
    else steps.push({ all: true });
  }
  if (re.lastIndex !== src.length) throw new Error(`unsupported printer column path "${path}"`);
  return steps;
}

/** Evaluates compiled steps; the first match, or undefined. */
export function evaluate(obj: unknown, steps: Step[]): unknown {
  let current: unknown[] = [obj];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of current) {
      if ('key' in step) {
        if (typeof v === 'object' && v !== null && !Array.isArray(v) && step.key in v) next.push((v as Record<string, unknown>)[step.key]);
      } else if (!Array.isArray(v)) {
        continue;
      } else if ('index' in step) {
        if (step.index < v.length) next.push(v[step.index]);
      } else if ('all' in step) {
        next.push(...v);
      } else {
        const { key, value } = step.filter;
        next.push(...v.filter((i) => typeof i === 'object' && i !== null && String((i as Record<string, unknown>)[key]) === value));
      }
    }
    current = next;
    if (current.length === 0) return undefined;
  }
  return current[0];
}

function cell(type: PrinterColumn['type'], value: unknown, now: number): unknown {
  if (value === undefined || value === null) return null;
  switch (type) {
    case 'date': {
      const t = typeof value === 'string' ? Date.parse(value) : NaN;
      return Number.isNaN(t) ? null : humanDuration(now - t);
    }
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    default:
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

/** A kind's compiled table layout; compile once per kind and reuse for every request. */
export class TableLayout {
  readonly columns: TableColumn[];
  private readonly compiled: CompiledColumn[];

  constructor(def: Pick<KindDefinition, 'printerColumns'>) {
    const declared = [...def.printerColumns];
    if (!declared.some((c) => c.jsonPath === '.metadata.creationTimestamp')) {
      declared.push({ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' });
    }
    this.compiled = declared.map((c) => ({
      type: c.type,
      steps: compilePath(c.jsonPath),
      definition: { name: c.name, type: c.type, format: c.format ?? '', description: c.description ?? c.name, priority: c.priority ?? 0 },
    }));
    this.columns = [NAME_COLUMN, ...this.compiled.map((c) => c.definition)];
  }

  /** One table row for an object. */
  row(obj: KubeObject, include: IncludeObject, now: number): Record<string, unknown> {
    const cells: unknown[] = [obj.metadata.name ?? ''];
    for (const c of this.compiled) cells.push(cell(c.type, evaluate(obj, c.steps), now));
    const row: Record<string, unknown> = { cells };
    if (include === 'Object') row.object = obj;
    else if (include === 'Metadata') row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
    return row;
  }

  /** A whole Table; `withColumns` false leaves columnDefinitions empty (later watch events). */
  table(
    objects: readonly KubeObject[],
    opts: { include: IncludeObject; apiVersion: string; resourceVersion?: string; continue?: string; withColumns?: boolean; now?: number },
  ): Record<string, unknown> {
    const now = opts.now ?? Date.now();
    return {
      kind: 'Table',
      apiVersion: opts.apiVersion,
      metadata: {
        ...(opts.resourceVersion ? { resourceVersion: opts.resourceVersion } : {}),
        ...(opts.continue ? { continue: opts.continue } : {}),
      },
      columnDefinitions: opts.withColumns === false ? [] : this.columns,
      rows: objects.map((o) => this.row(o, opts.include, now)),
    };
  }
}

/**
 * The Table apiVersion the Accept header asks for (`application/json;as=Table;v=v1;g=meta.k8s.io`),
 * or undefined for a plain JSON answer. Media types are tried in order, as kubectl lists them.
 */
export function tableVersionFor(accept: string | undefined): string | undefined {
  if (!accept || !accept.includes('as=Table')) return undefined;
  for (const mediaType of accept.split(',')) {
    const params = new Map<string, string>();
    for (const part of mediaType.split(';').slice(1)) {
      const [k, v] = part.split('=');
      if (k && v) params.set(k.trim(), v.trim());
    }
    if (params.get('as') === 'Table' && params.get('g') === 'meta.k8s.io' && (params.get('v') === 'v1' || params.get('v') === 'v1beta1')) {
      return `meta.k8s.io/${params.get('v')}`;
    }
    const base = mediaType.split(';')[0]!.trim();
    if (params.size === 0 && (base === 'application/json' || base === '*/*')) return undefined;
  }
  return undefined;
}
