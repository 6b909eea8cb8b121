/**
 * Invite: a single-use, expiring invitation to a session with a role. The token is shown once at
 * creation and stored only as a SHA-256 hash.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Conditions } from '../meta.js';
import { defineKind, type ObjectOf } from '../scheme.js';
import { SessionRole, closedSet } from './common.js';

export const InvitePhase = { Pending: 'Pending', Accepted: 'Accepted', Revoked: 'Revoked', Expired: 'Expired' } as const;
export type InvitePhase = (typeof InvitePhase)[keyof typeof InvitePhase];

export const InviteSpec = Type.Object(
  {
    session: Type.String({ minLength: 1, description: 'The Session the invite is to.' }),
    role: closedSet(SessionRole, 'The role the invitee gets.'),
    // No schema default: the server sets it to creation time + 7 days, which a static default cannot express.
    expiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'When the invite stops working; 7 days after creation when unset.' })),
    revoked: Type.Boolean({ default: false, description: 'true revokes the invite at once.' }),
  },
  { description: 'What the invite grants.', additionalProperties: false },
);

export const InviteStatus = Type.Object(
  {
    phase: Type.Optional(closedSet(InvitePhase, 'Whether the invite can still be used.')),
    acceptedBy: Type.Optional(Type.String({ description: 'The Participant who accepted it.' })),
    acceptedAt: Type.Optional(Type.String({ format: 'date-time', description: 'When it was accepted.' })),
    tokenHash: Type.Optional(Type.String({ pattern: '^sha256:[0-9a-f]{64}$', description: 'sha256:<hex> of the token; the token itself is never stored.' })),
    observedGeneration: Type.Optional(Type.Integer({ description: 'The spec generation this status reflects.' })),
    conditions: Type.Optional(Conditions),
  },
  { description: 'What the invite controller observed.' },
);

export const Invite = defineKind({
  kind: 'Invite',
  plural: 'invites',
  shortNames: ['inv'],
  categories: ['all', 'sidekicks'],
  description: 'A single-use, expiring invitation to a session with a role.',
  spec: InviteSpec,
  status: InviteStatus,
  immutableFields: ['spec.session', 'spec.role'],
  printerColumns: [
    { name: 'Session', type: 'string', jsonPath: '.spec.session' },
    { name: 'Role', type: 'string', jsonPath: '.spec.role' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Expires', type: 'date', jsonPath: '.spec.expiresAt' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Accepted By', type: 'string', jsonPath: '.status.acceptedBy', priority: 1 },
  ],
});
export type Invite = ObjectOf<typeof Invite>;
export type InviteSpec = Static<typeof InviteSpec>;
export type InviteStatus = Static<typeof InviteStatus>;
