/**
 * The shapes the Run controller exchanges with the WorkspaceManager: what it asks for, what it
 * gets back, and what finishing and retiring report.
 */
import { WorkspaceMode } from '../../resources/kinds/common.js';

/**
 * How a run's workspace is made: the RepoMount modes plus `Scratch`, an empty directory for runs
 * without a repoMount (never a substitute for a mount that cannot be used).
 */
export const WorkspaceKind = { ...WorkspaceMode, Scratch: 'Scratch' } as const;
export type WorkspaceKind = (typeof WorkspaceKind)[keyof typeof WorkspaceKind];

/** The mount's `cleanup` policy (RepoMount.spec.cleanup). */
export const CleanupPolicy = { OnRunComplete: 'OnRunComplete', OnDelete: 'OnDelete', Manual: 'Manual' } as const;
export type CleanupPolicy = (typeof CleanupPolicy)[keyof typeof CleanupPolicy];

/** The moment the controller asks to retire a workspace; the policy decides whether it goes. */
export const RetireMoment = { RunCompleted: 'RunCompleted', RunDeleted: 'RunDeleted' } as const;
export type RetireMoment = (typeof RetireMoment)[keyof typeof RetireMoment];

/** The run a workspace belongs to; its names and uid derive the workspace's path and branch. */
export interface RunRef {
  namespace: string;
  name: string;
  uid: string;
  session: string;
}

/** The parts of a RepoMount spec that shape a workspace. */
export interface MountSpec {
  path: string;
  /** Defaults to the checkout's current branch. */
  baseRef?: string;
  /** Required for `Branch` mode. */
  branch?: string;
  /** Defaults to `sidekicks/`. */
  branchPrefix?: string;
  /** Globs of untracked files (such as `.env`) copied from the checkout into each worktree. */
  copyFiles?: string[];
}

export interface PrepareRequest {
  run: RunRef;
  mode: WorkspaceKind;
  /** Absent for runs without a repoMount (mode must then be `Scratch`). */
  mount?: MountSpec;
  /**
   * Worktree mode: the branch the run's status records from an earlier pass, used as is (a
   * restart or resume goes on where the run was). Absent for a new run: its branch is derived,
   * with a numeric suffix when an earlier run's branch has the derived name.
   */
  branch?: string;
}

/** A prepared workspace: where the agent works, and the git facts the run's status reports. */
export interface Workspace {
  mode: WorkspaceKind;
  /** Directory the agent works in (canonical). */
  path: string;
  readOnly: boolean;
  branch?: string;
  /** The commit the workspace started from: the diff base at completion. */
  baseCommit?: string;
  headCommit?: string;
  /** Canonical root of the mounted checkout; absent for Scratch. Retiring a worktree needs it. */
  mountRoot?: string;
}

/** What `inspectMount` observed about a mounted path. */
export interface MountInfo {
  /** Canonical root: the repository's top level for git, the real path otherwise. */
  root: string;
  isGit: boolean;
  /** Current branch (short name); absent when detached or not git. */
  branch?: string;
  detached: boolean;
  /** Absent for a plain directory or a repository without commits. */
  headCommit?: string;
  /** Uncommitted changes or untracked files (ignored files do not count); absent when not checked. */
  dirty?: boolean;
}

export interface FinishRequest {
  runUid: string;
  agentName: string;
  message: string;
}

export interface DiffStats {
  files: number;
  insertions: number;
  deletions: number;
}

/** The outcome of finishing a run: its commit (if any) and the base...head diff. */
export interface FinishResult {
  /** The commit made for the run's changes; absent when there was nothing to commit. */
  commit?: string;
  baseCommit?: string;
  headCommit?: string;
  /** `git diff --binary` of base...head, as bytes (files need not be UTF-8). Empty when unchanged. */
  diff: Buffer;
  stats: DiffStats;
}

/** What retiring needs; a Workspace satisfies it. */
export interface RetireTarget {
  mode: WorkspaceKind;
  path: string;
  mountRoot?: string;
}

export interface RetireResult {
  /** True when the workspace directory is gone (removed now or earlier); false when kept. */
  retired: boolean;
}

/** A run's branch in its mount's repository, to delete when the run is deleted and asked so. */
export interface BranchTarget {
  /** Canonical root of the mounted checkout. */
  mountRoot: string;
  branch: string;
  /** The run's uid: its commits carry `Agent-Run: <uid>`. */
  runUid: string;
  /** The commit the run started from (a run that committed nothing left its branch there). */
  baseCommit?: string;
}

export interface DeleteBranchResult {
  deleted: boolean;
  /** Why the branch was kept (checked out, or holding commits that are not the run's). */
  kept?: string;
}
