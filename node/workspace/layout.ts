/**
 * Derived names: a run's workspace path and branch come from its namespace, names and uid, so a
 * retry after a crash finds what an earlier try made, and two runs never share either.
 */
import path from 'node:path';
import { WorkspaceError } from './errors.js';
import type { RunRef } from './workspace.js';

export const DefaultBranchPrefix = 'sidekicks/';

// Kubernetes names are DNS subdomains; anything else (a slash, `..`) must not reach a path.
const safeName = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** Returns the first 8 characters of a uid (hyphens dropped): short, yet unique per run. */
export function uid8(uid: string): string {
  const short = uid.replace(/-/g, '').toLowerCase().slice(0, 8);
  if (!/^[a-z0-9]{8}$/.test(short)) throw new WorkspaceError('InvalidSpec', `run uid ${JSON.stringify(uid)} is not a uid`);
  return short;
}

/** Returns `<worktreesRoot>/<namespace>/<run>-<uid8>`, the directory of a run's worktree, clone or scratch. */
export function workspaceDir(worktreesRoot: string, run: RunRef): string {
  for (const [field, value] of [['namespace', run.namespace], ['name', run.name]] as const) {
    if (!safeName.test(value) || value.includes('..')) {
      throw new WorkspaceError('InvalidSpec', `run ${field} ${JSON.stringify(value)} is not a valid name`);
    }
  }
  return path.join(worktreesRoot, run.namespace, `${run.name}-${uid8(run.uid)}`);
}

/** Returns `<branchPrefix><session>/<run>`, the branch a Worktree or EphemeralClone run commits to. */
export function runBranch(run: RunRef, branchPrefix: string = DefaultBranchPrefix): string {
  return `${branchPrefix}${run.session}/${run.name}`;
}

/** Whether `child` is strictly inside `parent` (both absolute, already canonical). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}
