/**
 * The scheme: every kind's single declaration, and the registry that maps
 * kind ⇄ plural ⇄ singular ⇄ short names ⇄ schema ⇄ printer columns.
 */
import { Type, type TObject, type TSchema, type Static } from '@sinclair/typebox';
import { API_VERSION, GROUP, ObjectMeta, VERSION, type KubeObject } from './meta.js';

/** A printer column as in a CRD's additionalPrinterColumns (priority > 0 only with -o wide). */
export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  /** A simple JSONPath such as `.status.phase` (no braces), as CRDs declare it. */
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

/** Everything declared about one kind. Built with {@link defineKind}. */
export interface KindDefinition<S extends TObject = TObject> {
  group: string;
  version: string;
  apiVersion: string;
  kind: string;
  /** Lower-case plural used in REST paths, e.g. `runs`. */
  plural: string;
  singular: string;
  shortNames: string[];
  categories: string[];
  namespaced: boolean;
  /** True when the kind has a `/status` subresource (every kind with spec + status). */
  hasStatus: boolean;
  description: string;
  printerColumns: PrinterColumn[];
  /** JSON Schema of the whole object (apiVersion, kind, metadata, spec, status, or top-level fields). */
  schema: S;
  /** Fields that may not change after creation (dotted paths, e.g. `spec.session`). */
  immutableFields: string[];
  /**
   * Fields a field selector may name besides metadata.name and metadata.namespace (dotted paths,
   * e.g. `spec.session`), as a CRD's `selectableFields` (at most 8, string fields); any other is
   * refused with 400.
   */
  selectableFields: string[];
  /** Fields that may be set once, later than creation, and never changed or removed after (e.g. a decision). */
  finalFields: string[];
}

export interface KindInput<Spec extends TSchema | undefined, Status extends TSchema | undefined, Top extends Record<string, TSchema>> {
  kind: string;
  /** API group; our own (sidekicks.dev) unless the kind is one Kubernetes defines (e.g. coordination.k8s.io). */
  group?: string;
  /** API version within the group; v1alpha1 unless given. */
  version?: string;
  plural: string;
  shortNames?: string[];
  categories?: string[];
  namespaced?: boolean;
  description: string;
  spec?: Spec;
  status?: Status;
  /** Kinds shaped like core Events carry their fields at the top level instead of spec/status. */
  topLevel?: Top;
  printerColumns?: PrinterColumn[];
  immutableFields?: string[];
  finalFields?: string[];
  selectableFields?: string[];
}

type ObjectSchema<Spec, Status, Top extends Record<string, TSchema>> = TObject<
  {
    apiVersion: TSchema;
    kind: TSchema;
    metadata: typeof ObjectMeta;
  } & (Spec extends TSchema ? { spec: Spec } : {}) &
    (Status extends TSchema ? { status: Status } : {}) &
    Top
>;

/** Declares a kind once: the object schema is built from the spec/status schemas. */
export function defineKind<
  Spec extends TSchema | undefined = undefined,
  Status extends TSchema | undefined = undefined,
  Top extends Record<string, TSchema> = {},
>(input: KindInput<Spec, Status, Top>): KindDefinition<ObjectSchema<Spec, Status, Top>> {
  const group = input.group ?? GROUP;
  const version = input.version ?? VERSION;
  const apiVersion = group === GROUP && version === VERSION ? API_VERSION : `${group}/${version}`;
  const props: Record<string, TSchema> = {
    apiVersion: Type.String({ description: `APIVersion: always ${apiVersion}.` }),
    kind: Type.String({ description: `Kind: always ${input.kind}.` }),
    metadata: ObjectMeta,
  };
  if (input.spec) props.spec = input.spec;
  if (input.status) props.status = Type.Optional(input.status);
  Object.assign(props, input.topLevel ?? {});
  const schema = Type.Object(props, { description: input.description, additionalProperties: false }) as unknown as ObjectSchema<Spec, Status, Top>;
  return {
    group,
    version,
    apiVersion,
    kind: input.kind,
    plural: input.plural,
    singular: input.kind.toLowerCase(),
    shortNames: input.shortNames ?? [],
    categories: input.categories ?? [],
    namespaced: input.namespaced ?? true,
    hasStatus: Boolean(input.spec && input.status),
    description: input.description,
    printerColumns: input.printerColumns ?? [],
    schema,
    immutableFields: input.immutableFields ?? [],
    selectableFields: input.selectableFields ?? [],
    finalFields: input.finalFields ?? [],
  };
}

/** The TypeScript type of a stored object of a declared kind. */
export type ObjectOf<D extends KindDefinition> = Static<D['schema']> & KubeObject;

/** The registry of kinds. Lookups accept kind, plural, singular or short name, case-insensitively. */
export class Scheme {
  private readonly byName = new Map<string, KindDefinition>();
  private readonly ordered: KindDefinition[] = [];

  register(...defs: KindDefinition[]): this {
    for (const def of defs) {
      for (const key of [def.kind, def.plural, def.singular, ...def.shortNames]) {
        const k = key.toLowerCase();
        const existing = this.byName.get(k);
        if (existing && existing !== def) throw new Error(`scheme: name "${key}" is used by ${existing.kind} and ${def.kind}`);
        this.byName.set(k, def);
        this.byName.set(`${k}.${def.group}`, def);
      }
      this.ordered.push(def);
    }
    return this;
  }

  /** Resolves `runs`, `run`, `Run`, `runs.sidekicks.dev` … to a kind, or undefined. */
  resolve(name: string): KindDefinition | undefined {
    return this.byName.get(name.toLowerCase());
  }

  /** The kind with this exact plural (REST path segment). */
  byPlural(plural: string): KindDefinition | undefined {
    return this.ordered.find((d) => d.plural === plural);
  }

  /** The kind with this exact Kind name and apiVersion. */
  byKind(apiVersion: string, kind: string): KindDefinition | undefined {
    return this.ordered.find((d) => d.kind === kind && d.apiVersion === apiVersion);
  }

  /** Kinds in a category such as `all`. */
  inCategory(category: string): KindDefinition[] {
    return this.ordered.filter((d) => d.categories.includes(category));
  }

  all(): readonly KindDefinition[] {
    return this.ordered;
  }

  /** Every group-version with at least one kind, in registration order (`sidekicks.dev/v1alpha1` first). */
  groupVersions(): { group: string; version: string; groupVersion: string }[] {
    const seen = new Map<string, { group: string; version: string; groupVersion: string }>();
    for (const d of this.ordered) if (!seen.has(d.apiVersion)) seen.set(d.apiVersion, { group: d.group, version: d.version, groupVersion: d.apiVersion });
    return [...seen.values()];
  }

  /** The kinds served in one group-version. */
  inGroupVersion(group: string, version: string): KindDefinition[] {
    return this.ordered.filter((d) => d.group === group && d.version === version);
  }
}

/**
 * True for a group Kubernetes itself defines (`coordination.k8s.io`, core ''): its kinds are
 * built into every cluster, so no CustomResourceDefinition may claim them (kube-apiserver refuses
 * CRDs in `*.k8s.io` groups without an API review) and kubectl knows their Go types.
 */
export function isKubernetesGroup(group: string): boolean {
  return group === '' || group === 'k8s.io' || group.endsWith('.k8s.io');
}
