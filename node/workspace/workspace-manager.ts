/**
 * The WorkspaceManager makes, finishes and retires run workspaces (DOMAIN.md, Workspaces). Every
 * path and branch is derived from the run, so each call is safe to repeat after a crash (a branch
 * an earlier run of the same name left gets the next free numeric suffix; the run's status then
 * records the branch it got); a mode that cannot be honoured is an error, never a different mode.
 */
import { mkdir, realpath, rm } from 'node:fs/promises';
import path from 'node:path';
import { prepareBranch } from './checkout.js';
import { prepareClone } from './clone.js';
import { WorkspaceError } from './errors.js';
import { checkCopyGlobs } from './copy-files.js';
import { commitAndDiff } from './finish.js';
import { SimpleGitRunner, type Git } from './git.js';
import { KeyedLock } from '../../api/keyed-lock.js';
import { DefaultBranchPrefix, isInside, runBranch, workspaceDir } from './layout.js';
import { checkBranchName, inspectMount, resolveCommit } from './repo.js';
import { chooseRunBranch, deleteRunBranch, prepareWorktree, removeWorktree } from './worktree.js';
import type {
  BranchTarget,
  CleanupPolicy,
  DeleteBranchResult,
  FinishRequest,
  FinishResult,
  MountInfo,
  MountSpec,
  PrepareRequest,
  RetireMoment,
  RetireResult,
  RetireTarget,
  Workspace,
} from './workspace.js';

export interface WorkspaceManagerOptions {
  /** `$SIDEKICK_HOME/worktrees`: worktrees, clones and scratch dirs live below it. */
  worktreesRoot: string;
  git?: Git;
}

/** Prepares, finishes and retires the workspaces runs work in. */
export class WorkspaceManager {
  private readonly worktreesRoot: string;
  private readonly git: Git;
  private readonly repoLock = new KeyedLock();

  constructor(opts: WorkspaceManagerOptions) {
    this.worktreesRoot = path.resolve(opts.worktreesRoot);
    this.git = opts.git ?? new SimpleGitRunner();
  }

  /** Inspects a mount path: canonical root, git or not, branch, HEAD and dirtiness. */
  inspectMount(mountPath: string): Promise<MountInfo> {
    return inspectMount(this.git, mountPath);
  }

  /** Makes (or finds again) the workspace a run asks for. Throws WorkspaceError when it cannot. */
  async prepare(req: PrepareRequest): Promise<Workspace> {
    if (req.mode === 'Scratch') return this.prepareScratch(req);
    if (!req.mount) throw new WorkspaceError('InvalidSpec', `mode ${req.mode} needs a repoMount; runs without one use Scratch`);
    const spec = req.mount;
    checkCopyGlobs(spec.copyFiles ?? []);
    // Only Branch mode switches the main checkout, so only it cares whether that checkout is dirty.
    const mount = await inspectMount(this.git, spec.path, { status: req.mode === 'Branch' });
    if (req.mode === 'ReadOnly') {
      return { mode: 'ReadOnly', path: mount.root, readOnly: true, branch: mount.branch, baseCommit: mount.headCommit, headCommit: mount.headCommit, mountRoot: mount.root };
    }
    if (!mount.isGit) {
      throw new WorkspaceError(
        'ModeNotSupported',
        `${spec.path} is not a git repository: mode ${req.mode} needs one. Mount a plain directory ReadOnly, or run without a repoMount (Scratch)`,
      );
    }
    return this.repoLock.run(mount.root, async () => {
      if (req.mode === 'Branch') {
        if (!spec.branch) throw new WorkspaceError('InvalidSpec', 'spec.branch: required for Branch mode');
        await checkBranchName(this.git, mount.root, spec.branch);
        return prepareBranch(this.git, { mount, branch: spec.branch, baseRef: spec.baseRef ?? 'HEAD' });
      }
      const derived = runBranch(req.run, spec.branchPrefix ?? DefaultBranchPrefix);
      await checkBranchName(this.git, mount.root, req.branch ?? derived);
      const dir = this.dirFor(req);
      const baseCommit = await this.baseCommit(mount, spec);
      const plan = { mountRoot: mount.root, dir, branch: req.branch ?? derived, baseCommit, copyFiles: spec.copyFiles ?? [] };
      if (req.mode !== 'Worktree') return prepareClone(this.git, plan);
      // Only a worktree's branch lives in the mount's repository (a clone's goes with the clone),
      // so only it can find the derived name taken by an earlier run's branch.
      if (!req.branch) plan.branch = await chooseRunBranch(this.git, mount.root, derived, dir, baseCommit);
      return prepareWorktree(this.git, plan);
    });
  }

