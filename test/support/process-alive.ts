/** Test support: whether a process exists, for tests that check a child was started or reaped. */
import { readFileSync } from 'node:fs';

/**
 * True while a process with this pid exists and has not died (signal 0 only probes, it signals
 * nothing). A zombie counts as dead: a killed process whose parent is gone waits for the machine's
 * init to reap it, and how soon that happens is init's business (in a container it may be a process
 * that reaps late), not what a test of "the kill happened" asks.
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return !isZombie(pid);
}

/** Whether /proc says the process has exited and waits to be reaped (Linux; elsewhere: no). */
function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    // No /proc (macOS), or the process went between the probe and the read.
    return process.platform === 'linux';
  }
  // `pid (comm) S …`: the state follows the last ')', as comm may itself hold parentheses.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state === 'Z' || state === 'X';
}
