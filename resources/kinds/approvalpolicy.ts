/** ApprovalPolicy: defaults and remembered rules — what is allowed, denied or asked, per category. */
import { Type, type Static } from '@sinclair/typebox';
import { Conditions } from '../meta.js';
import { defineKind, type ObjectOf } from '../scheme.js';
import { ApprovalCategory, ApprovalMatch, closedSet } from './common.js';

export const PolicyAction = { Allow: 'Allow', Deny: 'Deny', Ask: 'Ask' } as const;
export type PolicyAction = (typeof PolicyAction)[keyof typeof PolicyAction];

/**
 * Categories a default can never allow (DOMAIN.md, Approvals): only a rule naming the request can,
 * which is why a remembered decision of these categories records the request itself, never a pattern.
 */
export const ALWAYS_ASK: ReadonlySet<ApprovalCategory> = new Set([
  ApprovalCategory.FileWrite,
  ApprovalCategory.NetworkAccess,
  ApprovalCategory.DestructiveGit,
  ApprovalCategory.McpElicitation,
]);

/** How widely a remembered decision applies; each scope has its own derived policy name. */
export type RememberedScope = 'Run' | 'Session' | 'Agent';

const REMEMBERED_PREFIX: Record<RememberedScope, string> = { Run: 'remembered-run-', Session: 'remembered-session-', Agent: 'remembered-agent-' };

/** The policy that holds rules remembered for one run, session or agent (`remembered-<scope>-<name>`). */
export function rememberedPolicyName(scope: RememberedScope, name: string): string {
  return `${REMEMBERED_PREFIX[scope]}${name}`;
}

/** The scope and the run, session or agent a remembered policy's name targets, or undefined for other names. */
export function rememberedTarget(policyName: string): { scope: RememberedScope; name: string } | undefined {
  for (const scope of Object.keys(REMEMBERED_PREFIX) as RememberedScope[]) {
    if (policyName.startsWith(REMEMBERED_PREFIX[scope])) return { scope, name: policyName.slice(REMEMBERED_PREFIX[scope].length) };
  }
  return undefined;
}

const categoryAction = (category: string) => Type.Optional(closedSet(PolicyAction, `Default action for ${category} requests.`));
/** One optional action per category, so `explain` lists every category and typos are unknown fields. */
const categoryDefaults = Object.fromEntries(Object.values(ApprovalCategory).map((c) => [c, categoryAction(c)])) as Record<
  ApprovalCategory,
  ReturnType<typeof categoryAction>
>;

export const ApprovalRule = Type.Object(
  {
    category: closedSet(ApprovalCategory, 'The request category the rule applies to.'),
    match: Type.Optional(ApprovalMatch),
    action: closedSet(PolicyAction, 'What the rule decides.'),
    participant: Type.Optional(
      Type.String({ description: 'Who made the rule: the authenticated identity whose decision was remembered; the rule is revoked when their role changes.' }),
    ),
    rememberedAt: Type.Optional(Type.String({ format: 'date-time', description: 'When the decision that made the rule was remembered.' })),
    approval: Type.Optional(Type.String({ description: 'The Approval whose decision made the rule.' })),
    expiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'When the rule stops applying.' })),
  },
  { description: 'A rule: requests of this category matching this pattern get this action.', additionalProperties: false },
);

export const ApprovalPolicySpec = Type.Object(
  {
    session: Type.Optional(Type.String({ description: 'The Session the policy applies to; the whole namespace when unset.' })),
    defaults: Type.Optional(
      Type.Object(categoryDefaults, {
        description: 'Action per category when no rule matches. Categories that always ask (FileWrite, NetworkAccess, DestructiveGit, McpElicitation) ignore Allow.',
        additionalProperties: false,
      }),
    ),
    rules: Type.Optional(Type.Array(ApprovalRule, { description: 'Rules, first match wins; remembered decisions are appended here.' })),
  },
  { description: 'What the policy decides.', additionalProperties: false },
);

export const ApprovalPolicyStatus = Type.Object(
  {
    activeRules: Type.Optional(Type.Integer({ minimum: 0, description: 'Rules neither expired nor revoked.' })),
    observedGeneration: Type.Optional(Type.Integer({ description: 'The spec generation this status reflects.' })),
    conditions: Type.Optional(Conditions),
  },
  { description: 'What controllers observed about the policy.' },
);

export const ApprovalPolicy = defineKind({
  kind: 'ApprovalPolicy',
  plural: 'approvalpolicies',
  shortNames: ['ap'],
  categories: ['all', 'sidekicks'],
  description: 'Defaults and remembered rules: what is allowed, denied or asked, per category.',
  spec: ApprovalPolicySpec,
  status: ApprovalPolicyStatus,
  printerColumns: [
    { name: 'Session', type: 'string', jsonPath: '.spec.session' },
    { name: 'Active Rules', type: 'integer', jsonPath: '.status.activeRules' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
});
export type ApprovalPolicy = ObjectOf<typeof ApprovalPolicy>;
export type ApprovalPolicySpec = Static<typeof ApprovalPolicySpec>;
export type ApprovalPolicyStatus = Static<typeof ApprovalPolicyStatus>;
