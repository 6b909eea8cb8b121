import { describe, expect, it } from '@jest/globals';
import { scheme } from './index.js';
import {
  GROUP_VERSION_PATH,
  openApiV3Paths,
  openApiDocumentHash,
  openApiV2,
  openApiV3CoreV1,
  openApiV3Documents,
  openApiV3GroupVersion,
  openApiV3Index,
  schemaName,
} from './openapi.js';

type Json = Record<string, unknown>;
interface OpenApiDoc {
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json> };
}

/** Every `$ref` string anywhere in a document. */
function refs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refs(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else refs(v, out);
    }
  }
  return out;
}

const kinds = scheme.inGroupVersion('sidekicks.dev', 'v1alpha1').map((def) => [def.kind, def] as const);

describe('openApiV3Index', () => {
  it('lists every document with its server-relative URL and hash', () => {
    const index = openApiV3Index(openApiV3Paths(scheme), { [GROUP_VERSION_PATH]: 'ABC123' });
    expect(Object.keys(index.paths).sort()).toEqual(['api', 'api/v1', 'apis', 'apis/coordination.k8s.io/v1', 'apis/sidekicks.dev/v1alpha1', 'version']);
    expect(index.paths['apis/sidekicks.dev/v1alpha1']).toEqual({ serverRelativeURL: '/openapi/v3/apis/sidekicks.dev/v1alpha1?hash=ABC123' });
    expect(index.paths['api/v1']).toEqual({ serverRelativeURL: '/openapi/v3/api/v1' });
  });

  it('hashes documents stably and distinctly', () => {
    const docs = openApiV3Documents(scheme);
    expect(openApiDocumentHash(docs[GROUP_VERSION_PATH])).toBe(openApiDocumentHash(openApiV3GroupVersion(scheme)));
    expect(openApiDocumentHash(docs[GROUP_VERSION_PATH])).toMatch(/^[0-9A-F]{128}$/);
    expect(openApiDocumentHash(docs['api/v1'])).not.toBe(openApiDocumentHash(docs[GROUP_VERSION_PATH]));
  });
});

describe('openApiV3GroupVersion', () => {
  const doc = openApiV3GroupVersion(scheme) as OpenApiDoc;

  it.each(kinds)('%s has a schema and a list schema with the GVK extension explain looks up', (kind, def) => {
    const name = schemaName(def);
    expect(name).toBe(`dev.sidekicks.v1alpha1.${kind}`);
    expect(doc.components.schemas[name]?.['x-kubernetes-group-version-kind']).toEqual([{ group: 'sidekicks.dev', kind, version: 'v1alpha1' }]);
    expect(doc.components.schemas[`${name}List`]?.['x-kubernetes-group-version-kind']).toEqual([{ group: 'sidekicks.dev', kind: `${kind}List`, version: 'v1alpha1' }]);
    const props = doc.components.schemas[name]!.properties as Record<string, Json>;
    expect(props.metadata).toEqual({ allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }] });
  });

  it.each(kinds)('%s has a PATCH operation with fieldValidation and dryRun, so kubectl validates on the server', (kind, def) => {
    const base = def.namespaced ? `/apis/sidekicks.dev/v1alpha1/namespaces/{namespace}/${def.plural}/{name}` : `/apis/sidekicks.dev/v1alpha1/${def.plural}/{name}`;
    const patch = doc.paths[base]?.patch as Json | undefined;
    expect(patch?.['x-kubernetes-group-version-kind']).toEqual({ group: 'sidekicks.dev', kind, version: 'v1alpha1' });
    const params = (patch?.parameters as { name: string; in: string }[]).filter((p) => p.in === 'query').map((p) => p.name);
    expect(params).toEqual(expect.arrayContaining(['fieldValidation', 'dryRun', 'fieldManager', 'force']));
    const types = Object.keys(((patch?.requestBody as Json).content as Json) ?? {});
    expect(types).toEqual(expect.arrayContaining(['application/merge-patch+json', 'application/apply-patch+yaml']));
    expect(Boolean(doc.paths[`${base}/status`])).toBe(def.hasStatus);
  });

  it('resolves every $ref inside the document', () => {
    const missing = refs(doc).filter((r) => !doc.components.schemas[r.replace('#/components/schemas/', '')]);
    expect(missing).toEqual([]);
  });
});

describe('openApiV3GroupVersion of coordination.k8s.io/v1', () => {
  const doc = openApiV3GroupVersion(scheme, 'coordination.k8s.io', 'v1') as OpenApiDoc;

  it('holds Lease under its built-in name, with its REST paths and no kind of ours', () => {
    expect(Object.keys(doc.components.schemas).filter((n) => !n.startsWith('io.k8s.apimachinery'))).toEqual([
      'io.k8s.api.coordination.v1.Lease',
      'io.k8s.api.coordination.v1.LeaseList',
    ]);
    const lease = doc.components.schemas['io.k8s.api.coordination.v1.Lease']!;
    expect(lease['x-kubernetes-group-version-kind']).toEqual([{ group: 'coordination.k8s.io', kind: 'Lease', version: 'v1' }]);
    const spec = (lease.properties as Record<string, Json>).spec!;
    expect(Object.keys(spec.properties as Json)).toEqual(
      expect.arrayContaining(['holderIdentity', 'leaseDurationSeconds', 'acquireTime', 'renewTime', 'leaseTransitions']),
    );
    const patch = doc.paths['/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/{name}']?.patch;
    expect(patch?.['x-kubernetes-group-version-kind']).toEqual({ group: 'coordination.k8s.io', kind: 'Lease', version: 'v1' });
    expect(Object.keys(((patch?.requestBody as Json).content as Json) ?? {})).toContain('application/strategic-merge-patch+json');
    expect(Object.keys(doc.paths).some((p) => p.includes('/runs'))).toBe(false);
    expect(refs(doc).filter((r) => !doc.components.schemas[r.replace('#/components/schemas/', '')])).toEqual([]);
  });
});

describe('openApiV3CoreV1', () => {
  const doc = openApiV3CoreV1() as OpenApiDoc;
  it('serves Events as core v1 Events', () => {
    const event = doc.components.schemas['io.k8s.api.core.v1.Event']!;
    expect(event['x-kubernetes-group-version-kind']).toEqual([{ group: '', kind: 'Event', version: 'v1' }]);
    expect(Object.keys(event.properties as Json)).toEqual(expect.arrayContaining(['involvedObject', 'reason', 'message', 'type', 'count', 'source']));
    expect(doc.paths['/api/v1/namespaces/{namespace}/events/{name}']?.patch?.['x-kubernetes-group-version-kind']).toEqual({ group: '', kind: 'Event', version: 'v1' });
    expect(refs(doc).filter((r) => !doc.components.schemas[r.replace('#/components/schemas/', '')])).toEqual([]);
  });
});

describe('openApiV2', () => {
  const doc = openApiV2(scheme) as { swagger: string; definitions: Record<string, Json> };
  it('has swagger 2.0 definitions with GVK for every kind and resolvable refs', () => {
    expect(doc.swagger).toBe('2.0');
    for (const def of scheme.all()) {
      expect(doc.definitions[schemaName(def)]?.['x-kubernetes-group-version-kind']).toEqual([{ group: def.group, kind: def.kind, version: def.version }]);
    }
    expect(refs(doc).every((r) => r.startsWith('#/definitions/'))).toBe(true);
    expect(refs(doc).filter((r) => !doc.definitions[r.replace('#/definitions/', '')])).toEqual([]);
  });
});
