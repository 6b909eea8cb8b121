/**
 * What the API fuzzer sends: fast-check arbitraries of whole requests. Valid objects of every kind
 * (the examples' manifests, and a schema-made object for kinds no example has) are mixed with
 * mutations — wrong types in metadata, unknown fields, deep nesting, huge and unicode strings —
 * and sent as creates, updates, patches (merge, JSON patch, apply) and status writes, as JSON or
 * YAML, and as manifests through `sidekick apply -f`; lists and watches get garbage query
 * parameters; paths get `//`, `..` and encodings.
 *
 * Each request carries what a refusal of it may name (`names`) and, where the answer is known
 * regardless of the server's state, an oracle (`expect`).
 *
 * Why this file is long: one arbitrary per request shape, each a few lines; they share the
 * mutation helpers at the top and read best side by side.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { Value } from '@sinclair/typebox/value';
import { parseAllDocuments, stringify } from 'yaml';
import { scheme } from '../resources/index.js';
import { GROUP, VERSION } from '../resources/meta.js';

/** What the answer must be, whatever the store holds. */
export type Oracle =
  /** The request is invalid (`why`): it must be refused (4xx) naming one of `names`. */
  | { kind: 'refused'; why: string }
  /** A watch: the answer must be a stream of watch events. */
  | { kind: 'watch' }
  /** A plain list: the answer must be a `…List`, not a stream. */
  | { kind: 'list' }
  /** Unknown fields under fieldValidation Warn (the default): accepted only with a Warning naming them. */
  | { kind: 'warn-unknown'; fields: string[] };

export interface FuzzRequest {
  method: string;
  path: string;
  contentType?: string;
  body?: string;
  /** Fields, parameters and limits a refusal of this request may name. */
  names: string[];
  /** What the case is, for grouping findings (e.g. `create runs metadata.generateName=number`). */
  shape: string;
  expect?: Oracle;
  /** True when the request must change nothing even if accepted (dryRun=All). */
  dryRun?: boolean;
}

type Obj = Record<string, unknown>;

const PREFIX = `/apis/${GROUP}/${VERSION}`;
const kinds = scheme.all();
const NAMESPACES = ['default', 'fz'];
const NAMES = ['fz-a', 'fz-b', 'fz-c', 'hello', 'demo'];

/** The examples' objects, by kind, plus one schema-made object for every kind no example has. */
function seedObjects(repoRoot: string): Map<string, Obj[]> {
  const byKind = new Map<string, Obj[]>();
  const examples = join(repoRoot, 'examples');
  for (const dir of readdirSync(examples)) {
    let files: string[];
    try {
      files = readdirSync(join(examples, dir)).filter((f) => f.endsWith('.yaml'));
    } catch {
      continue;
    }
    for (const f of files) {
      for (const doc of parseAllDocuments(readFileSync(join(examples, dir, f), 'utf8'))) {
        const o = doc.toJSON() as Obj | null;
        if (o && typeof o.kind === 'string') byKind.set(o.kind, [...(byKind.get(o.kind) ?? []), o]);
      }
    }
  }
  for (const k of kinds) {
    if (byKind.has(k.kind)) continue;
    const made = Value.Create(k.schema) as Obj;
    byKind.set(k.kind, [{ ...made, apiVersion: k.apiVersion, kind: k.kind, metadata: { name: 'fz-a' } }]);
  }
  return byKind;
}

/** A JSON text nested `depth` levels deep, built as text (a value that deep would overflow JSON.stringify). */
export function nestedJson(depth: number, open: '[' | '{"a":' = '{"a":'): string {
  const close = open === '[' ? ']' : '}';
  return open.repeat(depth) + '1' + close.repeat(depth);
}

/** A Session whose `where` (spec, metadata, status or an unknown top-level field) holds `nested`. */
function deepSession(where: string, nested: string): string {
  const part = (key: string, base: string): string => `"${key}":{${base}${where === key ? `${base ? ',' : ''}"zz":${nested}` : ''}}`;
  const top = where === 'zzTop' ? `,"zzTop":${nested}` : '';
  return `{"apiVersion":"${GROUP}/${VERSION}","kind":"Session",${part('metadata', '"name":"fz-deep"')},${part('spec', '"title":"t"')},${part('status', '')}${top}}`;
}

