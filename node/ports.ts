/**
 * The Run controller's side effects, each behind a small interface (STYLE.md §6): workspaces
 * (git), artifact content, and driver processes. Reconciler tests use fakes; the daemon wires the
 * real WorkspaceManager, ArtifactStore and driver supervisor.
 */
import type { BranchTarget, CleanupPolicy, DeleteBranchResult, FinishRequest, FinishResult, PrepareRequest, RetireMoment, RetireResult, RetireTarget, Workspace } from './workspace/workspace.js';
import type { IsolationPolicy, IsolationStatus } from '../resources/kinds/common.js';
import type { AgentConfig, DriverCapabilities, DriverEvent, DriverStartContext, PermissionDecision, ToolCall } from './drivers/contract.js';

/** A run's workspace, as the WorkspaceManager makes it. */
export type WorkspaceInfo = Workspace;

/**
 * What the Run controller asks of workspaces; the WorkspaceManager (./workspace/) implements it
 * with real git, reconciler tests may fake it.
 */
export interface Workspaces {
  /** Creates (or finds, on a retry) the run's workspace. Throws a WorkspaceError with `reason`. */
  prepare(req: PrepareRequest): Promise<Workspace>;
  /** Commits the run's changes with trailers and returns the diff base...head. */
  finish(ws: Workspace, req: FinishRequest): Promise<FinishResult>;
  /** Removes the worktree / clone when the cleanup policy says so at this moment (branches stay). */
  retire(target: RetireTarget, policy: CleanupPolicy, moment: RetireMoment): Promise<RetireResult>;
  /** Deletes a deleted run's branch if it is still only the run's work (`delete --delete-branch`). */
  deleteBranch(target: BranchTarget): Promise<DeleteBranchResult>;
}

/** Content-addressed storage for artifact bodies. */
export interface ArtifactContent {
  put(content: string | Buffer): Promise<{ digest: string; size: number }>;
}

/**
 * What a driver process is launched with: the data of its DriverStartContext (the host adds the
 * tool broker, emit and the abort signal) and the sandbox it must run in.
 */
export interface LaunchRequest extends Pick<DriverStartContext, 'run' | 'prompt' | 'agent' | 'workspace' | 'checkpoint' | 'interruptedCalls'> {
  /** How strictly the run must be sandboxed, when its agent or repo mount says (else the launcher's default). */
  isolation?: IsolationPolicy;
}

/** A live driver process serving one run. */
export interface DriverHandle {
  capabilities: DriverCapabilities;
  send(text: string, source?: 'user' | 'steer'): Promise<void>;
  steer(text: string): Promise<'applied' | 'degraded'>;
  interrupt(): Promise<void>;
  /** Stops the process (and its children). */
  close(): Promise<void>;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  /** The isolation in effect (status.isolation); unset for launchers that do not sandbox. */
  isolation?: IsolationStatus;
}

export interface DriverHooks {
  /** Every normalized event, in order. A crashed process yields one run.failed (Transport). */
  onEvent(event: DriverEvent): void;
  /** Decides a gated tool call; the driver waits for the answer (fail closed on error). */
  onPermission(call: ToolCall): Promise<PermissionDecision>;
}

export interface DriverLauncher {
  launch(req: LaunchRequest, hooks: DriverHooks): Promise<DriverHandle>;
  /** What a driver kind offers, without starting it (for recovery decisions). */
  capabilitiesOf(driver: AgentConfig['driver']): DriverCapabilities;
}
