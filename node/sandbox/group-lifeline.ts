/**
 * Ties a detached process group to the life of this process. The commands a driver host starts
 * (RunCommand's shell, an agent CLI) each lead a process group of their own, so that stopping one
 * reaches its background jobs too; but that also takes them out of the host's group, which is
 * what the supervisor kills when the host dies. A host killed with SIGKILL runs no exit hook, and
 * its commands would run on, reparented to init.
 *
 * A lifeline is a watcher in a session of its own, holding the read end of a pipe from this
 * process: however this process dies, the kernel closes the pipe, the watcher reads EOF and
 * SIGKILLs the group. A sandboxed host gets the same from its pid namespace (bubblewrap's
 * `--unshare-pid --die-with-parent`); the lifeline makes the unsandboxed host (isolation Off, or
 * BestEffort without bubblewrap) hold the same guarantee.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';

/** What the parent writes to end the watch without killing. */
const RELEASE = 'release';

/**
 * The watcher: a POSIX shell, so it costs no more than the shell RunCommand starts anyway. `$0` is
 * the group id. (`kill -KILL -N` is the spelling dash, bash and busybox all read as a group.)
 */
const WATCH = `read -r line; [ "$line" = ${RELEASE} ] || kill -KILL "-$0" 2>/dev/null`;

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

/**
 * Ties the group led by `pgid` (a child spawned `detached`) to this process's life: a lifeline,
 * or nothing when the pid namespace already does it (a sandboxed driver host).
 */
export function tieToThisProcess(pgid: number | undefined): GroupLifeline | undefined {
  return pgid === undefined || inOwnPidNamespace() ? undefined : new GroupLifeline(pgid);
}

/** The watcher of one process group; SIGKILLs the group when this process dies. */
export class GroupLifeline {
  private readonly watcher: ChildProcessByStdio<Writable, null, null>;
  private ended = false;

  /** Starts watching the group led by `pgid` (a child spawned `detached`). */
  constructor(pgid: number) {
    // detached: its own session, so a kill of this process's group leaves it to do its work.
    // cwd /: it must not hold a worktree (or anything else) busy while it waits.
    this.watcher = spawn('/bin/sh', ['-c', WATCH, String(pgid)], { cwd: '/', detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    this.watcher.on('error', () => undefined);
    this.watcher.stdin.on('error', () => undefined);
    // It must not keep this process alive: its whole point is to act once this process is gone.
    this.watcher.unref();
  }

  /** Ends the watch and leaves the group alone: it may outlive this process from now on. */
  release(): void {
    if (this.ended) return;
    this.ended = true;
    this.watcher.stdin.end(`${RELEASE}\n`);
  }
}