/** Dotted paths of every key in a value, to a depth (what a refusal may name). */
export function keyPaths(v: unknown, prefix = '', depth = 4): string[] {
  if (depth === 0 || typeof v !== 'object' || v === null || Array.isArray(v)) return [];
  return Object.entries(v as Obj).flatMap(([k, child]) => {
    const p = prefix ? `${prefix}.${k}` : k;
    return [p, ...keyPaths(child, p, depth - 1)];
  });
}

const wrongValues = fc.constantFrom<unknown>(5, -1, 1.5, true, null, [], [5], {}, { a: 5 }, 'x', '', 1e308);
const weirdStrings = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('..', '.', '/', '%2F', '%00', '\u0000', '\ud800', 'A'.repeat(64), 'a'.repeat(253), 'a'.repeat(254), 'x'.repeat(10_000), '${{ x }}', '{{x}}', '__proto__', 'constructor'),
);
const hugeString = fc.constantFrom(100_000, 1_000_000, 3_200_000).map((n) => 'é'.repeat(n / 2));

/** A change to an object; `refused` when it makes the object invalid, so that the server must refuse it naming one of `names`. */
interface Mutation {
  apply(o: Obj): Obj;
  names: string[];
  label: string;
  refused: boolean;
  unknown?: string[];
}

function setIn(o: Obj, path: string[], value: unknown): Obj {
  const copy: Obj = { ...o };
  if (path.length === 1) {
    copy[path[0]!] = value;
    return copy;
  }
  const child = copy[path[0]!];
  copy[path[0]!] = setIn(typeof child === 'object' && child !== null && !Array.isArray(child) ? (child as Obj) : {}, path.slice(1), value);
  return copy;
}

const metadataMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.constantFrom('generateName', 'name', 'namespace', 'resourceVersion', 'uid'), fc.constantFrom<unknown>(5, true, [], {}, [5], 1.5)).map(([field, value]) => ({
    apply: (o: Obj) => setIn(o, ['metadata', field], value),
    names: [`metadata.${field}`, field],
    label: `metadata.${field}=${typeName(value)}`,
    refused: true,
  })),
  fc.constantFrom<unknown>(5, true, [], {}, null).map((value) => ({
    apply: (o: Obj) => {
      const { name: _name, ...meta } = (o.metadata as Obj) ?? {};
      return { ...o, metadata: { ...meta, generateName: value } };
    },
    names: ['metadata.generateName', 'generateName', 'metadata.name'],
    label: `no name, metadata.generateName=${typeName(value)}`,
    refused: true,
  })),
  fc.constantFrom<unknown>([5], 'x', [{}], [null], 5, [true]).map((value) => ({
    apply: (o: Obj) => setIn(o, ['metadata', 'finalizers'], value),
    names: ['metadata.finalizers', 'finalizers'],
    label: `metadata.finalizers=${typeName(value)}`,
    refused: true,
  })),
  fc.tuple(fc.constantFrom('labels', 'annotations'), fc.constantFrom<unknown>({ a: 5 }, { a: null }, { a: {} }, { a: [] }, 'x', 5, [])).map(([field, value]) => ({
    apply: (o: Obj) => setIn(o, ['metadata', field], value),
    names: [`metadata.${field}`, field],
    label: `metadata.${field}=${typeName(value)}`,
    refused: true,
  })),
  fc.constantFrom<unknown>('x', 5, [], null, true).map((value) => ({
    apply: (o: Obj) => ({ ...o, metadata: value }),
    names: ['metadata'],
    label: `metadata=${typeName(value)}`,
    refused: true,
  })),
  fc.constantFrom<unknown>(5, [{}], [{ uid: 5 }], 'x', [{ apiVersion: 'v1', kind: 'Session', name: 5, uid: 'u' }]).map((value) => ({
    apply: (o: Obj) => setIn(o, ['metadata', 'ownerReferences'], value),
    names: ['metadata.ownerReferences', 'ownerReferences'],
    label: `metadata.ownerReferences=${typeName(value)}`,
    refused: true,
  })),
  fc.tuple(fc.constantFrom('apiVersion', 'kind'), fc.constantFrom<unknown>(5, '', 'v1', 'Nope', null)).map(([field, value]) => ({
    apply: (o: Obj) => ({ ...o, [field]: value }),
    names: [field, field === 'kind' ? 'Kind' : 'API version'],
    label: `${field}=${typeName(value)}`,
    refused: true,
  })),
);

