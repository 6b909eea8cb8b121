/**
 * The RepoMount reconciler: resolves the mount's path to its canonical root, tells git
 * repositories from plain directories, records the head commit and the run worktrees present,
 * and says whether the mode can work there (a plain directory is ReadOnly only).
 */
import type { Store } from '../../api/store/store.js';
import type { RepoMount } from '../../resources/kinds/repomount.js';
import { setCondition } from '../../resources/conditions.js';
import type { ObjectKey, Reconciler, Result } from '../runtime/controller.js';
import { updateStatusIfChanged } from '../runtime/update-status.js';

export interface MountObservation {
  root: string;
  isGit: boolean;
  headCommit?: string;
  detached: boolean;
  /** Worktrees on branches under the mount's branch prefix. */
  worktrees: number;
}

/** Observes a mounted path; throws an error with `reason` (PathNotFound, ...) when it cannot. */
export interface MountInspector {
  inspect(path: string, branchPrefix: string): Promise<MountObservation>;
}

const REFRESH_MS = 30_000;
/**
 * A detached mount is looked at again sooner: runs wait Queued for it (RepoMountNotReady), and
 * creating the missing path or `git init` there should start them within seconds. One stat (or
 * one git rev-parse) per detached mount every few seconds.
 */
const DETACHED_REFRESH_MS = 2_000;

export class RepoMountReconciler implements Reconciler {
  constructor(private readonly d: { store: Store; inspector: MountInspector }) {}

  async reconcile(key: ObjectKey): Promise<Result> {
    const mount = await this.d.store.find<RepoMount>('repomounts', key.namespace, key.name);
    if (!mount || mount.metadata.deletionTimestamp) return {};
    const generation = mount.metadata.generation ?? 1;
    let status: NonNullable<RepoMount['status']>;
    try {
      const seen = await this.d.inspector.inspect(mount.spec.path, mount.spec.branchPrefix ?? 'sidekicks/');
      const unusable = !seen.isGit && mount.spec.mode !== 'ReadOnly';
      const message = unusable
        ? `${seen.root} is not a git repository: mode ${mount.spec.mode} needs one (use mode ReadOnly for a plain directory)`
        : seen.isGit
          ? `git repository at ${seen.root}${seen.headCommit ? ` (HEAD ${seen.headCommit.slice(0, 7)}${seen.detached ? ', detached' : ''})` : ''}`
          : `directory ${seen.root} (read-only)`;
      status = {
        phase: unusable ? 'Detached' : 'Attached',
        ...(unusable ? { message } : {}),
        root: seen.root,
        isGit: seen.isGit,
        ...(seen.headCommit ? { headCommit: seen.headCommit } : {}),
        worktrees: seen.worktrees,
        observedGeneration: generation,
        conditions: setCondition(mount.status?.conditions, { type: 'Ready', status: unusable ? 'False' : 'True', reason: unusable ? 'ModeNotSupported' : seen.isGit ? 'GitRepository' : 'PlainDirectory', message }, generation),
      };
    } catch (err) {
      const reason = (err as { reason?: string }).reason ?? 'InspectFailed';
      const message = (err as Error).message;
      status = {
        phase: 'Detached',
        message,
        observedGeneration: generation,
        conditions: setCondition(mount.status?.conditions, { type: 'Ready', status: 'False', reason, message }, generation),
      };
    }
    return (await updateStatusIfChanged(this.d.store, 'repomounts', mount, status)) ?? { requeueAfterMs: status.phase === 'Detached' ? DETACHED_REFRESH_MS : REFRESH_MS };
  }
}
