/** Participant: a person known to the control plane. */
import { Type, type Static } from '@sinclair/typebox';
import { Conditions } from '../meta.js';
import { defineKind, type ObjectOf } from '../scheme.js';
import { Presence, closedSet } from './common.js';

export const ParticipantSpec = Type.Object(
  {
    displayName: Type.Optional(Type.String({ description: 'Name shown to other members.' })),
    identity: Type.String({ minLength: 1, description: 'The authenticated identity (token subject) this person signs in as; authorization uses it, never a claimed name.' }),
    email: Type.Optional(Type.String({ format: 'email', description: 'Contact address.' })),
  },
  { description: 'Who the person is.', additionalProperties: false },
);

export const ParticipantStatus = Type.Object(
  {
    presence: Type.Optional(closedSet(Presence, 'Whether the person is reachable: Reconnecting after a missed 15 s heartbeat, Offline after 45 s.')),
    lastSeenTime: Type.Optional(Type.String({ format: 'date-time', description: 'Last heartbeat.' })),
    node: Type.Optional(Type.String({ description: 'The RuntimeNode the person is connected from.' })),
    observedGeneration: Type.Optional(Type.Integer({ description: 'The spec generation this status reflects.' })),
    conditions: Type.Optional(Conditions),
  },
  { description: 'What the presence controller observed.' },
);

export const Participant = defineKind({
  kind: 'Participant',
  plural: 'participants',
  shortNames: ['pt'],
  categories: ['sidekicks'],
  namespaced: false,
  description: 'A person (control plane).',
  spec: ParticipantSpec,
  status: ParticipantStatus,
  immutableFields: ['spec.identity'],
  printerColumns: [
    { name: 'Display Name', type: 'string', jsonPath: '.spec.displayName' },
    { name: 'Presence', type: 'string', jsonPath: '.status.presence' },
    { name: 'Node', type: 'string', jsonPath: '.status.node' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Identity', type: 'string', jsonPath: '.spec.identity', priority: 1 },
  ],
});
export type Participant = ObjectOf<typeof Participant>;
export type ParticipantSpec = Static<typeof ParticipantSpec>;
export type ParticipantStatus = Static<typeof ParticipantStatus>;
