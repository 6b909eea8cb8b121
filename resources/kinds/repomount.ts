/** RepoMount: a git repository (or plain directory) bound to a session, with an execution mode. */
import { Type, type Static } from '@sinclair/typebox';
import { Conditions } from '../meta.js';
import { defineKind, type ObjectOf } from '../scheme.js';
import { IsolationPolicyField, StringMap, WorkspaceMode, closedSet } from './common.js';

export const RepoMountPhase = { Attached: 'Attached', Detached: 'Detached' } as const;
export type RepoMountPhase = (typeof RepoMountPhase)[keyof typeof RepoMountPhase];

export const WorktreeCleanup = { OnRunComplete: 'OnRunComplete', OnDelete: 'OnDelete', Manual: 'Manual' } as const;
export type WorktreeCleanup = (typeof WorktreeCleanup)[keyof typeof WorktreeCleanup];

/** The operators of a node selector's matchExpressions (Kubernetes' LabelSelectorOperator). */
export const SelectorOperator = { In: 'In', NotIn: 'NotIn', Exists: 'Exists', DoesNotExist: 'DoesNotExist' } as const;
export type SelectorOperator = (typeof SelectorOperator)[keyof typeof SelectorOperator];

/** A Kubernetes label selector (metav1.LabelSelector) over RuntimeNode labels. */
export const NodeSelector = Type.Object(
  {
    matchLabels: Type.Optional(StringMap('Labels a node must carry with exactly these values.')),
    matchExpressions: Type.Optional(
      Type.Array(
        Type.Object(
          {
            key: Type.String({ minLength: 1, description: 'The label key.' }),
            operator: closedSet(SelectorOperator, 'In, NotIn, Exists or DoesNotExist.'),
            values: Type.Optional(Type.Array(Type.String(), { description: 'Values for In and NotIn; empty for Exists and DoesNotExist.' })),
          },
          { description: 'A requirement on one label.', additionalProperties: false },
        ),
        { description: 'Requirements on node labels; all must hold.' },
      ),
    ),
  },
  { description: 'Which RuntimeNodes hold the repository, by their labels (all requirements must hold; an empty selector matches every node).', additionalProperties: false },
);
export type NodeSelector = Static<typeof NodeSelector>;

export const RepoMountSpec = Type.Object(
  {
    session: Type.String({ minLength: 1, description: 'The Session this mount belongs to.' }),
    path: Type.String({ minLength: 1, description: 'Absolute path of the local repository or directory on the machine that runs the session.' }),
    mode: closedSet(WorkspaceMode, 'How runs work in the repository: ReadOnly, Branch (the checkout itself, no isolation), Worktree (a git worktree per run), EphemeralClone (a clone deleted at completion).', { default: WorkspaceMode.Worktree }),
    baseRef: Type.Optional(Type.String({ description: 'Ref worktrees and clones start from; the current HEAD branch when unset.' })),
    branch: Type.Optional(Type.String({ description: 'The branch runs work on in Branch mode.' })),
    branchPrefix: Type.String({ default: 'sidekicks/', description: 'Prefix of run branches: <branchPrefix><session>/<run>.' }),
    copyFiles: Type.Optional(Type.Array(Type.String(), { description: 'Globs of untracked files (such as .env) copied into each worktree.' })),
    cleanup: closedSet(WorktreeCleanup, 'When run worktrees are retired (branches are kept).', { default: WorktreeCleanup.OnDelete }),
    isolation: Type.Optional(IsolationPolicyField),
    nodeName: Type.Optional(Type.String({ minLength: 1, description: 'The RuntimeNode that holds the repository at `path`; on a control plane runs using the mount are scheduled only there. Unset on a daemon.' })),
    nodeSelector: Type.Optional(NodeSelector),
  },
  { description: 'What the user wants from the mount.', additionalProperties: false },
);

export const RepoMountStatus = Type.Object(
  {
    phase: Type.Optional(closedSet(RepoMountPhase, 'Whether the path is reachable and usable.')),
    message: Type.Optional(Type.String({ description: 'Why the mount is detached.' })),
    root: Type.Optional(Type.String({ description: 'Canonical path of the repository root.' })),
    isGit: Type.Optional(Type.Boolean({ description: 'true when the path is a git repository.' })),
    headCommit: Type.Optional(Type.String({ description: 'Commit of the base ref when last observed.' })),
    worktrees: Type.Optional(Type.Integer({ minimum: 0, description: 'Run worktrees currently present.' })),
    observedGeneration: Type.Optional(Type.Integer({ description: 'The spec generation this status reflects.' })),
    conditions: Type.Optional(Conditions),
  },
  { description: 'What controllers observed about the mount.' },
);

export const RepoMount = defineKind({
  kind: 'RepoMount',
  plural: 'repomounts',
  shortNames: ['rm'],
  categories: ['all', 'sidekicks'],
  description: 'A git repository (or plain directory) bound to a session, with an execution mode.',
  spec: RepoMountSpec,
  status: RepoMountStatus,
  immutableFields: ['spec.session', 'spec.path'],
  printerColumns: [
    { name: 'Session', type: 'string', jsonPath: '.spec.session' },
    { name: 'Path', type: 'string', jsonPath: '.spec.path' },
    { name: 'Mode', type: 'string', jsonPath: '.spec.mode' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Node', type: 'string', jsonPath: '.spec.nodeName', priority: 1 },
    { name: 'Worktrees', type: 'integer', jsonPath: '.status.worktrees', priority: 1 },
    { name: 'Head', type: 'string', jsonPath: '.status.headCommit', priority: 1 },
  ],
});
export type RepoMount = ObjectOf<typeof RepoMount>;
export type RepoMountSpec = Static<typeof RepoMountSpec>;
export type RepoMountStatus = Static<typeof RepoMountStatus>;
