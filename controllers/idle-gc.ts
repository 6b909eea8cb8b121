/**
 * Gives memory back when the daemon goes idle.
 *
 * V8 collects garbage only when JavaScript allocates. A daemon that has just served a burst (10,000
 * creates, a big list) and then sits idle keeps every page of that burst's garbage: its heap stays
 * at the burst's high-water mark indefinitely, which is what `ps` shows users as its size. Chrome
 * solves this with idle-time collection; Node has none, so this does the same: when the event loop
 * has been (almost) idle for a whole interval after some activity, it runs one full collection.
 * A busy daemon is never interrupted, and an idle one is collected once, not every interval.
 */
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface IdleGcOptions {
  /** How often idleness is checked (default 5 s). */
  intervalMs?: number;
  /** Event-loop utilization under which an interval counts as idle (default 2%). */
  idleBelow?: number;
  /** Heap growth since the last collection that makes a collection worth it (default 16 MiB). */
  minGrowthBytes?: number;
  /** The collector to call (default: the engine's full collection). */
  gc?: () => void;
  /** Reads the heap (default: process.memoryUsage). */
  memoryUsage?: () => { heapUsed: number; heapTotal: number };
}

/** The engine's full collection (the function `--expose-gc` installs), obtained without the flag. */
export function engineGc(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/**
 * The collector's decision, one call per interval: given the event-loop utilization of the
 * interval that just ended, collects (and returns true) or leaves the heap alone.
 */
export function idleCollector(opts: IdleGcOptions = {}): (utilization: number) => boolean {
  const gc = opts.gc ?? engineGc();
  const memoryUsage = opts.memoryUsage ?? (() => process.memoryUsage());
  const idleBelow = opts.idleBelow ?? 0.02;
  const minGrowth = opts.minGrowthBytes ?? 16 * 1024 * 1024;
  let heapAfterGc = memoryUsage().heapUsed;
  // Set by activity; cleared once collections stop giving memory back.
  let settling = false;
  return (utilization) => {
    if (utilization >= idleBelow) {
      settling = true;
      return false;
    }
    const before = memoryUsage();
    if (!settling && before.heapUsed - heapAfterGc < minGrowth) return false;
    // One collection frees the garbage; V8 returns the emptied pages to the system over the next
    // few, so keep collecting on idle intervals until the heap stops shrinking.
    gc();
    const after = memoryUsage();
    heapAfterGc = after.heapUsed;
    settling = before.heapTotal - after.heapTotal >= 1024 * 1024;
    return true;
  };
}

/** Starts the idle collector; the returned function stops it. */
export function startIdleGc(opts: IdleGcOptions = {}): () => void {
  const collect = idleCollector(opts);
  let last = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    // The collection itself was loop time: start the next interval after it.
    if (collect(busy)) last = performance.eventLoopUtilization();
  }, opts.intervalMs ?? 5000);
  timer.unref();
  return () => clearInterval(timer);
}
