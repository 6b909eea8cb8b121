/**
 * Why a workspace could not be inspected, prepared, finished or retired. The Run controller maps
 * every one of these to a run that fails in `Starting` (failure category `Workspace`) with the
 * reason copied into `status.reason`; callers test `reason`, not the message.
 */
export const WorkspaceErrorReason = {
  PathNotFound: 'PathNotFound',
  NotADirectory: 'NotADirectory',
  NotAGitRepository: 'NotAGitRepository',
  BaseRefNotFound: 'BaseRefNotFound',
  DetachedHead: 'DetachedHead',
  DirtyCheckout: 'DirtyCheckout',
  BranchExists: 'BranchExists',
  BranchInUse: 'BranchInUse',
  PathInUse: 'PathInUse',
  WorktreeFailed: 'WorktreeFailed',
  CloneFailed: 'CloneFailed',
  CheckoutFailed: 'CheckoutFailed',
  BranchMoved: 'BranchMoved',
  CopyFailed: 'CopyFailed',
  CommitFailed: 'CommitFailed',
  ModeNotSupported: 'ModeNotSupported',
  InvalidSpec: 'InvalidSpec',
  GitFailed: 'GitFailed',
} as const;
export type WorkspaceErrorReason = (typeof WorkspaceErrorReason)[keyof typeof WorkspaceErrorReason];

/** A workspace operation that failed for a reason a person can act on; the message says how. */
export class WorkspaceError extends Error {
  readonly reason: WorkspaceErrorReason;

  constructor(reason: WorkspaceErrorReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WorkspaceError';
    this.reason = reason;
  }
}
