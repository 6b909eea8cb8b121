/** Session: the first-class object; participants, channels, runs, approvals and artifacts belong to one. */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { Conditions } from '../meta.js';
import { defineKind, type ObjectOf } from '../scheme.js';
import { Budget, Presence, SessionRole, closedSet } from './common.js';

export const SessionPhase = {
  Provisioning: 'Provisioning',
  Active: 'Active',
  Archived: 'Archived',
  Closed: 'Closed',
} as const;
export type SessionPhase = (typeof SessionPhase)[keyof typeof SessionPhase];

export const SessionMember = Type.Object(
  {
    participant: Type.String({ minLength: 1, description: 'The Participant (a person) who is a member.' }),
    role: closedSet(SessionRole, 'What the member may do: Owner (everything), Collaborator (runs, own approvals), Viewer (read), RuntimeContributor (attaches a node).'),
  },
  { description: 'A person and their role in the session.', additionalProperties: false },
);

export const SessionLimits = Type.Object(
  {
    maxActiveRuns: Type.Integer({ minimum: 1, default: 5, description: 'Runs executing at once; further runs wait Queued.' }),
    maxQueuedRuns: Type.Integer({ minimum: 0, default: 100, description: 'Runs allowed to wait; creating one more is refused.' }),
    maxAgents: Type.Integer({ minimum: 1, default: 10, description: 'Distinct agents the session may use.' }),
    maxChannels: Type.Integer({ minimum: 1, default: 20, description: 'Channels the session may hold (including main).' }),
    budget: Type.Optional(Budget),
  },
  { description: 'Limits on the session; a Warning event at 80% of a budget, runs fail with BudgetExhausted at 100%.', additionalProperties: false, default: {} },
);

export const SessionSpec = Type.Object(
  {
    title: Type.Optional(Type.String({ description: 'Short human-readable title.' })),
    description: Type.Optional(Type.String({ description: 'What the session is for.' })),
    members: Type.Optional(
      Type.Array(SessionMember, {
        description: 'The people in the session and their roles; at least one Owner. Keyed by participant.',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['participant'],
      }),
    ),
    defaults: Type.Optional(
      Type.Object(
        {
          agent: Type.Optional(Type.String({ description: 'Agent used by runs that name none.' })),
          repoMount: Type.Optional(Type.String({ description: 'RepoMount used by runs that name none.' })),
          approvalPolicy: Type.Optional(Type.String({ description: 'ApprovalPolicy used by runs that name none.' })),
        },
        { description: 'Defaults for runs created in this session.', additionalProperties: false },
      ),
    ),
    limits: SessionLimits,
    archived: Type.Boolean({ default: false, description: 'true archives the session: no new runs, remembered approval rules are revoked.' }),
  },
  { description: 'What the user wants from the session.', additionalProperties: false, default: {} },
);

export const SessionParticipantStatus = Type.Object(
  {
    name: Type.String({ description: 'The Participant name.' }),
    role: Type.Optional(closedSet(SessionRole, 'The member role.')),
    presence: Type.Optional(closedSet(Presence, 'Whether the person is reachable right now.')),
  },
  { description: 'A member as currently seen.' },
);

export const SessionStatus = Type.Object(
  {
    phase: Type.Optional(closedSet(SessionPhase, 'Where the session is in its lifecycle.')),
    activeRuns: Type.Optional(Type.Integer({ minimum: 0, description: 'Runs currently admitted (not Queued, not finished).' })),
    queuedRuns: Type.Optional(Type.Integer({ minimum: 0, description: 'Runs waiting for a slot.' })),
    lastSequence: Type.Optional(Type.Integer({ minimum: 0, description: 'Sequence number of the last journal event of the session timeline.' })),
    participants: Type.Optional(Type.Array(SessionParticipantStatus, { description: 'Members with their presence.' })),
    observedGeneration: Type.Optional(Type.Integer({ description: 'The spec generation this status reflects.' })),
    conditions: Type.Optional(Conditions),
  },
  { description: 'What controllers observed about the session.' },
);

export const Session = defineKind({
  kind: 'Session',
  plural: 'sessions',
  shortNames: ['ses'],
  categories: ['all', 'sidekicks'],
  description: 'The first-class object: participants, channels, runs, approvals and artifacts belong to one.',
  spec: SessionSpec,
  status: SessionStatus,
  printerColumns: [
    { name: 'Title', type: 'string', jsonPath: '.spec.title' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Active Runs', type: 'integer', jsonPath: '.status.activeRuns' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Queued Runs', type: 'integer', jsonPath: '.status.queuedRuns', priority: 1 },
  ],
});
export type Session = ObjectOf<typeof Session>;
export type SessionSpec = Static<typeof SessionSpec>;
export type SessionStatus = Static<typeof SessionStatus>;

export type SessionLimits = Static<typeof SessionLimits>;

/** A session's limits with the schema defaults filled in; the defaults alone when there is no session yet. */
export function sessionLimits(session: Session | undefined): SessionLimits {
  return { ...(Value.Create(SessionLimits) as SessionLimits), ...session?.spec.limits };
}
