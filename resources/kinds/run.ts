/** Run: one unit of agent work, reconciled into a driver process in a workspace. */
import { Type, type Static } from '@sinclair/typebox';
import { Conditions } from '../meta.js';
import { defineKind, type ObjectOf } from '../scheme.js';
import { Budget, IsolationStatus, WorkspaceMode, closedSet } from './common.js';

export const RunPhase = {
  Queued: 'Queued',
  Starting: 'Starting',
  Running: 'Running',
  WaitingForApproval: 'WaitingForApproval',
  WaitingForInput: 'WaitingForInput',
  Paused: 'Paused',
  Completed: 'Completed',
  Interrupted: 'Interrupted',
  Canceled: 'Canceled',
  Failed: 'Failed',
} as const;
export type RunPhase = (typeof RunPhase)[keyof typeof RunPhase];

/**
 * Set to "true" on a run before deleting it (`sidekick delete run NAME --delete-branch`): its
 * finalizer also deletes the run's branch, if it is still only the run's work.
 */
export const DELETE_BRANCH_ANNOTATION = 'sidekicks.dev/delete-branch';

/** The phases a run ends in: it never leaves them (a Cancel ends it for good, an Interrupt that cannot pause too). */
export const TERMINAL_RUN_PHASES: ReadonlySet<string> = new Set([RunPhase.Completed, RunPhase.Interrupted, RunPhase.Canceled, RunPhase.Failed]);

/** True for Completed, Interrupted, Canceled and Failed. */
export function isTerminalPhase(phase: RunPhase | undefined): boolean {
  return phase !== undefined && TERMINAL_RUN_PHASES.has(phase);
}

/** Phases that hold a session slot (count toward maxActiveRuns). */
export function isActivePhase(phase: RunPhase | undefined): boolean {
  return phase !== undefined && phase !== RunPhase.Queued && !isTerminalPhase(phase);
}

export const FailureCategory = {
  Provider: 'Provider',
  Transport: 'Transport',
  Persistence: 'Persistence',
  Workspace: 'Workspace',
  Policy: 'Policy',
  Budget: 'Budget',
  Timeout: 'Timeout',
} as const;
export type FailureCategory = (typeof FailureCategory)[keyof typeof FailureCategory];

export const RunSpec = Type.Object(
  {
    session: Type.String({ description: 'The Session this run belongs to.', minLength: 1 }),
    agent: Type.String({ description: 'The Agent that does the work.', minLength: 1 }),
    repoMount: Type.Optional(Type.String({ description: 'The RepoMount to work in; without one the run works in a scratch directory.' })),
    prompt: Type.String({ description: 'What the agent is asked to do.', minLength: 1 }),
    mode: Type.Optional(closedSet(WorkspaceMode, 'Overrides the RepoMount execution mode for this run.')),
    baseRef: Type.Optional(Type.String({ minLength: 1, description: "Start the worktree from this ref (a branch or commit) instead of the mount's baseRef; workflows set it so a phase builds on an earlier phase's commits." })),
    channel: Type.String({ description: 'The Channel the run publishes to.', default: 'main' }),
    priority: Type.Integer({ description: 'Queue priority: higher first, FIFO within a priority.', default: 0 }),
    suspend: Type.Boolean({ description: 'true pauses the run at a safe point; false resumes it.', default: false }),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, description: 'Idle timeout: no driver output for this long fails the run with reason Timeout.' })),
    budget: Type.Optional(Budget),
    approvalPolicy: Type.Optional(Type.String({ description: 'The ApprovalPolicy that decides tool calls; defaults to the session default.' })),
    parent: Type.Optional(Type.String({ description: 'The parent Run (spawn/delegate link).' })),
    nodeName: Type.Optional(Type.String({ description: 'The RuntimeNode that executes the run (set by the scheduler on a control plane).' })),
  },
  { description: 'What the user wants from the run.', additionalProperties: false },
);

