/**
 * Starts `sidekick daemon run` as a separate process on a temporary home, as a user would, so
 * benchmarks measure the server through loopback HTTP without sharing its event loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sidekickHome } from '../../api/home.js';

export interface DaemonProcess {
  home: string;
  url: string;
  token: string;
  /** PEM of the CA that signed the daemon's TCP certificate. */
  ca: string;
  caFile: string;
  /** The daemon's Unix socket (plain HTTP; its owner's token is beside it). */
  socket: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** The compiled CLI (`dist/cli/main.js`), from this file compiled (dist/hack/bench) or as source under jest (hack/bench). */
export function cliEntry(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const repoOrDist = join(here, '..', '..');
  return basename(repoOrDist) === 'dist' ? join(repoOrDist, 'cli', 'main.js') : join(repoOrDist, 'dist', 'cli', 'main.js');
}

/** Spawns the daemon and resolves once daemon.json names its TCP address. */
export async function startDaemonProcess(opts: { database?: string } = {}): Promise<DaemonProcess> {
  const home = mkdtempSync(join(tmpdir(), 'sidekick-bench-'));
  // SIDEKICK_BENCH_DAEMON_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the daemon
  // (NODE_OPTIONS refuses --cpu-prof).
  const nodeArgs = (process.env.SIDEKICK_BENCH_DAEMON_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const args = [...nodeArgs, cliEntry(), 'daemon', 'run', '--home', home, '--listen', '127.0.0.1:0'];
  if (opts.database) args.push('--database', opts.database);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const paths = sidekickHome(home);
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}: ${stderr.trim()}`);
    if (existsSync(paths.daemonInfo)) {
      const info = JSON.parse(readFileSync(paths.daemonInfo, 'utf8')) as { tcp?: string; ca?: string; pid?: number };
      if (info.tcp && info.ca && info.pid === child.pid) {
        const token = readFileSync(paths.token, 'utf8').trim();
        return {
          home,
          url: info.tcp,
          token,
          ca: readFileSync(info.ca, 'utf8'),
          caFile: info.ca,
          socket: paths.socket,
          pid: child.pid!,
          child,
          stop: async () => {
            if (child.exitCode === null) {
              const exited = new Promise((r) => child.once('exit', r));
              child.kill('SIGTERM');
              await exited;
            }
            rmSync(home, { recursive: true, force: true });
          },
        };
      }
    }
    if (Date.now() > deadline) throw new Error(`daemon did not start within 15 s: ${stderr.trim()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Resident set size of a process in MiB, from /proc. */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** CPU seconds (user + system) a process has used, from /proc. */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * RSS once the daemon has settled: its controllers have finished reacting (no CPU used for
 * `quietMs`) and RSS has stopped falling (the idle collector returns a burst's garbage over a few
 * intervals). Gives up after `maxMs` and reports what it has.
 */
export async function settledRssMiB(pid: number, quietMs = 12_000, maxMs = 60_000): Promise<number> {
  const deadline = Date.now() + maxMs;
  let cpu = cpuSeconds(pid);
  let quietSince = Date.now();
  let rss = rssMiB(pid);
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    const nowCpu = cpuSeconds(pid);
    const nowRss = rssMiB(pid);
    // The idle collector itself uses a little CPU; only a falling RSS means it is still working.
    if (nowCpu - cpu > 0.05 || nowRss < rss - 1) quietSince = Date.now();
    cpu = nowCpu;
    rss = nowRss;
    if (Date.now() - quietSince >= quietMs) break;
  }
  return rss;
}
