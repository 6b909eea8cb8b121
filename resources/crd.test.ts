import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { crdFor, crdManifests, structuralSchema } from './crd.js';
import type { JsonSchema } from './json-schema.js';
import { ApprovalCategory, RunPhase, SessionRole, WorkspaceMode, scheme, type KindDefinition } from './index.js';

const manifestsDir = fileURLToPath(new URL('../manifests/', import.meta.url));
// Only our own kinds get a CRD; Lease is built into every cluster (tested below).
const kinds = scheme.all().filter((def) => def.group === 'sidekicks.dev').map((def) => [def.kind, def] as const);

interface Crd {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    group: string;
    scope: string;
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames?: string[]; categories?: string[] };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: JsonSchema };
      subresources?: { status?: object };
      additionalPrinterColumns?: { name: string; type: string; jsonPath: string; priority?: number }[];
      selectableFields?: { jsonPath: string }[];
    }[];
  };
}

/** Every node of a schema with its path, for structural checks. */
function* nodes(schema: JsonSchema, path = ''): Generator<[string, JsonSchema]> {
  yield [path, schema];
  for (const [k, v] of Object.entries(schema.properties ?? {})) yield* nodes(v, `${path}.${k}`);
  if (schema.items) yield* nodes(schema.items, `${path}[]`);
  if (typeof schema.additionalProperties === 'object') yield* nodes(schema.additionalProperties, `${path}[*]`);
}

function schemaAt(root: JsonSchema, jsonPath: string): JsonSchema | undefined {
  let node: JsonSchema | undefined = root;
  for (const key of jsonPath.split('.').slice(1)) node = node?.properties?.[key];
  return node;
}