  /**
   * Commits the run's changes with its trailers and returns the base...head diff and stats.
   * ReadOnly and Scratch workspaces have nothing to commit and report an empty diff.
   */
  async finish(ws: Workspace, req: FinishRequest): Promise<FinishResult> {
    if (ws.mode === 'ReadOnly' || ws.mode === 'Scratch') {
      return { baseCommit: ws.baseCommit, headCommit: ws.headCommit, diff: Buffer.alloc(0), stats: { files: 0, insertions: 0, deletions: 0 } };
    }
    return commitAndDiff(this.git, ws, req);
  }

  /**
   * Removes a workspace when the mount's cleanup policy says so at this moment: OnRunComplete at
   * either moment, OnDelete when the run is deleted, Manual never. An EphemeralClone is disposable
   * and goes at completion unless Manual. Branches are always kept; already gone is success.
   */
  async retire(target: RetireTarget, policy: CleanupPolicy, moment: RetireMoment = 'RunDeleted'): Promise<RetireResult> {
    if (target.mode === 'ReadOnly' || target.mode === 'Branch') return { retired: false };
    const due = policy === 'OnRunComplete' || (policy === 'OnDelete' && (moment === 'RunDeleted' || target.mode === 'EphemeralClone'));
    if (!due) return { retired: false };
    const dir = await this.ownedDir(target.path);
    if (target.mode === 'Worktree') {
      const mountRoot = target.mountRoot;
      await (mountRoot ? this.repoLock.run(mountRoot, () => removeWorktree(this.git, mountRoot, dir)) : removeWorktree(this.git, undefined, dir));
    } else {
      await rm(dir, { recursive: true, force: true });
    }
    return { retired: true };
  }

  /** Deletes a deleted run's branch if it is still only the run's work (see deleteRunBranch). */
  deleteBranch(target: BranchTarget): Promise<DeleteBranchResult> {
    return this.repoLock.run(target.mountRoot, () => deleteRunBranch(this.git, target));
  }

  private async prepareScratch(req: PrepareRequest): Promise<Workspace> {
    if (req.mount) throw new WorkspaceError('ModeNotSupported', 'Scratch is for runs without a repoMount; a mount is used in its own mode');
    const dir = this.dirFor(req);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return { mode: 'Scratch', path: await realpath(dir), readOnly: false };
  }

  private dirFor(req: PrepareRequest): string {
    return workspaceDir(this.worktreesRoot, req.run);
  }

  /** Resolves the base ref (default: the checkout's current branch) to a commit. */
  private async baseCommit(mount: MountInfo, spec: MountSpec): Promise<string> {
    const baseRef = spec.baseRef ?? mount.branch;
    if (!baseRef) {
      throw new WorkspaceError('DetachedHead', `${mount.root} is on a detached HEAD, so there is no branch to start from; set spec.baseRef`);
    }
    const commit = await resolveCommit(this.git, mount.root, baseRef);
    if (!commit) throw new WorkspaceError('BaseRefNotFound', `base ref ${baseRef} does not name a commit in ${mount.root}`);
    return commit;
  }

  /**
   * Returns the target's path if it is a `<namespace>/<run>-<uid8>` directory under the worktrees
   * root. WARNING: retiring deletes directories; a corrupted status pointing at the user's
   * repository (or at a whole namespace) must not be one of them.
   */
  private async ownedDir(target: string): Promise<string> {
    const root = await realpath(this.worktreesRoot).catch(() => this.worktreesRoot);
    const parent = await realpath(path.dirname(path.resolve(target))).catch(() => path.dirname(path.resolve(target)));
    const dir = path.join(parent, path.basename(target));
    if (!isInside(root, dir) || path.relative(root, dir).split(path.sep).length !== 2) {
      throw new WorkspaceError('InvalidSpec', `refusing to retire ${target}: it is not a workspace under ${this.worktreesRoot}`);
    }
    return dir;
  }
}
