/** Intervention: a steer / interrupt / cancel request against a run, with its recorded outcome. */
import { Type, type Static } from '@sinclair/typebox';
import { Conditions } from '../meta.js';
import { defineKind, type ObjectOf } from '../scheme.js';
import { closedSet } from './common.js';

export const InterventionType = { Steer: 'Steer', Interrupt: 'Interrupt', Cancel: 'Cancel' } as const;
export type InterventionType = (typeof InterventionType)[keyof typeof InterventionType];

export const InterventionPhase = {
  Requested: 'Requested',
  Accepted: 'Accepted',
  Applied: 'Applied',
  Degraded: 'Degraded',
  Rejected: 'Rejected',
  Expired: 'Expired',
} as const;
export type InterventionPhase = (typeof InterventionPhase)[keyof typeof InterventionPhase];

export const InterventionSpec = Type.Object(
  {
    run: Type.String({ minLength: 1, description: 'The Run to act on.' }),
    type: closedSet(InterventionType, 'Steer delivers text into the conversation; Interrupt stops the current turn (the run pauses; it ends Interrupted when its driver cannot resume); Cancel ends the run Canceled, for good.'),
    content: Type.Optional(Type.String({ description: 'The steer text (Steer only).' })),
    expectedRunGeneration: Type.Optional(Type.Integer({ minimum: 1, description: 'The run generation the requester saw; a different one makes the intervention Expired.' })),
    reason: Type.Optional(Type.String({ description: 'Why, for the journal.' })),
  },
  { description: 'The request; immutable once created.', additionalProperties: false },
);

export const InterventionStatus = Type.Object(
  {
    phase: Type.Optional(closedSet(InterventionPhase, 'The outcome: Applied (mid-turn), Degraded (after the turn), Rejected, Expired.')),
    message: Type.Optional(Type.String({ description: 'Human-readable detail of the outcome.' })),
    appliedAt: Type.Optional(Type.String({ format: 'date-time', description: 'When the run received the intervention.' })),
    observedGeneration: Type.Optional(Type.Integer({ description: 'The spec generation this status reflects.' })),
    conditions: Type.Optional(Conditions),
  },
  { description: 'What controllers observed about the intervention.' },
);

export const Intervention = defineKind({
  kind: 'Intervention',
  plural: 'interventions',
  shortNames: ['iv'],
  categories: ['all', 'sidekicks'],
  description: 'A steer / interrupt / cancel request against a run, with its recorded outcome.',
  spec: InterventionSpec,
  status: InterventionStatus,
  immutableFields: ['spec'],
  printerColumns: [
    { name: 'Run', type: 'string', jsonPath: '.spec.run' },
    { name: 'Type', type: 'string', jsonPath: '.spec.type' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Message', type: 'string', jsonPath: '.status.message', priority: 1 },
  ],
});
export type Intervention = ObjectOf<typeof Intervention>;
export type InterventionSpec = Static<typeof InterventionSpec>;
export type InterventionStatus = Static<typeof InterventionStatus>;
