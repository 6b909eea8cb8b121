/**
 * Approval rules for git: DestructiveGit (see destructiveGit) and the NetworkAccess of commands
 * that talk to a remote (clone/fetch/pull/push/ls-remote/submodule update, …). What `git clone`
 * writes is judged with the other writes (writes.ts).
 */
import { hasFlag, operands, set, subcommand } from '../shell/argv.js';
import { hostOf, type NetworkUse } from './network.js';

const GIT_GLOBAL_VALUED = set('-C', '-c', '--git-dir', '--work-tree', '--namespace', '--super-prefix', '--config-env');
export const GIT_SUB_VALUED = set(
  '--depth', '-b', '--branch', '-o', '--origin', '-c', '--config', '--reference', '--reference-if-able', '--template', '--separate-git-dir', '-u',
  '--upload-pack', '--receive-pack', '--exec', '-j', '--jobs', '--filter', '--shallow-since', '--shallow-exclude', '--deepen', '--push-option',
  '--server-option', '--refmap', '--negotiation-tip', '--repo', '-s', '--strategy', '-X', '--strategy-option', '-m', '--message',
);

/** git's subcommand, past its global options (`git -C dir -c k=v reset`). */
export function gitParts(args: string[]): { sub: string | undefined; rest: string[] } {
  return subcommand(args, GIT_GLOBAL_VALUED);
}

/** git commands that talk to a remote; the host when the repository is given as a URL. */
export function gitNetwork(args: string[]): NetworkUse | undefined {
  const { sub, rest } = gitParts(args);
  const first = operands(rest, GIT_SUB_VALUED)[0];
  let network: boolean;
  switch (sub) {
    case 'clone':
    case 'fetch':
    case 'pull':
    case 'push':
    case 'ls-remote':
    case 'fetch-pack':
    case 'send-pack':
      network = true;
      break;
    case 'submodule':
      network = ['update', 'add'].includes(first ?? '');
      break;
    case 'remote':
      network = ['update', 'show', 'prune'].includes(first ?? '');
      break;
    case 'lfs':
      network = ['pull', 'fetch', 'push', 'clone'].includes(first ?? '');
      break;
    case 'archive':
      network = hasFlag(rest, ['--remote']);
      break;
    default:
      network = false;
  }
  if (!network) return undefined;
  const repo = sub === 'clone' || sub === 'fetch' || sub === 'pull' || sub === 'push' || sub === 'ls-remote' ? first : undefined;
  const host = repo ? hostOf(repo) : undefined;
  return { what: `git ${sub}`, ...(host ? { host } : {}), ...(host && /^[a-z+]+:\/\//i.test(repo!) ? { url: repo } : {}) };
}

/**
 * Git commands that lose work or rewrite shared history. `restore`/`checkout` count when they
 * overwrite the working tree (uncommitted changes are gone for good); `restore --staged` alone only
 * unstages and does not. `rebase --abort/--continue/--quit` only finish or undo an approved rebase.
 * `update-ref` counts whatever it does: it moves refs past every porcelain safety check.
 */
export function destructiveGit(args: string[]): string | undefined {
  const { sub, rest } = gitParts(args);
  const ops = operands(rest, GIT_SUB_VALUED);
  const line = `git ${[sub, ...rest].join(' ')}`;
  const yes = (why: string): string => `${why} (${line})`;
  switch (sub) {
    case 'push':
      if (hasFlag(rest, ['--force', '--force-with-lease', '--mirror'], 'f')) return yes('force push');
      if (hasFlag(rest, ['--delete', '--prune'], 'd') || ops.slice(1).some((r) => r.startsWith(':'))) return yes('deletes remote refs');
      return ops.slice(1).some((r) => r.startsWith('+')) ? yes('force push (+refspec)') : undefined;
    case 'branch':
      return hasFlag(rest, ['--delete', '--force'], 'DdMCf') ? yes('deletes or overwrites a branch') : undefined;
    case 'reset':
      return hasFlag(rest, ['--hard']) ? yes('discards uncommitted changes') : undefined;
    case 'clean':
      return hasFlag(rest, ['--force'], 'f') && !hasFlag(rest, ['--dry-run'], 'n') ? yes('deletes untracked files') : undefined;
    case 'checkout':
      return hasFlag(rest, ['--force'], 'fB') || rest.includes('--') || ops.includes('.') ? yes('overwrites the working tree') : undefined;
    case 'switch':
      return hasFlag(rest, ['--force', '--discard-changes', '--force-create'], 'fC') ? yes('overwrites the working tree or a branch') : undefined;
    case 'restore':
      return hasFlag(rest, ['--worktree'], 'W') || !hasFlag(rest, ['--staged'], 'S') ? yes('overwrites the working tree') : undefined;
    case 'rebase':
      return hasFlag(rest, ['--abort', '--continue', '--quit', '--show-current-patch', '--edit-todo']) ? undefined : yes('rewrites history');
    case 'filter-branch':
    case 'filter-repo':
      return yes('rewrites history');
    case 'commit':
      return hasFlag(rest, ['--amend']) ? yes('rewrites the last commit') : undefined;
    case 'reflog':
      return ['expire', 'delete'].includes(ops[0] ?? '') ? yes('drops reflog entries') : undefined;
    case 'gc':
      return rest.some((a) => /^--prune=(now|all)$/.test(a)) ? yes('prunes unreachable commits now') : undefined;
    case 'prune':
      return yes('prunes unreachable commits');
    case 'update-ref':
      return yes('moves or deletes a ref directly');
    case 'tag':
      return hasFlag(rest, ['--delete', '--force'], 'df') ? yes('deletes or moves a tag') : undefined;
    case 'stash':
      return ['drop', 'clear'].includes(ops[0] ?? '') ? yes('drops stashed changes') : undefined;
    default:
      return undefined;
  }
}
