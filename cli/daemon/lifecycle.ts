/**
 * Starting and stopping the background daemon of a home, shared by `daemon start`, `daemon stop`
 * and `daemon restart`: the daemon is `sidekick daemon run` spawned detached, its output appended
 * to daemon.log, its pid in daemon.pid; it is ready once daemon.json names it and its socket answers.
 */
import { spawn } from 'node:child_process';
import { mkdir, open, unlink } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../../api/atomic-file.js';
import type { HomePaths } from '../../api/home.js';
import { flagArgs, type DaemonFlags } from './flags.js';
import { isAlive, pause, readDaemonInfo, readPid, socketAnswers, type DaemonInfoFile } from './process-info.js';

/** A daemon that answers on the home's socket. */
export interface RunningDaemon {
  /** Its pid, when known (a foreground `daemon run` or an in-process daemon may write no pid file). */
  pid?: number;
  info: DaemonInfoFile;
}

/**
 * The daemon serving `paths`, or undefined when none answers. A socket that answers is a daemon
 * serving the home, whoever started it (`daemon start`, a foreground `daemon run`, a test's
 * in-process daemon): starting another there would only fail on it.
 */
export async function runningDaemon(paths: HomePaths): Promise<RunningDaemon | undefined> {
  if (!(await socketAnswers(paths))) return undefined;
  const info = await readDaemonInfo(paths);
  const fromFile = await readPid(paths);
  const pid = info.pid ?? (fromFile && isAlive(fromFile) ? fromFile : undefined);
  return { ...(pid ? { pid } : {}), info };
}

/** The daemon serving a home, and whether this call started it. */
export interface EnsuredDaemon {
  started: boolean;
  pid?: number;
  /** The TCP listener's URL, when it has one. */
  tcp?: string;
  /** The daemon that was already running (its daemon.json: the flags it runs with), when not started. */
  running?: RunningDaemon;
}

/**
 * Returns the daemon already serving `paths`, or starts one with `flags` and waits until it
 * answers. `beforeStart` runs before anything is written to the home (option checks). `daemon
 * start` and `sidekick init` both start the daemon through here, so they never drift.
 */
export async function ensureDaemonRunning(paths: HomePaths, flags: DaemonFlags, opts: StartOptions & { beforeStart?: () => Promise<void> }): Promise<EnsuredDaemon> {
  const running = await runningDaemon(paths);
  if (running) return { started: false, running, ...(running.pid ? { pid: running.pid } : {}), ...(running.info.tcp ? { tcp: running.info.tcp } : {}) };
  await opts.beforeStart?.();
  return { started: true, ...(await startBackground(paths, flags, opts)) };
}

export interface StartOptions {
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** The timeout as the user wrote it, for messages. */
  timeoutText: string;
}

/** A failure to start or stop the daemon, for the user (the commands turn it into a UsageError). */
export class DaemonLifecycleError extends Error {
  override name = 'DaemonLifecycleError';
}

/**
 * Spawns `sidekick daemon run` with `flags` on `paths` and waits until it answers; resolves its pid
 * and TCP address. Throws DaemonLifecycleError when it exits first or does not answer in time.
 */
export async function startBackground(paths: HomePaths, flags: DaemonFlags, opts: StartOptions): Promise<{ pid: number; tcp?: string }> {
  await mkdir(paths.root, { recursive: true, mode: 0o700 });
  const main = opts.env.SIDEKICK_CLI_MAIN ?? fileURLToPath(new URL('../main.js', import.meta.url));
  const args = [main, 'daemon', 'run', '--home', paths.root, ...flagArgs(flags)];
  const log = await open(paths.logFile, 'a', 0o600);
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log.fd, log.fd], env: { ...opts.env, SIDEKICK_HOME: paths.root }, cwd: paths.root });
  await log.close();
  const pid = child.pid;
  if (!pid) throw new DaemonLifecycleError(`could not start the daemon (see ${paths.logFile})`);
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  child.unref();
  await writeFileAtomic(paths.pidFile, `${pid}\n`);

  const deadline = Date.now() + opts.timeoutMs;
  // Ready when daemon.json names this child (written once every listener is up) and the socket answers.
  while ((await readDaemonInfo(paths)).pid !== pid || !(await socketAnswers(paths))) {
    if (exited !== undefined) throw new DaemonLifecycleError(`the daemon exited with code ${exited} before answering; see ${paths.logFile}`);
    if (Date.now() > deadline) throw new DaemonLifecycleError(`the daemon did not answer on ${paths.socket} within ${opts.timeoutText}; see ${paths.logFile}`);
    await pause(50);
  }
  const tcp = (await readDaemonInfo(paths)).tcp;
  return { pid, ...(tcp ? { tcp } : {}) };
}

/**
 * Stops the daemon whose pid is in the pid file: SIGTERM (it stops its runs' drivers and closes the
 * store), then waits until the process is gone, SIGKILL after `timeoutMs` (`onKill` is told).
 * Resolves the pid stopped, or undefined when none was running (a stale pid file is removed).
 */
export async function stopBackground(paths: HomePaths, timeoutMs: number, onKill: () => void): Promise<number | undefined> {
  const pid = await readPid(paths);
  if (!pid || !isAlive(pid)) {
    await unlink(paths.pidFile).catch(() => undefined);
    return undefined;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      onKill();
      break;
    }
    await pause(25);
  }
  await unlink(paths.pidFile).catch(() => undefined);
  return pid;
}
