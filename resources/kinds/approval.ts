/** Approval: a human-in-the-loop gate raised by a run (or workflow); decided by a person or a rule. */
import { Type, type Static } from '@sinclair/typebox';
import { Conditions } from '../meta.js';
import { defineKind, type ObjectOf } from '../scheme.js';
import { ApprovalCategory, ApprovalMatch, closedSet } from './common.js';

export const ApprovalPhase = {
  Pending: 'Pending',
  Approved: 'Approved',
  Rejected: 'Rejected',
  Expired: 'Expired',
  Canceled: 'Canceled',
} as const;
export type ApprovalPhase = (typeof ApprovalPhase)[keyof typeof ApprovalPhase];

export const ApprovalVerdict = { Approved: 'Approved', Rejected: 'Rejected' } as const;
export type ApprovalVerdict = (typeof ApprovalVerdict)[keyof typeof ApprovalVerdict];

export const ExpiryAction = { Reject: 'Reject', Approve: 'Approve' } as const;
export type ExpiryAction = (typeof ExpiryAction)[keyof typeof ExpiryAction];

export const RememberScope = { Run: 'Run', Session: 'Session', Agent: 'Agent' } as const;
export type RememberScope = (typeof RememberScope)[keyof typeof RememberScope];

export const ApprovalRequest = Type.Object(
  {
    tool: Type.Optional(Type.String({ description: 'The tool the agent wants to call.' })),
    command: Type.Optional(Type.String({ description: 'The command line (RunCommand).' })),
    path: Type.Optional(Type.String({ description: 'The file path concerned.' })),
    url: Type.Optional(Type.String({ description: 'The URL or host reached.' })),
    summary: Type.Optional(Type.String({ description: 'One line shown in lists, e.g. "npm install jsonwebtoken@9".' })),
    details: Type.Optional(Type.String({ description: 'Longer explanation: the plan, the question, the diff excerpt.' })),
  },
  { description: 'What is being asked.', additionalProperties: false },
);

export const ApprovalDecision = Type.Object(
  {
    verdict: closedSet(ApprovalVerdict, 'The decision.'),
    by: Type.Optional(Type.String({ description: 'Who decided; the server records the authenticated identity, never a claimed name.' })),
    reason: Type.Optional(Type.String({ description: 'Why; given to the agent with a rejection.' })),
    remember: Type.Optional(
      Type.Object(
        {
          scope: closedSet(RememberScope, 'How widely the remembered rule applies.'),
          pattern: Type.Optional(ApprovalMatch),
        },
        { description: 'Opt-in: also write a rule into the ApprovalPolicy so matching requests are decided the same way.', additionalProperties: false },
      ),
    ),
  },
  { description: 'The decision, written by `sidekick approve|deny`; a decision is final.', additionalProperties: false },
);

export const ApprovalSpec = Type.Object(
  {
    session: Type.String({ minLength: 1, description: 'The Session the approval belongs to.' }),
    run: Type.Optional(Type.String({ description: 'The Run that asks (unset for workflow gates).' })),
    workflow: Type.Optional(Type.String({ description: 'The Workflow that asks, with phase.' })),
    phase: Type.Optional(Type.String({ description: 'The workflow phase that asks.' })),
    category: closedSet(ApprovalCategory, 'Why the approval was raised.'),
    request: Type.Optional(ApprovalRequest),
    expiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'When an undecided approval expires.' })),
    onExpiry: closedSet(ExpiryAction, 'What expiry decides.', { default: ExpiryAction.Reject }),
    decision: Type.Optional(ApprovalDecision),
  },
  { description: 'The request and, once made, its decision.', additionalProperties: false },
);

export const ApprovalStatus = Type.Object(
  {
    phase: Type.Optional(closedSet(ApprovalPhase, 'Where the approval is: Pending until decided, expired or canceled.')),
    decidedBy: Type.Optional(Type.String({ description: 'The authenticated identity (or rule) that decided.' })),
    decidedAt: Type.Optional(Type.String({ format: 'date-time', description: 'When the decision was recorded.' })),
    rule: Type.Optional(Type.String({ description: 'The ApprovalPolicy rule that decided, as <policy>/<index>, when a remembered rule decided.' })),
    message: Type.Optional(Type.String({ description: 'Human-readable detail.' })),
    observedGeneration: Type.Optional(Type.Integer({ description: 'The spec generation this status reflects.' })),
    conditions: Type.Optional(Conditions),
  },
  { description: 'What controllers observed about the approval.' },
);

export const Approval = defineKind({
  kind: 'Approval',
  plural: 'approvals',
  shortNames: ['apr'],
  categories: ['all', 'sidekicks'],
  description: 'A human-in-the-loop gate raised by a run (or workflow); decided by a person or a rule.',
  spec: ApprovalSpec,
  status: ApprovalStatus,
  immutableFields: ['spec.session', 'spec.run', 'spec.workflow', 'spec.phase', 'spec.category', 'spec.request'],
  // A decision is final: a second one (or taking one back) is refused.
  finalFields: ['spec.decision'],
  // `get approvals --field-selector status.phase=Pending` (kubectl's too) and a run's approvals.
  selectableFields: ['spec.session', 'spec.run', 'status.phase'],
  printerColumns: [
    { name: 'Run', type: 'string', jsonPath: '.spec.run' },
    { name: 'Category', type: 'string', jsonPath: '.spec.category' },
    { name: 'Summary', type: 'string', jsonPath: '.spec.request.summary' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Decided By', type: 'string', jsonPath: '.status.decidedBy', priority: 1 },
    { name: 'Expires', type: 'date', jsonPath: '.spec.expiresAt', priority: 1 },
  ],
});
export type Approval = ObjectOf<typeof Approval>;
export type ApprovalSpec = Static<typeof ApprovalSpec>;
export type ApprovalStatus = Static<typeof ApprovalStatus>;
