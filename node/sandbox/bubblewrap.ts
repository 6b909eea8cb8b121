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
 * Returns the argv that runs `command` inside the profile's sandbox. Every mount is applied
 * parents before children, whatever it does: a hidden directory can hold a writable one (the
 * worktrees under SIDEKICK_HOME), a re-exposed one a hidden one (a SIDEKICK_HOME inside a checkout
 * under /tmp), a writable one read-only parts (`.git/hooks`) and those a writable part again.
 */
export function sandboxArgv(profile: SandboxProfile, command: readonly string[]): string[] {
  type Mount = { path: string; args: (p: string) => string[] };
  const exposed = [...profile.reexposed, ...profile.writable, ...profile.readOnly];
  // A hidden path that nothing exposes again sits under /tmp's (or another) empty tmpfs already.
  const shadowed = (p: string, hidden: readonly string[]): boolean => within(hidden, p) && !within(exposed, p);
  const hiddenDirs = nonNested(['/tmp', ...profile.hiddenDirs]).concat(profile.hiddenDirs.filter((d) => within(exposed, d)));
  const mounts: Mount[] = [
    ...[...new Set(hiddenDirs)].filter((d) => d !== '/tmp').map((path) => ({ path, args: (p: string) => ['--tmpfs', p] })),
    ...profile.hiddenFiles.filter((f) => !shadowed(f, ['/tmp', ...profile.hiddenDirs])).map((path) => ({ path, args: (p: string) => ['--ro-bind', '/dev/null', p] })),
    ...profile.reexposed.map((path) => ({ path, args: (p: string) => ['--ro-bind-try', p, p] })),
    ...profile.writable.map((path) => ({ path, args: (p: string) => ['--bind', p, p] })),
    ...profile.readOnly.map((path) => ({ path, args: (p: string) => ['--ro-bind-try', p, p] })),
  ];
  const args = [profile.bwrap, '--ro-bind', '/', '/', ...base, '--tmpfs', '/tmp'];
  // Stable: at one depth, hiding comes before exposing (the order of the list above).
  for (const m of mounts.sort((a, b) => depth(a.path) - depth(b.path))) args.push(...m.args(m.path));
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
