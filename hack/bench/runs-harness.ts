/**
 * The Runs benchmark's harness: daemons started for a part and always stopped, temp dirs always
 * removed (also on SIGINT/SIGTERM), and the one-line-per-figure output.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { msSince } from './http.js';
import { startDaemonProcess, type DaemonProcess } from './daemon-process.js';
import { SocketClient } from './runs-socket.js';

// Everything to undo, newest first, whether the benchmark ends, fails or is interrupted.
const daemons = new Set<DaemonProcess>();
const tempDirs: string[] = [];

/** Makes a temp dir that is removed at the end, whatever happens. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/**
 * Runs `fn` against a fresh daemon process and a client of its Unix socket; stops the daemon and
 * removes its home afterwards, and prints how long that took when `fn` succeeded.
 */
export async function withDaemon<T>(fn: (d: DaemonProcess, client: SocketClient) => Promise<T>): Promise<T> {
  const d = await startDaemonProcess();
  daemons.add(d);
  const client = new SocketClient(join(d.home, 'sidekick.sock'), 64);
  let finished = false;
  try {
    const result = await fn(d, client);
    finished = true;
    return result;
  } finally {
    client.close();
    daemons.delete(d);
    const start = process.hrtime.bigint();
    // After a clean finish every run has ended, so nothing in the daemon touches its worktrees:
    // removing them several at a time is ~5x faster on a VM disk than the rmSync in stop().
    if (finished) await removeEach(join(d.home, 'worktrees'), 2);
    await d.stop();
    if (finished) line('stop the daemon, remove its home (and the worktrees in it)', `${(msSince(start) / 1000).toFixed(1)} s`);
  }
}

/** Removes the directories `depth` levels below `root`, eight `rm -rf` at a time. */
async function removeEach(root: string, depth: number): Promise<void> {
  let dirs = [root];
  for (let i = 0; i < depth; i++) dirs = dirs.flatMap((d) => (existsSync(d) ? readdirSync(d).map((e) => join(d, e)) : []));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < dirs.length) {
      const dir = dirs[next++];
      await new Promise((resolve) => spawn('rm', ['-rf', '--', dir], { stdio: 'ignore' }).on('close', resolve).on('error', resolve));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** Prints one figure, its name padded so the values line up. */
export function line(name: string, value: string): void {
  console.log(`  ${name.padEnd(64)} ${value}`);
}

/** Formatting for the figures: milliseconds, a ratio, an ascending copy. */
export const ms = (n: number): string => `${n.toFixed(n < 10 ? 1 : 0)} ms`;
export const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;
export const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

/** Flushes dirty pages (`sync`), so writeback of earlier work is not charged to what follows. */
export function settleDisk(): void {
  spawnSync('sync');
}

/** Removes the temp dirs this process made (the daemons' homes go with their stop()). */
export function removeTempDirs(): void {
  // Retries: a git command the daemon started may still be finishing a worktree in there.
  for (const dir of tempDirs.splice(0).reverse()) rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
}

/** On an interrupt: stops the daemons still running (which removes their homes), then the temp dirs. */
export async function interrupted(): Promise<never> {
  const homeGone = (d: DaemonProcess) => () => rmSync(d.home, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  await Promise.all([...daemons].map((d) => d.stop().catch(homeGone(d))));
  removeTempDirs();
  process.exit(130);
}

/** Runs a benchmark's main: exits with its exit code, or 1 with the stack when it throws. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (err: unknown) => {
      console.error(`bench failed: ${err instanceof Error ? err.stack : String(err)}`);
      process.exit(1);
    },
  );
}
