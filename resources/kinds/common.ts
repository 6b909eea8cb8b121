/** Schema pieces shared by several kinds. */
import { Type, type Static, type TUnion, type TLiteral } from '@sinclair/typebox';

/** A closed set (an `as const` object) as a string-literal union schema with a description. */
export function closedSet<T extends Record<string, string>>(set: T, description: string, extra: object = {}): TUnion<TLiteral<T[keyof T]>[]> {
  return Type.Union(
    Object.values(set).map((v) => Type.Literal(v as T[keyof T])),
    { description: `${description} One of: ${Object.values(set).join(', ')}.`, ...extra },
  );
}

export const WorkspaceMode = {
  ReadOnly: 'ReadOnly',
  Branch: 'Branch',
  Worktree: 'Worktree',
  EphemeralClone: 'EphemeralClone',
} as const;
export type WorkspaceMode = (typeof WorkspaceMode)[keyof typeof WorkspaceMode];

export const Budget = Type.Object(
  {
    tokens: Type.Optional(Type.Integer({ minimum: 0, description: 'Token budget.' })),
    usd: Type.Optional(Type.Number({ minimum: 0, description: 'Cost budget in US dollars.' })),
    turns: Type.Optional(Type.Integer({ minimum: 1, description: "Model turns (for a run, at most the agent's maxTurns)." })),
  },
  { description: 'A token, cost and/or turn budget.', additionalProperties: false },
);

/** The role a participant holds in a session (DOMAIN.md, Control plane, people and trust). */
export const SessionRole = {
  Owner: 'Owner',
  Collaborator: 'Collaborator',
  Viewer: 'Viewer',
  RuntimeContributor: 'RuntimeContributor',
} as const;
export type SessionRole = (typeof SessionRole)[keyof typeof SessionRole];

/** Whether a person is reachable: heartbeat every 15 s, Reconnecting after a missed beat, Offline after 45 s. */
export const Presence = {
  Online: 'Online',
  Idle: 'Idle',
  Reconnecting: 'Reconnecting',
  Offline: 'Offline',
} as const;
export type Presence = (typeof Presence)[keyof typeof Presence];

/** The agent drivers a Run can be reconciled into. */
export const Driver = {
  Scripted: 'Scripted',
  OpenAI: 'OpenAI',
  Claude: 'Claude',
  Codex: 'Codex',
} as const;
export type Driver = (typeof Driver)[keyof typeof Driver];

/** Why an Approval was raised (DOMAIN.md, Approvals). */
export const ApprovalCategory = {
  ToolExecution: 'ToolExecution',
  FileWrite: 'FileWrite',
  NetworkAccess: 'NetworkAccess',
  DestructiveGit: 'DestructiveGit',
  UserInput: 'UserInput',
  PlanApproval: 'PlanApproval',
  McpElicitation: 'McpElicitation',
  Gate: 'Gate',
  HumanPhaseContribution: 'HumanPhaseContribution',
} as const;
export type ApprovalCategory = (typeof ApprovalCategory)[keyof typeof ApprovalCategory];

/** What a driver can do; what it does not declare is not offered to users. */
export const DriverCapabilities = Type.Object(
  {
    resume: Type.Optional(Type.Boolean({ description: 'Can continue a run from its persisted transcript after a pause or restart.' })),
    steer: Type.Optional(Type.Boolean({ description: 'Can take steer text mid-turn (otherwise a steer is delivered after the turn, reported Degraded).' })),
    interactiveRequests: Type.Optional(Type.Boolean({ description: 'Can ask the user for approvals and input.' })),
    toolCalls: Type.Optional(Type.Boolean({ description: 'Can call the local tools.' })),
    reasoningStream: Type.Optional(Type.Boolean({ description: 'Streams its reasoning (journalled as assistant.thinking).' })),
  },
  { description: 'Capabilities of an agent driver.', additionalProperties: false },
);

/** What an approval rule matches; every field given must match (globs for command and path). */
export const ApprovalMatch = Type.Object(
  {
    tool: Type.Optional(Type.String({ description: 'Tool name, e.g. RunCommand.' })),
    command: Type.Optional(Type.String({ description: 'Glob over the command line, e.g. "npm test*".' })),
    path: Type.Optional(Type.String({ description: 'Glob over the file path, relative to the workspace.' })),
    host: Type.Optional(Type.String({ description: 'Network host the action reaches, e.g. registry.npmjs.org.' })),
  },
  { description: 'What an approval rule applies to; all given fields must match.', additionalProperties: false },
);

/** A string-to-string map, such as labels or workflow parameters. */
export function StringMap(description: string) {
  return Type.Record(Type.String(), Type.String(), { description });
}

/** How strictly a run must be sandboxed (Agent and RepoMount `spec.isolation`). */
export const IsolationPolicy = { Required: 'Required', BestEffort: 'BestEffort', Off: 'Off' } as const;
export type IsolationPolicy = (typeof IsolationPolicy)[keyof typeof IsolationPolicy];

/** `spec.isolation` of an Agent or RepoMount. */
export const IsolationPolicyField = closedSet(
  IsolationPolicy,
  'Whether runs must run in an OS sandbox (bubblewrap on Linux): Required fails a run with reason IsolationUnavailable when no sandbox can be made; BestEffort runs unsandboxed then and says so in status.isolation; Off never sandboxes. The stricter of the agent\'s and the repo mount\'s wins; when neither is set: Required on Linux, BestEffort elsewhere.',
);

/** Whether a run's agent processes run in an OS sandbox. */
export const IsolationMode = { Sandboxed: 'Sandboxed', Unsandboxed: 'Unsandboxed' } as const;
export type IsolationMode = (typeof IsolationMode)[keyof typeof IsolationMode];

/**
 * What the network looks like to a run's commands: `PerCall` (none, except for a command approved
 * as NetworkAccess: the kernel enforces it), `Provider` (the agent's CLI reaches its model API, and
 * so do the commands it runs itself), `Open` (unsandboxed).
 */
export const NetworkIsolation = { PerCall: 'PerCall', Provider: 'Provider', Open: 'Open' } as const;
export type NetworkIsolation = (typeof NetworkIsolation)[keyof typeof NetworkIsolation];

/** Run `status.isolation`: the isolation actually in effect. */
export const IsolationStatus = Type.Object(
  {
    mode: closedSet(IsolationMode, 'Whether the agent processes run in an OS sandbox.'),
    mechanism: Type.String({ description: 'The sandbox mechanism (bubblewrap), or none.' }),
    network: closedSet(NetworkIsolation, 'What the network looks like to the agent\'s commands.'),
    message: Type.Optional(Type.String({ description: 'Why the run is unsandboxed, when it is.' })),
  },
  { description: 'The isolation in effect for the run\'s driver and commands.', additionalProperties: false },
);
export type IsolationStatus = Static<typeof IsolationStatus>;
