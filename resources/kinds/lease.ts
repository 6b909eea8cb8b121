/**
 * Lease (coordination.k8s.io/v1): Kubernetes' own lock object, here so control-plane replicas can
 * elect a leader in the store every replica shares, visibly (`kubectl get leases`). The spec is
 * Kubernetes' LeaseSpec field for field, so kubectl and client-go read and write it unchanged.
 */
import { Type, type Static } from '@sinclair/typebox';
import { defineKind, type ObjectOf } from '../scheme.js';

/** The API group of Lease: Kubernetes' coordination group, not ours. */
export const COORDINATION_GROUP = 'coordination.k8s.io';

/** A MicroTime: RFC 3339 with microseconds, as Kubernetes writes lease times (`2026-01-02T03:04:05.000000Z`). */
const MicroTime = (description: string) => Type.String({ format: 'date-time', description });

export const LeaseSpec = Type.Object(
  {
    holderIdentity: Type.Optional(Type.String({ description: 'The identity of the holder of the lease; empty when nobody holds it.' })),
    leaseDurationSeconds: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 2147483647, description: 'How long candidates wait after the last renewal before they may take the lease.' }),
    ),
    acquireTime: Type.Optional(MicroTime('When the current holder acquired the lease.')),
    renewTime: Type.Optional(MicroTime('When the current holder last renewed the lease.')),
    leaseTransitions: Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647, description: 'How many times the lease has changed holders.' })),
    preferredHolder: Type.Optional(Type.String({ description: 'The identity a coordinated leader election asks the holder to hand over to.' })),
    strategy: Type.Optional(Type.String({ description: 'The strategy of coordinated leader election, e.g. OldestEmulationVersion.' })),
  },
  { description: 'The specification of a Lease.', additionalProperties: false, default: {} },
);
export type LeaseSpec = Static<typeof LeaseSpec>;

export const Lease = defineKind({
  kind: 'Lease',
  group: COORDINATION_GROUP,
  version: 'v1',
  plural: 'leases',
  description: 'Lease defines a lease concept: a lock one holder renews, which others take over once it expires.',
  spec: LeaseSpec,
  // kubectl's own columns for leases: NAME, HOLDER, AGE.
  printerColumns: [
    { name: 'Holder', type: 'string', jsonPath: '.spec.holderIdentity', description: 'The identity of the holder of the lease.' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
});
export type Lease = ObjectOf<typeof Lease>;
