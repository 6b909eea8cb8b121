/**
 * List with selectors and pagination. Rows come from the backend in (namespace, name) order,
 * filtered in SQL by plural, namespace and — from an equality field selector — metadata.name /
 * metadata.namespace; the remaining selectors are matched here. The continue token carries the
 * last key of the page and the resourceVersion of the first page.
 */
import { ApiError, StatusReason } from '../errors.js';
import type { KubeObject } from '../../resources/meta.js';
import {
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
  type FieldSelector,
  type LabelSelector,
} from '../../resources/selectors.js';
import type { BackendReader, ObjectQuery, StoreBackend, StoredObject } from './backend.js';
import type { ListOptions, ListResult, ResourceInfo } from './store.js';

/** Rows fetched per round trip while scanning for selector matches. */
const SCAN_BATCH = 500;

interface ContinueToken {
  rv: number;
  namespace: string;
  name: string;
}

function badRequest(message: string): ApiError {
  return new ApiError(StatusReason.BadRequest, message);
}

/** Parses label and field selectors, turning parse errors into 400 BadRequest. */
export function parseSelectors(opts: { labelSelector?: string; fieldSelector?: string }): { labels: LabelSelector; fields: FieldSelector } {
  try {
    return { labels: parseLabelSelector(opts.labelSelector ?? ''), fields: parseFieldSelector(opts.fieldSelector ?? '') };
  } catch (err) {
    if (err instanceof SelectorError) throw badRequest(err.message);
    throw err;
  }
}

function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify([t.rv, t.namespace, t.name])).toString('base64url');
}

function decodeContinue(s: string): ContinueToken {
  try {
    const [rv, namespace, name] = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown[];
    if (typeof rv === 'number' && typeof namespace === 'string' && typeof name === 'string') return { rv, namespace, name };
  } catch {
    // fall through to the error below
  }
  throw badRequest('continue key is not valid');
}

/** Narrows the SQL query with equality field selectors on metadata.name / metadata.namespace. */
function sqlQuery(info: ResourceInfo, opts: ListOptions, fields: FieldSelector): ObjectQuery | undefined {
  const q: ObjectQuery = { plural: info.plural };
  if (info.namespaced && opts.namespace) q.namespace = opts.namespace;
  for (const f of fields) {
    if (f.operator !== 'Equals') continue;
    if (f.path === 'metadata.name') {
      if (q.name !== undefined && q.name !== f.value) return undefined;
      q.name = f.value;
    } else if (f.path === 'metadata.namespace') {
      const ns = info.namespaced ? f.value : f.value === '' ? '' : undefined;
      if (ns === undefined || (q.namespace !== undefined && q.namespace !== ns)) return undefined;
      if (info.namespaced) q.namespace = ns;
    }
  }
  return q;
}

/** Lists objects of one kind per `opts`, in (namespace, name) order. */
export async function listObjects<T extends KubeObject>(backend: StoreBackend, info: ResourceInfo, opts: ListOptions): Promise<ListResult<T>> {
  const page = await listPage(backend, info, opts);
  return { ...page, items: page.items.map((m) => (m.obj ?? JSON.parse(m.row.json)) as T) };
}

/** Lists like {@link listObjects}, each item as its stored JSON text (parsed only to match selectors). */
export async function listObjectsJson(backend: StoreBackend, info: ResourceInfo, opts: ListOptions): Promise<ListResult<string>> {
  const page = await listPage(backend, info, opts);
  return { ...page, items: page.items.map((m) => m.row.json) };
}

/** A listed row, with its parsed object when selector matching already parsed it. */
interface Listed {
  row: StoredObject;
  obj?: KubeObject;
}

async function listPage(backend: StoreBackend, info: ResourceInfo, opts: ListOptions): Promise<ListResult<Listed>> {
  const { labels, fields } = parseSelectors(opts);
  const token = opts.continue ? decodeContinue(opts.continue) : undefined;
  const limit = opts.limit && opts.limit > 0 ? Math.floor(opts.limit) : undefined;
  return backend.read(async (r) => {
    const rv = token?.rv ?? (await r.currentResourceVersion());
    const base = sqlQuery(info, opts, fields);
    if (!base) return { items: [], resourceVersion: String(rv) };
    if (token) base.after = { namespace: token.namespace, name: token.name };
    const filtered = labels.length > 0 || fields.length > 0;
    const matches = (o: KubeObject): boolean => matchesLabels(labels, o.metadata?.labels) && matchesFields(fields, o);
    const page = filtered ? await scan(r, base, matches, limit) : await direct(r, base, limit);
    const result: ListResult<Listed> = { items: page.items, resourceVersion: String(rv) };
    if (page.more && page.items.length) {
      const last = page.items[page.items.length - 1].row;
      result.continue = encodeContinue({ rv, namespace: last.namespace, name: last.name });
      if (page.remaining !== undefined) result.remainingItemCount = page.remaining;
    }
    return result;
  });
}

interface Page {
  items: Listed[];
  more: boolean;
  remaining?: number;
}

/** No selectors beyond SQL: one query, plus a count for remainingItemCount. Nothing is parsed. */
async function direct(r: BackendReader, q: ObjectQuery, limit: number | undefined): Promise<Page> {
  const rows = await r.listObjects({ ...q, limit: limit === undefined ? undefined : limit + 1 });
  const more = limit !== undefined && rows.length > limit;
  const items = (more ? rows.slice(0, limit) : rows).map((row) => ({ row }));
  if (!more) return { items, more };
  const last = items[items.length - 1].row;
  const remaining = await r.countObjects({ ...q, after: { namespace: last.namespace, name: last.name } });
  return { items, more, remaining };
}

/**
 * Selectors matched in JS: scan in batches until the page is full plus one more match (so
 * `continue` is only given when another matching item exists). Like Kubernetes, no
 * remainingItemCount for a filtered list.
 */
async function scan(r: BackendReader, q: ObjectQuery, matches: (o: KubeObject) => boolean, limit: number | undefined): Promise<Page> {
  const items: Listed[] = [];
  let after = q.after;
  for (;;) {
    const rows = await r.listObjects({ ...q, after, limit: limit === undefined ? undefined : SCAN_BATCH });
    for (const row of rows) {
      const obj = JSON.parse(row.json) as KubeObject;
      if (!matches(obj)) continue;
      if (limit !== undefined && items.length === limit) return { items, more: true };
      items.push({ row, obj });
    }
    if (limit === undefined || rows.length < SCAN_BATCH) return { items, more: false };
    const last = rows[rows.length - 1];
    after = { namespace: last.namespace, name: last.name };
  }
}