describe('crdFor', () => {
  it.each(kinds)('%s is a CustomResourceDefinition with names, scope and one served storage version', (_kind, def) => {
    const crd = crdFor(def) as Crd;
    expect(crd.apiVersion).toBe('apiextensions.k8s.io/v1');
    expect(crd.kind).toBe('CustomResourceDefinition');
    expect(crd.metadata.name).toBe(`${def.plural}.sidekicks.dev`);
    expect(crd.spec.group).toBe('sidekicks.dev');
    expect(crd.spec.scope).toBe(def.namespaced ? 'Namespaced' : 'Cluster');
    expect(crd.spec.names).toMatchObject({ kind: def.kind, listKind: `${def.kind}List`, plural: def.plural, singular: def.kind.toLowerCase() });
    expect(crd.spec.names.shortNames?.length).toBeGreaterThan(0);
    expect(crd.spec.versions).toHaveLength(1);
    expect(crd.spec.versions[0]).toMatchObject({ name: 'v1alpha1', served: true, storage: true });
  });

  it.each(kinds)('%s declares at most 8 selectable fields, each a string field of the schema, as a CRD must', (_kind, def) => {
    const version = (crdFor(def) as Crd).spec.versions[0]!;
    const declared = version.selectableFields ?? [];
    expect(declared.map((f) => f.jsonPath)).toEqual(def.selectableFields.map((f) => `.${f}`));
    expect(declared.length).toBeLessThanOrEqual(8);
    for (const { jsonPath } of declared) expect([jsonPath, schemaAt(version.schema.openAPIV3Schema, jsonPath)?.type]).toEqual([jsonPath, 'string']);
  });

  it('lets runs be selected by session, phase and node (a runtime node watches its own runs)', () => {
    expect((crdFor(scheme.resolve('runs')!) as Crd).spec.versions[0]!.selectableFields).toEqual([
      { jsonPath: '.spec.session' },
      { jsonPath: '.status.phase' },
      { jsonPath: '.spec.nodeName' },
    ]);
  });

  it.each(kinds)('%s has printer columns: Age as a date, no Name, every path declared by the schema', (_kind, def) => {
    const version = (crdFor(def) as Crd).spec.versions[0]!;
    const columns = version.additionalPrinterColumns ?? [];
    expect(columns.length).toBeGreaterThan(1);
    expect(columns).toContainEqual({ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' });
    expect(columns.map((c) => c.name.toLowerCase())).not.toContain('name');
    const schema = version.schema.openAPIV3Schema;
    for (const c of columns) {
      if (c.jsonPath.startsWith('.metadata.')) continue;
      const field = schemaAt(schema, c.jsonPath);
      expect({ column: c.name, declared: field !== undefined }).toEqual({ column: c.name, declared: true });
      const expected = c.type === 'date' ? 'string' : c.type;
      expect({ column: c.name, type: field?.type }).toEqual({ column: c.name, type: expected });
    }
  });

  it.each(kinds)('%s has a status subresource exactly when it has spec and status', (_kind, def) => {
    const version = (crdFor(def) as Crd).spec.versions[0]!;
    if (def.kind === 'Event') expect(version.subresources).toBeUndefined();
    else expect(version.subresources).toEqual({ status: {} });
  });

  it.each(kinds)('%s has a structural schema', (_kind, def) => {
    const schema = structuralSchema(def);
    expect(schema.type).toBe('object');
    expect(schema.properties?.metadata).toEqual({ type: 'object' });
    expect(schema.required ?? []).not.toEqual(expect.arrayContaining(['metadata']));
    for (const [path, node] of nodes(schema)) {
      const where = path || '<root>';
      const forbidden = ['anyOf', 'oneOf', 'allOf', 'const', 'patternProperties', '$id', '$ref', 'uniqueItems'].filter((k) => k in node);
      expect({ where, forbidden }).toEqual({ where, forbidden: [] });
      expect({ where, typed: node.type !== undefined || node['x-kubernetes-preserve-unknown-fields'] === true }).toEqual({ where, typed: true });
      expect({ where, both: node.properties !== undefined && node.additionalProperties !== undefined }).toEqual({ where, both: false });
      expect({ where, closed: node.additionalProperties === false }).toEqual({ where, closed: false });
      if (node['x-kubernetes-list-type'] === 'map') {
        for (const key of node['x-kubernetes-list-map-keys'] ?? []) expect(node.items?.required).toContain(key);
      }
      for (const r of node.required ?? []) expect(node.properties?.[r]).toBeDefined();
    }
  });

  it.each(kinds)('%s documents every field (descriptions feed explain)', (_kind, def) => {
    const undocumented = [...nodes(structuralSchema(def))]
      // Array items and map values are described by their array or map; metadata is documented by the API server.
      .filter(([path]) => path !== '' && !path.endsWith('[]') && !path.endsWith('[*]') && path !== '.metadata')
      .filter(([, node]) => typeof node.description !== 'string')
      .map(([path]) => path);
    expect(undocumented).toEqual([]);
  });

  it('turns closed sets into string enums', () => {
    const run = structuralSchema(scheme.resolve('run')!);
    expect(run.properties?.status?.properties?.phase).toMatchObject({ type: 'string', enum: Object.values(RunPhase) });
    expect(run.properties?.spec?.properties?.mode).toMatchObject({ type: 'string', enum: Object.values(WorkspaceMode) });
    const session = structuralSchema(scheme.resolve('ses')!);
    expect(session.properties?.spec?.properties?.members?.items?.properties?.role?.enum).toEqual(Object.values(SessionRole));
    const approval = structuralSchema(scheme.resolve('apr')!);
    expect(approval.properties?.spec?.properties?.category?.enum).toEqual(Object.values(ApprovalCategory));
  });

  it('keeps defaults and leaves defaulted fields out of required', () => {
    const session = structuralSchema(scheme.resolve('sessions')!);
    const limits = session.properties!.spec!.properties!.limits!;
    expect(limits.default).toEqual({});
    expect(limits.properties?.maxActiveRuns).toMatchObject({ type: 'integer', default: 5, minimum: 1 });
    expect(session.properties!.spec!.required ?? []).not.toContain('limits');
    const repo = structuralSchema(scheme.resolve('rm')!);
    expect(repo.properties!.spec!.properties!.mode!.default).toBe('Worktree');
    expect(repo.properties!.spec!.required).toEqual(['session', 'path']);
  });

  it('renders maps as additionalProperties and free-form values as preserved', () => {
    const workflow = structuralSchema(scheme.resolve('wf')!);
    expect(workflow.properties!.spec!.properties!.params).toMatchObject({ type: 'object', additionalProperties: { type: 'string' } });
    const agent = structuralSchema(scheme.resolve('ag')!);
    expect(agent.properties!.spec!.properties!.script!.items!.properties!.input).toMatchObject({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  });
});

describe('scheme', () => {
  it.each([
    ['ses', 'Session'], ['ag', 'Agent'], ['rm', 'RepoMount'], ['run', 'Run'], ['apr', 'Approval'], ['ap', 'ApprovalPolicy'],
    ['iv', 'Intervention'], ['wf', 'Workflow'], ['wft', 'WorkflowTemplate'], ['ch', 'Channel'], ['art', 'Artifact'], ['nsink', 'NotificationSink'],
    ['node', 'RuntimeNode'], ['nodes', 'RuntimeNode'], ['no', 'RuntimeNode'], ['pt', 'Participant'], ['inv', 'Invite'], ['ev', 'Event'],
  ])('resolves the short name %s to %s', (short, kind) => {
    expect(scheme.resolve(short)?.kind).toBe(kind);
  });

  it('keeps Events and cluster-scoped kinds out of `all`', () => {
    const all = scheme.inCategory('all').map((d: KindDefinition) => d.kind);
    expect(all).not.toContain('Event');
    expect(all).not.toContain('RuntimeNode');
    expect(all).toEqual(expect.arrayContaining(['Session', 'Run', 'Approval', 'Workflow']));
  });
});

describe('manifests/', () => {
  it('matches the kind declarations byte for byte', () => {
    const generated = crdManifests(scheme.all());
    const onDisk = existsSync(manifestsDir) ? readdirSync(manifestsDir).filter((f) => f.endsWith('.sidekicks.dev.yaml')).sort() : [];
    const stale =
      onDisk.join('\n') !== generated.map((g) => g.file).sort().join('\n') ||
      generated.some((g) => readFileSync(`${manifestsDir}${g.file}`, 'utf8') !== g.content);
    if (stale) throw new Error('manifests/ is out of date: run npm run manifests');
    for (const g of generated) expect(parse(g.content)).toEqual(crdFor(scheme.resolve(g.file.split('.')[0]!)!));
  });

  it('has no CustomResourceDefinition for a kind Kubernetes builds in (Lease)', () => {
    expect(scheme.resolve('leases')?.group).toBe('coordination.k8s.io');
    const files = crdManifests(scheme.all()).map((g) => g.file);
    expect(files.filter((f) => !f.endsWith('.sidekicks.dev.yaml'))).toEqual([]);
    expect(files).toHaveLength(scheme.all().filter((d) => d.group === 'sidekicks.dev').length);
    expect(existsSync(`${manifestsDir}leases.coordination.k8s.io.yaml`)).toBe(false);
  });

  it('renders the same bytes every time', () => {
    expect(crdManifests(scheme.all())).toEqual(crdManifests(scheme.all()));
  });
});