export const RunStatus = Type.Object(
  {
    phase: Type.Optional(
      closedSet(
        RunPhase,
        'Where the run is in its lifecycle. A Queued run waits for a slot or for its session, agent or repo mount (reason says which). Interrupted: an Interrupt whose driver cannot pause, or its parent ended; Canceled: a Cancel intervention ended it for good.',
      ),
    ),
    reason: Type.Optional(Type.String({ description: 'CamelCase reason for the current phase: why a Queued run waits (QueueFull, RepoMountNotReady, AgentNotReady, SessionNotReady, BudgetExhausted) or why a run ended.' })),
    message: Type.Optional(Type.String({ description: 'Human-readable detail of the reason.' })),
    failureCategory: Type.Optional(closedSet(FailureCategory, 'Why a failed run failed.')),
    queuePosition: Type.Optional(Type.Integer({ description: 'Position in the session queue while Queued (1 = next); exact for the first 10, within a fifth further back.' })),
    workspace: Type.Optional(
      Type.Object(
        {
          mode: Type.Optional(closedSet(WorkspaceMode, 'The execution mode used.')),
          path: Type.Optional(Type.String({ description: 'Directory the agent works in.' })),
          branch: Type.Optional(Type.String({ description: 'Branch the run commits to.' })),
          baseCommit: Type.Optional(Type.String({ description: 'Commit the workspace started from.' })),
          headCommit: Type.Optional(Type.String({ description: 'Latest commit in the workspace.' })),
        },
        { description: 'The run workspace.' },
      ),
    ),
    isolation: Type.Optional(IsolationStatus),
    turns: Type.Optional(Type.Integer({ description: 'Model turns taken.' })),
    usage: Type.Optional(
      Type.Object(
        {
          inputTokens: Type.Optional(Type.Integer({ minimum: 0, description: 'Prompt tokens consumed.' })),
          outputTokens: Type.Optional(Type.Integer({ minimum: 0, description: 'Completion tokens produced.' })),
          totalTokens: Type.Optional(Type.Integer({ minimum: 0, description: 'inputTokens + outputTokens (the TOKENS column of `get runs -o wide`).' })),
          costUSD: Type.Optional(Type.Number({ minimum: 0, description: 'Estimated cost in US dollars.' })),
        },
        { description: 'Token and cost usage.' },
      ),
    ),
    pendingApprovals: Type.Optional(Type.Integer({ description: 'Approvals waiting for a decision.' })),
    diff: Type.Optional(
      Type.Object(
        {
          files: Type.Optional(Type.Integer({ minimum: 0, description: 'Files changed.' })),
          insertions: Type.Optional(Type.Integer({ minimum: 0, description: 'Lines added.' })),
          deletions: Type.Optional(Type.Integer({ minimum: 0, description: 'Lines removed.' })),
          artifact: Type.Optional(Type.String({ description: 'The Diff Artifact name.' })),
        },
        { description: 'Diff statistics of the run (base...head).' },
      ),
    ),
    summary: Type.Optional(Type.String({ description: 'Final summary from the agent.' })),
    startedAt: Type.Optional(Type.String({ format: 'date-time', description: 'When the driver started.' })),
    finishedAt: Type.Optional(Type.String({ format: 'date-time', description: 'When the run reached a terminal phase.' })),
    observedGeneration: Type.Optional(Type.Integer({ description: 'The spec generation this status reflects.' })),
    conditions: Type.Optional(Conditions),
  },
  { description: 'What controllers observed about the run.' },
);

export const Run = defineKind({
  kind: 'Run',
  plural: 'runs',
  shortNames: ['run'],
  categories: ['all', 'sidekicks'],
  description: 'One unit of agent work; reconciled into a driver process in a workspace.',
  spec: RunSpec,
  status: RunStatus,
  immutableFields: ['spec.session', 'spec.agent', 'spec.repoMount', 'spec.prompt', 'spec.mode', 'spec.baseRef', 'spec.parent'],
  selectableFields: ['spec.session', 'status.phase', 'spec.nodeName'],
  printerColumns: [
    { name: 'Session', type: 'string', jsonPath: '.spec.session' },
    { name: 'Agent', type: 'string', jsonPath: '.spec.agent' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Reason', type: 'string', jsonPath: '.status.reason', description: 'Why a run waits or how it ended (empty while it runs).' },
    { name: 'Queue', type: 'integer', jsonPath: '.status.queuePosition', description: 'Position in the session queue while Queued (1 = next); exact for the first 10.' },
    { name: 'Turns', type: 'integer', jsonPath: '.status.turns' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Branch', type: 'string', jsonPath: '.status.workspace.branch', priority: 1 },
    { name: 'Node', type: 'string', jsonPath: '.spec.nodeName', priority: 1 },
    { name: 'Tokens', type: 'integer', jsonPath: '.status.usage.totalTokens', description: 'Tokens used: input plus output.', priority: 1 },
  ],
});
export type Run = ObjectOf<typeof Run>;
export type RunSpec = Static<typeof RunSpec>;
export type RunStatus = Static<typeof RunStatus>;