/** Changes that may or may not be valid (the answer is judged by the invariants, not an oracle). */
const looseMutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.constantFrom('spec', 'metadata.labels', 'metadata.annotations', 'metadata.name', 'metadata.generateName'), weirdStrings).map(([where, s]) => ({
    apply: (o: Obj) => (where === 'spec' ? setIn(o, ['spec', 'title'], s) : setIn(o, where.split('.'), where.endsWith('s') ? { [s || 'k']: s } : s)),
    names: [where, where.split('.').pop()!],
    label: `${where}=weird string`,
    refused: false,
  })),
  fc.tuple(fc.nat({ max: 50 }), wrongValues).map(([pick, value]) => ({
    apply: (o: Obj) => {
      const leaves = keyPaths(o.spec, 'spec', 3);
      return leaves.length === 0 ? o : setIn(o, leaves[pick % leaves.length]!.split('.'), value);
    },
    names: ['spec'],
    label: `spec leaf=${typeName(value)}`,
    refused: false,
  })),
  hugeString.map((s) => ({
    apply: (o: Obj) => setIn(o, ['metadata', 'annotations', 'fz.dev/huge'], s),
    names: ['metadata.annotations', 'annotations', 'limit', 'bytes', 'too large', 'too long'],
    label: `huge annotation ${s.length}`,
    refused: false,
  })),
  fc.constantFrom('spec.zzUnknown', 'status.zzUnknown', 'zzTop', 'metadata.zzUnknown').map((field) => ({
    apply: (o: Obj) => setIn(o, field.split('.'), 'x'),
    names: [field, field.split('.').pop()!],
    label: `unknown field ${field}`,
    refused: false,
    unknown: [field],
  })),
);

// Invalid changes go last, so that no later change (a new annotations map) overwrites them.
const mutations = fc
  .array(fc.oneof({ weight: 2, arbitrary: metadataMutation }, { weight: 3, arbitrary: looseMutation }), { maxLength: 3 })
  .map((ms) => [...ms.filter((m) => !m.refused), ...ms.filter((m) => m.refused)]);

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? `array(${v.map(typeName).join(',')})` : typeof v;
}

/** Kubernetes' strconv.ParseBool, which kube-apiserver applies to `watch` and other boolean parameters. */
export function parseBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

const INT64_MAX = 9223372036854775807n;

/** The query of a list or watch, and what its answer must be. */
const listQuery = fc
  .record(
    {
      limit: fc.oneof(fc.constantFrom('0', '1', '2', '-1', '1.5', 'abc', '', '99999999999999999999', '9223372036854775807', '9223372036854775808', '1e3', ' 1', '0x10'), fc.nat().map(String)),
      continue: fc.oneof(fc.constantFrom('', 'abc', '%%%', 'eyJ4IjoxfQ', 'eyJydiI6IjEiLCJzdGFydCI6ImEifQ=='), fc.base64String({ maxLength: 40 })),
      watch: fc.constantFrom('true', 'True', 'TRUE', 't', '1', 'false', 'False', '0', 'yes', 'on', ''),
      resourceVersion: fc.constantFrom('0', '1', '', 'abc', '-1', '99999999999999999999', '1.5'),
      resourceVersionMatch: fc.constantFrom('NotOlderThan', 'Exact', 'bogus'),
      fieldSelector: fc.oneof(
        fc.constantFrom('metadata.name=fz-a', 'metadata.namespace!=default', 'spec.sesion!=x', 'zz.unknown=1', '=', '!', 'metadata.name', 'metadata.name==a=b', ',,,'),
        fc.string({ maxLength: 30 }),
      ),
      labelSelector: fc.oneof(fc.constantFrom('a=b', 'a in (b,c)', '!a', 'a notin ()', 'a in (', '===', 'a=b=c', 'a!=', 'x'.repeat(300) + '=y'), fc.string({ maxLength: 30 })),
      timeoutSeconds: fc.constantFrom('1', '0', '-1', '2147484', '99999999999', '99999999999999999999', 'x'),
      allowWatchBookmarks: fc.constantFrom('true', 'x'),
      sendInitialEvents: fc.constantFrom('true', 'false', 'x'),
    },
    { requiredKeys: [] },
  )
  .map((q) => {
    // A watch of any length would hold the connection: the fuzzer cuts it, but keeps it short too.
    if (q.watch !== undefined && parseBool(q.watch) === true && q.timeoutSeconds === undefined) q.timeoutSeconds = '1';
    return q;
  });

