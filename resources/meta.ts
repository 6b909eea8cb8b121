/**
 * The Kubernetes object envelope shared by every kind: ObjectMeta, OwnerReference, Condition,
 * ManagedFieldsEntry and the generic KubeObject type. Declared once with TypeBox so the same value
 * is the TypeScript type and the JSON Schema.
 */
import { Type, type Static, type TOptional, type TSchema } from '@sinclair/typebox';

export const GROUP = 'sidekicks.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export const OwnerReference = Type.Object(
  {
    apiVersion: Type.String({ description: 'API version of the owner.' }),
    kind: Type.String({ description: 'Kind of the owner.' }),
    name: Type.String({ description: 'Name of the owner.' }),
    uid: Type.String({ description: 'UID of the owner.' }),
    controller: Type.Optional(Type.Boolean({ description: 'True when the owner is the managing controller; at most one per object.' })),
    blockOwnerDeletion: Type.Optional(Type.Boolean({ description: 'With foreground deletion, the owner is not removed before this dependent.' })),
  },
  { description: 'A reference to the object that owns this one; dependents are garbage-collected with their owner.' },
);
export type OwnerReference = Static<typeof OwnerReference>;

export const ManagedFieldsEntry = Type.Object(
  {
    manager: Type.String({ description: 'The field manager (the fieldManager query parameter).' }),
    operation: Type.Union([Type.Literal('Apply'), Type.Literal('Update')], { description: 'Apply (server-side apply) or Update.' }),
    apiVersion: Type.Optional(Type.String({ description: 'API version of the object the fields were set through.' })),
    time: Type.Optional(Type.String({ format: 'date-time', description: 'When the fields were last changed by this manager.' })),
    fieldsType: Type.Optional(Type.Literal('FieldsV1', { description: 'Format of fieldsV1: always FieldsV1.' })),
    fieldsV1: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'The set of owned fields, in the Kubernetes FieldsV1 trie format.' })),
    subresource: Type.Optional(Type.String({ description: 'The subresource written through, e.g. status.' })),
  },
  { description: 'Which manager owns which fields (server-side apply).' },
);
export type ManagedFieldsEntry = Static<typeof ManagedFieldsEntry>;

export const ObjectMeta = Type.Object(
  {
    name: Type.Optional(Type.String({ description: 'Unique within the namespace; a DNS-1123 subdomain.' })),
    generateName: Type.Optional(Type.String({ description: 'Prefix for a server-generated name when name is empty.' })),
    namespace: Type.Optional(Type.String({ description: 'Namespace of a namespaced object; defaults to "default".' })),
    uid: Type.Optional(Type.String({ description: 'Server-assigned unique id.' })),
    resourceVersion: Type.Optional(Type.String({ description: 'Opaque version for optimistic concurrency and watch.' })),
    generation: Type.Optional(Type.Integer({ description: 'Rises on every change of the desired state (spec).' })),
    creationTimestamp: Type.Optional(Type.String({ format: 'date-time', description: 'When the object was created (server-set).' })),
    deletionTimestamp: Type.Optional(Type.String({ format: 'date-time', description: 'Set when deletion was requested and finalizers remain.' })),
    deletionGracePeriodSeconds: Type.Optional(Type.Integer({ description: 'Seconds allowed for graceful termination before removal.' })),
    labels: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Key/value labels for selection.' })),
    annotations: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Non-identifying key/value metadata.' })),
    finalizers: Type.Optional(Type.Array(Type.String(), { description: 'Must be empty before the object is removed.' })),
    ownerReferences: Type.Optional(Type.Array(OwnerReference, { description: 'Objects this one depends on; it is garbage-collected with its controller owner.' })),
    managedFields: Type.Optional(Type.Array(ManagedFieldsEntry, { description: 'Which manager owns which fields (server-side apply).' })),
  },
  { description: 'Standard object metadata.' },
);
export type ObjectMeta = Static<typeof ObjectMeta>;

export const ConditionStatus = { True: 'True', False: 'False', Unknown: 'Unknown' } as const;
export type ConditionStatus = (typeof ConditionStatus)[keyof typeof ConditionStatus];

export const Condition = Type.Object(
  {
    type: Type.String({ description: 'CamelCase condition type, e.g. Ready.' }),
    status: Type.Union([Type.Literal('True'), Type.Literal('False'), Type.Literal('Unknown')], { description: 'True, False or Unknown.' }),
    reason: Type.Optional(Type.String({ description: 'CamelCase machine-readable reason.' })),
    message: Type.Optional(Type.String({ description: 'Human-readable detail.' })),
    lastTransitionTime: Type.Optional(Type.String({ format: 'date-time', description: 'When status last flipped.' })),
    observedGeneration: Type.Optional(Type.Integer({ description: 'The generation this condition was computed from.' })),
  },
  { description: 'A Kubernetes-style condition.' },
);
export type Condition = Static<typeof Condition>;

/** Conditions array schema used inside every status. */
export const Conditions = Type.Array(Condition, { description: 'Current observations of the object state.' });

/** Any stored object: the Kubernetes envelope around a kind-specific spec and status. */
export interface KubeObject<Spec = unknown, Status = unknown> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Spec;
  status?: Status;
  [extra: string]: unknown;
}

/** A list as served by the API. */
export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

/** Shorthand for optional described fields in kind declarations. */
export function Opt<T extends TSchema>(schema: T): TOptional<T> {
  return Type.Optional(schema) as TOptional<T>;
}
