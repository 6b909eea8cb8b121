/**
 * Ties a detached process group to the life of this process. The commands a driver host starts
 * (RunCommand's shell, an agent CLI) each lead a process group of their own, so that stopping one
 * reaches its background jobs too; but that also takes them out of the host's group, which is
 * what the supervisor kills when the host dies. A host killed with SIGKILL runs no exit hook, and
 * its commands would run on, reparented to init.
 *
 * A lifeline is a watcher in the command's own group, started by the command's first process
 * before the command itself runs, reading a socket whose other end only this process holds:
 * however this process dies, the kernel closes that end, the watcher reads EOF and SIGKILLs the
 * group (itself included). Because the watcher exists before the command's first instruction,
 * there is no moment in which the command runs untied: a watcher spawned after the command (as it
 * once was) left a window, between the two spawns, in which a host killed with SIGKILL left the
 * command running. A sandboxed host gets the same from its pid namespace (bubblewrap's
 * `--unshare-pid --die-with-parent`); the lifeline makes the unsandboxed host (isolation Off, or
 * BestEffort without bubblewrap) hold the same guarantee.
 */
import { spawn, type ChildProcess, type IOType, type SpawnOptions } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Writable } from 'node:stream';

/** What the parent writes to end the watch without killing. */
const RELEASE = 'release';

/**
 * The wrapper, a POSIX shell: starts the watcher in the background (reading fd 3, its own output
 * away from the command's pipes, which it must not hold open), then replaces itself with the
 * command (`exec`: same pid, same group), which does not get fd 3. `$$` is the group leader's pid,
 * in the subshell too. (`kill -KILL -N` is the spelling dash, bash and busybox all read as a group.)
 */
const WRAP = `(read -r line <&3; [ "$line" = ${RELEASE} ] || kill -KILL "-$$") </dev/null >/dev/null 2>&1 &\nexec "$@" 3<&-`;

let insideBubblewrap: boolean | undefined;

/**
 * Whether this process runs in bubblewrap's own pid namespace (`--unshare-pid --die-with-parent`):
 * there the namespace's init (bwrap) takes every process in it down when the host dies, so a
 * watcher per group would be a second process per command for nothing. Read once per process.
 */
function inOwnPidNamespace(): boolean {
  if (insideBubblewrap === undefined) {
    try {
      insideBubblewrap = readFileSync('/proc/1/comm', 'utf8').trim() === 'bwrap';
    } catch {
      insideBubblewrap = false;
    }
  }
  return insideBubblewrap;
}

/** The executable a spawn of `file` would run (PATH searched for a bare name), or undefined. */
function executable(file: string, env: NodeJS.ProcessEnv | undefined): string | undefined {
  const candidates = file.includes('/') ? [file] : (env?.PATH ?? process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, file));
  return candidates.find((c) => {
    try {
      accessSync(c, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** One of a spawn's stdio entries, given as a list. */
type StdioPipe = IOType | 'ipc' | number | null | undefined;

/** A command spawned leading its own process group, and the lifeline that ties it to this process. */
export interface TiedChild<C extends ChildProcess> {
  child: C;
  /** Undefined where nothing needs tying (a sandboxed host) or nothing runs (spawn failed). */
  lifeline?: GroupLifeline;
}

/**
 * Spawns `file args` detached (leading a process group of its own, so that stopping it reaches
 * its background jobs) and tied to this process's life from before its first instruction: a
 * lifeline, or nothing when the pid namespace already does it (a sandboxed driver host). A file
 * that is not there is spawned as it is, so the spawn fails (ENOENT) as it always did.
 */
export function spawnTied<C extends ChildProcess>(file: string, args: string[], options: SpawnOptions & { stdio: StdioPipe[] }): TiedChild<C> {
  const resolved = inOwnPidNamespace() ? undefined : executable(file, options.env);
  if (!resolved) return { child: spawn(file, args, { ...options, detached: true }) as C };
  const child = spawn('/bin/sh', ['-c', WRAP, 'sidekick-lifeline', resolved, ...args], { ...options, detached: true, stdio: [...options.stdio, 'pipe'] }) as C;
  const end = child.stdio[3] as Writable | null;
  return end ? { child, lifeline: new GroupLifeline(end) } : { child };
}

/** This process's end of a lifeline: holding it keeps the group alive; `release` lets it go. */
export class GroupLifeline {
  private ended = false;

  constructor(private readonly end: Writable) {
    // The group may be gone (its exit, a kill) when we write: a closed socket is expected then.
    end.on('error', () => undefined);
    // It must not keep this process alive: its whole point is to act once this process is gone.
    (end as Writable & { unref?: () => void }).unref?.();
  }

  /** Ends the watch and leaves the group alone: it may outlive this process from now on. */
  release(): void {
    if (this.ended) return;
    this.ended = true;
    this.end.end(`${RELEASE}\n`);
  }
}
