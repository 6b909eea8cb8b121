/**
 * CustomResourceDefinitions (`apiextensions.k8s.io/v1`) generated from the kind declarations, so
 * GitOps repositories and kubeconform can validate our manifests. manifests/ holds their YAML;
 * `npm run manifests` rewrites it and a test fails when it drifts.
 */
import { stringify } from 'yaml';
import { toJsonSchema, type JsonSchema } from './json-schema.js';
import { isKubernetesGroup, type KindDefinition } from './scheme.js';

/** The envelope fields the API server owns; a CRD schema must not require them. */
const ENVELOPE = new Set(['apiVersion', 'kind', 'metadata']);

/** Returns the kind's openAPIV3Schema: structural JSON Schema with metadata left to the API server. */
export function structuralSchema(def: KindDefinition): JsonSchema {
  const schema = stripForCrd(toJsonSchema(def.schema));
  schema.properties = { ...schema.properties, metadata: { type: 'object' } };
  const required = (schema.required ?? []).filter((r) => !ENVELOPE.has(r));
  if (required.length > 0) schema.required = required;
  else delete schema.required;
  return schema;
}

// apiextensions rejects uniqueItems (quadratic to check); list-type `set` says the same thing.
function stripForCrd(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...schema };
  delete out.uniqueItems;
  if (out.properties) out.properties = Object.fromEntries(Object.entries(out.properties).map(([k, v]) => [k, stripForCrd(v)]));
  if (out.items) out.items = stripForCrd(out.items);
  if (typeof out.additionalProperties === 'object') out.additionalProperties = stripForCrd(out.additionalProperties);
  return out;
}

/** Builds the CustomResourceDefinition of a kind as a plain object. */
export function crdFor(def: KindDefinition): object {
  const version: Record<string, unknown> = {
    name: def.version,
    served: true,
    storage: true,
    schema: { openAPIV3Schema: structuralSchema(def) },
  };
  if (def.hasStatus) version.subresources = { status: {} };
  if (def.selectableFields.length > 0) version.selectableFields = def.selectableFields.map((f) => ({ jsonPath: `.${f}` }));
  if (def.printerColumns.length > 0) {
    version.additionalPrinterColumns = def.printerColumns.map((c) => ({
      name: c.name,
      type: c.type,
      jsonPath: c.jsonPath,
      ...(c.description !== undefined ? { description: c.description } : {}),
      ...(c.format !== undefined ? { format: c.format } : {}),
      ...(c.priority !== undefined ? { priority: c.priority } : {}),
    }));
  }
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${def.plural}.${def.group}` },
    spec: {
      group: def.group,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        ...(def.shortNames.length > 0 ? { shortNames: def.shortNames } : {}),
        ...(def.categories.length > 0 ? { categories: def.categories } : {}),
      },
      scope: def.namespaced ? 'Namespaced' : 'Cluster',
      versions: [version],
    },
  };
}

/** A generated manifest file: its name under manifests/ and its exact content. */
export interface ManifestFile {
  file: string;
  content: string;
}

const HEADER = '# Generated from resources/kinds by hack/generate-manifests.ts (npm run manifests). Do not edit.\n';

/**
 * Renders one YAML file per kind, `<plural>.<group>.yaml`, deterministically (same input, same
 * bytes). Kinds of Kubernetes' own groups (Lease) get none: every cluster has them built in.
 */
export function crdManifests(defs: readonly KindDefinition[]): ManifestFile[] {
  return defs.filter((def) => !isKubernetesGroup(def.group)).map((def) => ({
    file: `${def.plural}.${def.group}.yaml`,
    content: HEADER + stringify(crdFor(def), { lineWidth: 0 }),
  }));
}