/** Percent-encodes any string, lone surrogates included (as UTF-8 of U+FFFD, where encodeURIComponent throws). */
export function encodeAny(s: string): string {
  return [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

function queryString(q: Record<string, string | undefined>): string {
  const parts = Object.entries(q)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeAny(v!)}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

/** The answer a list query must get whatever the store holds, when one is known. */
function listOracle(q: Record<string, string | undefined>): { expect?: Oracle; names: string[] } {
  // kube-apiserver's messages say "label selector" as often as "labelSelector".
  const names = Object.keys(q).flatMap((k) => [k, k.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`)]);
  const badInt = (v: string | undefined): boolean => v !== undefined && v !== '' && (!/^-?\d+$/.test(v) || BigInt(v) > INT64_MAX);
  const refused = (why: string): Oracle => ({ kind: 'refused', why });
  // Several parameters may be wrong at once: a refusal may name any of them.
  if (q.limit !== undefined && badInt(q.limit)) return { expect: refused('limit is not an int64'), names };
  if (q.watch !== undefined && q.watch !== '' && parseBool(q.watch) === undefined) return { expect: refused('watch is not a ParseBool value'), names };
  if (q.timeoutSeconds !== undefined && badInt(q.timeoutSeconds)) return { expect: refused('timeoutSeconds is not an int64'), names };
  const field = q.fieldSelector?.split(',')[0]?.split(/!=|==|=/)[0];
  if (q.fieldSelector && /^(spec\.sesion|zz\.unknown)$/.test(field ?? '')) return { expect: refused('field selector on a field the kind does not declare'), names: [...names, field!] };
  return { names };
}

/** The request arbitrary for a repository checkout (its examples are the valid objects). */
export function requestArbitrary(repoRoot: string): fc.Arbitrary<FuzzRequest> {
  const seeds = seedObjects(repoRoot);
  const kindArb = fc.constantFrom(...kinds);
  const ns = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...NAMESPACES) }, { weight: 1, arbitrary: weirdStrings.map(encodeAny) });
  const name = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...NAMES) }, { weight: 1, arbitrary: weirdStrings.map(encodeAny) });
  // Each kind is served in its own group-version (Lease in coordination.k8s.io/v1).
  const prefixOf = (k: (typeof kinds)[number]): string => `/apis/${k.group}/${k.version}`;
  const base = (k: (typeof kinds)[number], namespace: string): string => (k.namespaced ? `${prefixOf(k)}/namespaces/${namespace}/${k.plural}` : `${prefixOf(k)}/${k.plural}`);
  const objectFor = fc.tuple(kindArb, fc.nat(), fc.constantFrom(...NAMES), ns).map(([k, pick, nm, namespace]) => {
    const list = seeds.get(k.kind)!;
    const o = structuredClone(list[pick % list.length]!) as Obj;
    o.metadata = { ...(o.metadata as Obj), name: nm };
    return { k, o, namespace };
  });
  const writeQuery = fc.record(
    { dryRun: fc.constantFrom('All', 'all', 'x'), fieldValidation: fc.constantFrom('Strict', 'Warn', 'Ignore', 'strict', 'bogus'), fieldManager: fc.constantFrom('fz', '', 'é', 'x'.repeat(200)) },
    { requiredKeys: [] },
  );
  const encode = (o: Obj | unknown, yaml: boolean): string => (yaml ? stringify(o) : JSON.stringify(o));

  const write = fc.tuple(objectFor, mutations, fc.constantFrom('POST', 'PUT', 'PUT status'), fc.boolean(), writeQuery).map(([{ k, o, namespace }, muts, verb, yaml, q]): FuzzRequest => {
    const mutated = muts.reduce((acc, m) => m.apply(acc), o);
    const meta = (o.metadata as Obj) ?? {};
    const path = verb === 'POST' ? base(k, namespace) : `${base(k, namespace)}/${String(meta.name)}${verb === 'PUT status' ? '/status' : ''}`;
    const badFieldValidation = q.fieldValidation !== undefined && !/^(strict|warn|ignore)$/i.test(q.fieldValidation);
    const unknown = muts.flatMap((m) => m.unknown ?? []).filter((f) => !(verb === 'PUT status' && !f.startsWith('status')) && !f.startsWith('status'));
    const fv = (q.fieldValidation ?? 'Warn').toLowerCase();
    const why = [...muts.filter((m) => m.refused).map((m) => m.label), ...(q.dryRun !== undefined && q.dryRun !== 'All' ? ['dryRun not All'] : []), ...(badFieldValidation ? ['fieldValidation value'] : []), ...(unknown.length > 0 && fv === 'strict' ? ['unknown field under Strict'] : [])];
    const expect: Oracle | undefined = why.length > 0 ? { kind: 'refused', why: why.join(' + ') } : unknown.length > 0 && fv === 'warn' ? { kind: 'warn-unknown', fields: unknown } : undefined;
    return {
      method: verb === 'POST' ? 'POST' : 'PUT',
      path: path + queryString(q),
      contentType: yaml ? 'application/yaml' : 'application/json',
      body: encode(mutated, yaml),
      names: [...muts.flatMap((m) => m.names), ...Object.keys(q), ...keyPaths(mutated)],
      shape: `${verb} ${k.plural} ${muts.map((m) => m.label).join(' + ') || 'valid'}${yaml ? ' (yaml)' : ''}`,
      expect,
      dryRun: q.dryRun === 'All',
    };
  });

  const jsonPatchOp = fc.record({
    op: fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test', 'bogus', 5),
    path: fc.constantFrom('/spec', '/spec/title', '/metadata/labels/a', '/metadata/generateName', '/metadata/finalizers', '/metadata/finalizers/-', '/status/phase', '/nope/deep/x', '', 'spec', '/metadata/name', '/kind', '/~2', '/a~1b', 5),
    value: fc.oneof(wrongValues, weirdStrings),
    from: fc.constantFrom('/spec', '/metadata', '/x', 5),
  }, { requiredKeys: ['op', 'path'] });
  const patch = fc
    .tuple(
      objectFor,
      fc.constantFrom('application/merge-patch+json', 'application/json-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml', 'text/plain'),
      fc.oneof(fc.array(jsonPatchOp, { maxLength: 4 }).map((ops) => ({ ops })), mutations.map((muts) => ({ muts }))),
      fc.boolean(),
      fc.record({ fieldManager: fc.constantFrom('fz', '', 'x'.repeat(200)), force: fc.constantFrom('true', 'x'), dryRun: fc.constantFrom('All', 'x') }, { requiredKeys: [] }),
    )
    .map(([{ k, o, namespace }, contentType, content, status, q]): FuzzRequest => {
      const meta = o.metadata as Obj;
      const path = `${base(k, namespace)}/${String(meta.name)}${status ? '/status' : ''}`;
      let body: unknown;
      let names: string[];
      let label: string;
      if ('ops' in content) {
        body = contentType === 'application/json-patch+json' ? content.ops : Object.fromEntries(content.ops.map((op) => [String(op.path).split('/').pop() || 'x', op.value]));
        names = content.ops.flatMap((op) => [String(op.path), String(op.op), 'op', 'path', 'value', 'from']);
        label = 'ops';
      } else {
        const mutated = content.muts.reduce((acc, m) => m.apply(acc), contentType === 'application/apply-patch+yaml' ? o : { metadata: { labels: { fz: 'x' } } });
        body = contentType === 'application/json-patch+json' ? [{ op: 'replace', path: '/metadata', value: mutated.metadata }] : mutated;
        names = [...content.muts.flatMap((m) => m.names), ...keyPaths(mutated)];
        label = content.muts.map((m) => m.label).join(' + ') || 'valid';
      }
      return {
        method: 'PATCH',
        path: path + queryString(q),
        contentType,
        body: contentType.endsWith('yaml') ? stringify(body) : JSON.stringify(body),
        names: [...names, ...Object.keys(q), 'fieldManager', 'patch', 'content-type', 'media type'],
        shape: `PATCH ${contentType.split('/')[1]} ${k.plural}${status ? '/status' : ''} ${label}`,
        dryRun: q.dryRun === 'All',
      };
    });

  const list = fc.tuple(kindArb, ns, listQuery, fc.boolean()).map(([k, namespace, q, allNs]): FuzzRequest => {
    const { expect, names } = listOracle(q);
    const path = allNs || !k.namespaced ? `${prefixOf(k)}/${k.plural}` : base(k, namespace);
    const watch = q.watch !== undefined ? parseBool(q.watch) : undefined;
    const oracle: Oracle | undefined = expect ?? (watch === true && !q.resourceVersion && !q.fieldSelector && !q.labelSelector && !q.continue && !q.limit && !q.sendInitialEvents && !q.resourceVersionMatch ? { kind: 'watch' } : watch === false && Object.keys(q).length === 1 ? { kind: 'list' } : undefined);
    return { method: 'GET', path: path + queryString(q), names, shape: `GET ${k.plural}?${Object.keys(q).sort().join('&')}`, expect: oracle };
  });

  const get = fc.tuple(kindArb, ns, name, fc.constantFrom('', '/status', '/timeline?after=x', '/timeline?after=99999999999999999999&limit=-1', '/verify', '/content', '/zz', '/status/x')).map(([k, namespace, nm, sub]): FuzzRequest => ({
    method: 'GET',
    path: `${base(k, namespace)}/${nm}${sub}`,
    names: ['after', 'limit', nm, k.plural, 'name', 'namespace'],
    shape: `GET ${k.plural}/NAME${sub.split('?')[0]}`,
  }));

  const del = fc.tuple(kindArb, ns, name, fc.oneof(fc.constant(undefined), fc.constantFrom<unknown>({ propagationPolicy: 'x' }, { propagationPolicy: 5 }, { preconditions: { uid: 5 } }, { preconditions: 'x' }, { dryRun: 'All' }, { dryRun: [5] }, [], 'x', 5)), fc.constantFrom('', '?propagationPolicy=Bogus', '?dryRun=All', '?gracePeriodSeconds=-5', '?gracePeriodSeconds=99999999999999999999')).map(([k, namespace, nm, body, q]): FuzzRequest => ({
    method: 'DELETE',
    path: `${base(k, namespace)}/${nm}${q}`,
    contentType: body === undefined ? undefined : 'application/json',
    body: body === undefined ? undefined : JSON.stringify(body),
    names: ['propagationPolicy', 'preconditions', 'dryRun', 'gracePeriodSeconds', 'uid', 'body', 'DeleteOptions', nm, k.plural],
    shape: `DELETE ${k.plural}/NAME${q.split('=')[0]} body=${typeName(body)}`,
    dryRun: q === '?dryRun=All' || (typeof body === 'object' && body !== null && (body as Obj).dryRun === 'All'),
  }));

  const segment = fc.oneof(fc.constantFrom('', '.', '..', '%2e%2e', '%2F', '%', '%zz', '%E0%A4%A', 'namespaces', 'default', 'runs', 'sessions', 'status', '%00', 'é', '~'), name);
  const badPath = fc.tuple(fc.constantFrom('', '/', PREFIX, `${PREFIX}/namespaces`, '/api/v1', '/openapi/v3', '/apis', '/apis/auth.sidekicks.dev/v1alpha1', '/apis/authorization.k8s.io/v1'), fc.array(segment, { maxLength: 6 }), fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'BREW'), fc.boolean()).map(([prefix, segs, method, trailing]): FuzzRequest => {
    const path = `${prefix}/${segs.join('/')}${trailing ? '/' : ''}`;
    const hasBody = ['POST', 'PUT', 'PATCH'].includes(method);
    return { method, path, contentType: hasBody ? 'application/json' : undefined, body: hasBody ? '{}' : undefined, names: ['path', 'method', ...segs], shape: `${method} bad path under ${prefix || '/'}` };
  });

  const rawBody = fc.tuple(kindArb, ns, fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.constantFrom('', 'null', '[]', '"x"', '5', '{', '{"a":1}{"b":2}', '\uFEFF{}', '---\n---\n', 'a: [', '&a [*a]', 'a: &x 1\nb: *x', '!!binary x', '? [a]\n: 1'),
    fc.constantFrom(10, 100, 1000, 3001, 5000, 20_000, 100_000).map((d) => nestedJson(d)),
    fc.constantFrom(10, 3001, 20_000).map((d) => nestedJson(d, '[')),
    fc.constantFrom(3001, 20_000).map((d) => 'a:\n' + Array.from({ length: Math.min(d, 200) }, (_, i) => ' '.repeat(i + 1) + 'a:').join('\n')),
    fc.constantFrom(3001, 20_000).map((d) => '['.repeat(d) + ']'.repeat(d)),
    fc.tuple(fc.constantFrom(3001, 10_000, 100_000), fc.constantFrom('spec', 'metadata', 'status', 'zzTop')).map(([d, where]) => deepSession(where, nestedJson(d))),
  ), fc.constantFrom('POST', 'PUT', 'PATCH'), fc.constantFrom('application/json', 'application/yaml', 'application/merge-patch+json', 'application/json-patch+json', 'application/apply-patch+yaml', 'text/plain', 'application/json; charset=utf-16', '')).map(([k, namespace, body, method, contentType]): FuzzRequest => ({
    method,
    path: method === 'POST' ? base(k, namespace) : `${base(k, namespace)}/fz-a${method === 'PATCH' && contentType.includes('apply') ? '?fieldManager=fz' : ''}`,
    contentType: contentType || undefined,
    body,
    names: ['body', 'JSON', 'YAML', 'json', 'yaml', 'nest', 'depth', 'limit', 'media type', 'patch', 'object', 'kind', 'apiVersion', 'metadata', 'name', 'op', 'path'],
    shape: `${method} raw body ${contentType || 'none'} ${body.length > 1000 ? `nested ${body.length}` : ''}`.trim(),
  }));

  // `sidekick apply -f` of one to three documents (method APPLY; the path carries the CLI flags).
  const manifest = fc
    .tuple(fc.array(fc.tuple(objectFor, mutations), { minLength: 0, maxLength: 3 }), fc.constantFrom('', '', '--validate=warn', '--validate=ignore', '--atomic', '--dry-run=server'), fc.constantFrom('', '---\n', '# only a comment\n', 'a: [\n', 'kind: [x]\n'))
    .map(([docs, flags, extra]): FuzzRequest => {
      const texts = docs.map(([{ o }, muts]) => stringify(muts.reduce((acc, m) => m.apply(acc), o)));
      const body = docs.length === 0 ? extra : texts.join('---\n') + (extra && extra !== '---\n' ? `---\n${extra}` : '');
      const muts = docs.flatMap(([, m]) => m);
      // The extra text is a document of its own unless it is only a separator or a comment.
      const count = docs.length + (/^(---\n|# .*\n)?$/.test(extra) ? 0 : 1);
      const unknown = muts.some((m) => m.unknown?.some((f) => !f.startsWith('status'))) && !flags.startsWith('--validate=');
      const why = [...muts.filter((m) => m.refused).map((m) => m.label), ...(unknown ? ['unknown field under strict apply'] : []), ...(body.trim() === '' || body.trim() === '---' || body.trim() === '# only a comment' ? ['no objects'] : [])];
      return {
        method: 'APPLY',
        path: flags,
        body,
        names: [...muts.flatMap((m) => m.names), ...docs.flatMap(([{ o }]) => keyPaths(o))],
        shape: `apply ${count} doc${count === 1 ? '' : 's'} ${flags} ${muts.map((m) => m.label).join(' + ') || 'valid'}${extra ? ` + ${JSON.stringify(extra.trim())}` : ''}`,
        expect: why.length > 0 ? { kind: 'refused', why: why.join(' + ') } : undefined,
        dryRun: flags === '--dry-run=server',
      };
    });

  return fc.oneof(
    { weight: 1, arbitrary: manifest },
    { weight: 6, arbitrary: write },
    { weight: 3, arbitrary: patch },
    { weight: 3, arbitrary: list },
    { weight: 1, arbitrary: get },
    { weight: 1, arbitrary: del },
    { weight: 1, arbitrary: badPath },
    { weight: 2, arbitrary: rawBody },
  );
}
