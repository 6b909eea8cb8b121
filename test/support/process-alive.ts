/** Test support: whether a process exists, for tests that check a child was started or reaped. */

/** True while a process with this pid exists (signal 0 only probes, it signals nothing). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
