/**
 * bubblewrap command lines. A run's driver host runs in one sandbox (./host-profile.ts builds its
 * profile): the whole filesystem read-only, the workspace (and its git directory) writable, a
 * private /tmp and HOME, the daemon's home and the user's credential stores hidden. Each command
 * the agent runs gets a second, nested sandbox that adds no network unless the call was approved
 * as NetworkAccess: the approval is enforced by the kernel, not by reading the command line.
 */

/** What one sandbox may see and do. Paths are absolute and canonical. */
export interface SandboxProfile {
  /** The bwrap binary. */
  bwrap: string;
  /** Mounted read-write at the same path (the workspace, the agent's HOME, the git directory). */
  writable: string[];
  /** Mounted read-only on top of a writable one (git hooks and config: they run outside the sandbox later). */
  readOnly: string[];
  /** Directories replaced by an empty tmpfs (the daemon's home, credential directories, /run). */
  hiddenDirs: string[];
  /** Files replaced by /dev/null (credential files). */
  hiddenFiles: string[];
  /** Read-only paths exposed again inside a hidden directory (DNS under /run). */
  reexposed: string[];
  /** Whether the sandbox keeps the host's network. */
  network: boolean;
  /** Working directory inside. */
  cwd: string;
}

/** Common flags: a new /dev and /proc, a private /tmp and pid namespace; the sandbox dies with its parent. */
const base = ['--dev', '/dev', '--proc', '/proc', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent'];

/**
 * Returns the argv that runs `command` inside the profile's sandbox. Mount order matters:
 * hidden paths first (parents before children), then what is exposed again beneath them.
 */
export function sandboxArgv(profile: SandboxProfile, command: readonly string[]): string[] {
  const args = [profile.bwrap, '--ro-bind', '/', '/', ...base, '--tmpfs', '/tmp'];
  const hidden = nonNested(['/tmp', ...profile.hiddenDirs]);
  for (const dir of hidden.filter((d) => d !== '/tmp')) args.push('--tmpfs', dir);
  for (const file of profile.hiddenFiles.filter((f) => !within(hidden, f))) args.push('--ro-bind', '/dev/null', file);
  for (const p of profile.reexposed) args.push('--ro-bind-try', p, p);
  // Parents before children, whichever their mode: a read-only directory can hold a writable one
  // (a worktree's own admin directory inside `.git/worktrees`) and that one read-only files.
  const mounts = [...profile.writable.map((p) => ({ p, rw: true })), ...profile.readOnly.map((p) => ({ p, rw: false }))];
  for (const { p, rw } of mounts.sort((a, b) => depth(a.p) - depth(b.p))) args.push(rw ? '--bind' : '--ro-bind-try', p, p);
  if (!profile.network) args.push('--unshare-net');
  args.push('--chdir', profile.cwd, '--', ...command);
  return args;
}

/**
 * Returns the argv for one command run from inside a run's sandbox: the same view of the files
 * (bound from the outer sandbox as it is), a fresh pid namespace, and no network unless granted.
 */
export function nestedCommandArgv(bwrap: string, network: boolean, cwd: string, command: readonly string[]): string[] {
  return [bwrap, '--bind', '/', '/', ...base, ...(network ? [] : ['--unshare-net']), '--chdir', cwd, '--', ...command];
}

function depth(p: string): number {
  return p.split('/').length;
}

function byDepth(paths: readonly string[]): string[] {
  return [...new Set(paths)].sort((a, b) => depth(a) - depth(b));
}

/** Whether `p` is inside one of `dirs`. */
function within(dirs: readonly string[], p: string): boolean {
  return dirs.some((d) => p.startsWith(`${d}/`));
}

/** Drops directories inside another hidden one (already hidden; bwrap would have to create them). */
function nonNested(dirs: readonly string[]): string[] {
  const sorted = byDepth(dirs);
  return sorted.filter((d, i) => !within(sorted.slice(0, i), d));
}
