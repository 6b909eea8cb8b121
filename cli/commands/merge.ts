/** `sidekick merge run/NAME`: brings a finished run's branch into the checkout it was made from. */
import { Command, Option, UsageError } from 'clipanion';
import { ApiCommand } from '../base-command.js';
import type { Run } from '../../resources/kinds/run.js';
import type { RepoMount } from '../../resources/kinds/repomount.js';
import type { Git } from '../../node/workspace/git.js';

export class MergeCommand extends ApiCommand {
  static override paths = [['merge']];
  static override usage = Command.Usage({
    description: "Merge a run's branch into your checkout",
    details: `
      Merges the run's branch (\`status.workspace.branch\`) into the branch checked out in the repository the run's
      RepoMount names (its main checkout, on this machine): a fast-forward when the branch only adds to it, else a
      merge commit. \`--squash\` makes one commit whose message is the run's summary. \`--delete-branch\` deletes the
      run's branch afterwards.

      Refuses, changing nothing, when the run is still active (only Completed, Failed, Interrupted or Paused runs are
      merged), when the checkout has uncommitted changes to tracked files, when another branch than the target is
      checked out, or when the merge would conflict (the conflicting files are named). The target is \`--into\`, else
      the mount's \`spec.baseRef\` when it names a branch, else the branch checked out.

      To review it as a pull request instead, push the branch: \`git push origin BRANCH\`, then \`gh pr create --head BRANCH\`.
    `,
    examples: [
      ['Merge run fix-login into the checked-out branch', 'sidekick merge run/fix-login'],
      ['Squash it into one commit on main and delete its branch', 'sidekick merge run/fix-login --squash --into main --delete-branch'],
    ],
  });

  target = Option.String({ name: 'run/NAME' });
  squash = Option.Boolean('--squash', false, { description: "One commit with the run's summary as its message" });
  into = Option.String('--into', { description: 'The branch to merge into (it must be checked out)' });
  deleteBranch = Option.Boolean('--delete-branch', false, { description: "Delete the run's branch after the merge" });

  async execute(): Promise<number> {
    const { runName } = await import('../interventions/request.js');
    const { RUNS } = await import('../journal/read.js');
    const { mergeBranch, deleteBranch, MergeRefused } = await import('../merge/merge-branch.js');
    const { SimpleGitRunner } = await import('../../node/workspace/git.js');
    const { existsSync } = await import('node:fs');
    const name = runName(this.target);
    const run = await this.client().get<Run>(RUNS, this.namespace, name);
    const phase = run.status?.phase;
    if (phase !== 'Completed' && phase !== 'Failed' && phase !== 'Interrupted' && phase !== 'Paused') {
      throw new UsageError(`run/${name} is ${phase ?? 'not started'}: wait until it ends (sidekick wait run/${name} --for=condition=Succeeded) or pause it`);
    }
    const branch = run.status?.workspace?.branch;
    if (!branch) throw new UsageError(`run/${name} has no branch to merge (it ran in ${run.status?.workspace?.mode ?? 'no'} mode)`);
    if (!run.spec.repoMount) throw new UsageError(`run/${name} names no repoMount: there is no checkout to merge into`);
    const mount = await this.client().get<RepoMount>({ ...RUNS, plural: 'repomounts', kind: 'RepoMount' }, this.namespace, run.spec.repoMount);
    const checkout = mount.status?.root ?? mount.spec.path;
    if (!existsSync(checkout)) throw new UsageError(`${checkout} (repomount/${mount.metadata.name}) is not on this machine: merge on the machine that ran the run`);
    const git = new SimpleGitRunner();
    const into = this.into ?? (await this.defaultTarget(git, checkout, mount.spec.baseRef));
    const summary = run.status?.summary?.trim();
    const message = this.squash ? `${summary || `Sidekicks run ${name}`}\n\nSidekicks-Run: ${name}` : `Merge run ${name} (${branch}) into ${into}`;

    const base = run.status?.workspace?.baseCommit;
    if (base && !(await this.isOn(git, checkout, base, into))) {
      this.err(`! run/${name} started from ${base.slice(0, 7)}, which is not on ${into}: the merge brings the commits before it too`);
    }
    let outcome;
    try {
      outcome = await mergeBranch(git, { checkout, branch, into, squash: this.squash, message });
    } catch (err) {
      if (err instanceof MergeRefused) throw new UsageError(err.message);
      throw err;
    }
    if (outcome.kind === 'up to date') this.out(`${into} already contains ${branch}: nothing to merge`);
    else {
      this.out(`✓ merged run/${name} (${branch}) into ${into}: ${outcome.kind} ${outcome.before.slice(0, 7)}..${outcome.after.slice(0, 7)}`);
      for (const line of outcome.files) this.out(`  ${line.trim()}`);
    }
    if (this.deleteBranch) {
      const refused = await deleteBranch(git, checkout, branch);
      this.out(refused ? `! kept branch ${branch}: ${refused} (delete run/${name} to retire its worktree, then git branch -D ${branch})` : `✓ deleted branch ${branch}`);
    } else if (outcome.kind !== 'up to date') {
      this.out(`To open a pull request instead: git push origin ${branch} && gh pr create --head ${branch}${await this.compareUrl(git, checkout, into, branch)}`);
    }
    return 0;
  }

  /** The mount's baseRef when it is a local branch, else the branch checked out. */
  private async defaultTarget(git: Git, checkout: string, baseRef: string | undefined): Promise<string> {
    if (baseRef) {
      const short = baseRef.replace(/^refs\/heads\//, '');
      const isBranch = await git.run(checkout, ['show-ref', '--verify', '--quiet', `refs/heads/${short}`]).then(
        () => true,
        () => false,
      );
      if (isBranch) return short;
    }
    const current = (await git.run(checkout, ['symbolic-ref', '--quiet', '--short', 'HEAD']).catch(() => '')).trim();
    if (!current) throw new UsageError(`${checkout} has a detached HEAD: check out the branch to merge into, or pass --into BRANCH`);
    return current;
  }

  /** Whether `commit` is in the history of `branch` (true when there is no such branch: mergeBranch refuses that). */
  private async isOn(git: Git, checkout: string, commit: string, branch: string): Promise<boolean> {
    const exists = await git.run(checkout, ['show-ref', '--verify', '--quiet', `refs/heads/${branch}`]).then(
      () => true,
      () => false,
    );
    if (!exists) return true;
    return git.run(checkout, ['merge-base', '--is-ancestor', commit, `refs/heads/${branch}`]).then(
      () => true,
      () => false,
    );
  }

  /** ` (or https://github.com/o/r/compare/main...branch)` when origin is on GitHub. */
  private async compareUrl(git: Git, checkout: string, into: string, branch: string): Promise<string> {
    const origin = (await git.run(checkout, ['remote', 'get-url', 'origin']).catch(() => '')).trim();
    const m = /github\.com[:/]([^/]+)\/(.+?)(\.git)?$/.exec(origin);
    return m ? ` (or open https://github.com/${m[1]}/${m[2]}/compare/${into}...${branch} after the push)` : '';
  }
}
