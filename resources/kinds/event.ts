/**
 * Event: Kubernetes-style events (Normal/Warning, reason, message, involvedObject, count). Shaped
 * like core v1 Events, with no spec or status, so they can also be served as core events and
 * `kubectl describe` / `kubectl events` show them.
 */
import { Type, type Static } from '@sinclair/typebox';
import { defineKind, type ObjectOf } from '../scheme.js';
import { closedSet } from './common.js';

export const EventType = { Normal: 'Normal', Warning: 'Warning' } as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

export const ObjectReference = Type.Object(
  {
    apiVersion: Type.Optional(Type.String({ description: 'API version of the referent.' })),
    kind: Type.Optional(Type.String({ description: 'Kind of the referent.' })),
    name: Type.Optional(Type.String({ description: 'Name of the referent.' })),
    namespace: Type.Optional(Type.String({ description: 'Namespace of the referent.' })),
    uid: Type.Optional(Type.String({ description: 'UID of the referent.' })),
    resourceVersion: Type.Optional(Type.String({ description: 'The referent resourceVersion the event was about.' })),
    fieldPath: Type.Optional(Type.String({ description: 'A field within the referent, e.g. spec.agent.' })),
  },
  { description: 'The object this event is about.', additionalProperties: false },
);

export const EventSource = Type.Object(
  {
    component: Type.Optional(Type.String({ description: 'The component that reported, e.g. run-controller.' })),
    host: Type.Optional(Type.String({ description: 'The machine it ran on.' })),
  },
  { description: 'Who reported the event (the "From" column of describe).', additionalProperties: false },
);

export const EventFields = {
  involvedObject: ObjectReference,
  reason: Type.Optional(Type.String({ description: 'CamelCase machine-readable reason, e.g. WorktreeCreated.' })),
  message: Type.Optional(Type.String({ description: 'Human-readable description.' })),
  type: closedSet(EventType, 'Normal, or Warning for something that may need attention.', { default: EventType.Normal }),
  count: Type.Integer({ minimum: 1, default: 1, description: 'How many times this event occurred (repeats are aggregated).' }),
  firstTimestamp: Type.Optional(Type.String({ format: 'date-time', description: 'When the event first occurred.' })),
  lastTimestamp: Type.Optional(Type.String({ format: 'date-time', description: 'When the event most recently occurred.' })),
  eventTime: Type.Optional(Type.String({ format: 'date-time', description: 'When the event was first observed, with microsecond precision.' })),
  source: Type.Optional(EventSource),
  reportingComponent: Type.Optional(Type.String({ description: 'The controller that emitted the event, e.g. sidekicks.dev/run-controller.' })),
  reportingInstance: Type.Optional(Type.String({ description: 'The controller instance (host or replica) that emitted it.' })),
  action: Type.Optional(Type.String({ description: 'What was done or failed, e.g. CreateWorktree.' })),
};

export const Event = defineKind({
  kind: 'Event',
  plural: 'events',
  shortNames: ['ev'],
  description: 'Kubernetes-style Events (Normal/Warning, reason, message, involvedObject, count).',
  topLevel: EventFields,
  immutableFields: ['involvedObject'],
  // What `kubectl describe` and `kubectl events` select core Events by, within the 8 a CRD may declare.
  selectableFields: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'reason',
    'reportingComponent',
    'type',
  ],
  printerColumns: [
    { name: 'Type', type: 'string', jsonPath: '.type' },
    { name: 'Reason', type: 'string', jsonPath: '.reason' },
    { name: 'Object', type: 'string', jsonPath: '.involvedObject.name' },
    { name: 'Message', type: 'string', jsonPath: '.message' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Count', type: 'integer', jsonPath: '.count', priority: 1 },
    { name: 'Last Seen', type: 'date', jsonPath: '.lastTimestamp', priority: 1 },
  ],
});
export type Event = ObjectOf<typeof Event>;
export type EventFields = Omit<Event, 'apiVersion' | 'kind' | 'metadata'>;
export type ObjectReference = Static<typeof ObjectReference>;
