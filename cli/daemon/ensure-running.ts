/**
 * Makes sure a daemon serves a home: finds the one already running, or spawns `sidekick daemon run`
 * detached (output appended to the home's daemon.log, pid in daemon.pid) and waits until it
 * answers. `daemon start` and `init` both start the daemon through here, so they never drift.
 */
import { spawn } from 'node:child_process';
import { mkdir, open } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { HomePaths } from '../../api/home.js';
import { writeFileAtomic } from '../../api/atomic-file.js';
import { isAlive, pause, readDaemonInfo, readPid, socketAnswers } from './process-info.js';

/** A daemon that did not come up: the message names the log to read. */
export class DaemonStartError extends Error {}

export interface EnsureDaemonOptions {
  paths: HomePaths;
  /** The environment of the CLI; the daemon inherits it (SIDEKICK_HOME set to the home). */
  env: NodeJS.ProcessEnv;
  /** Arguments after `daemon run --home HOME` (the daemon options: --listen, ...). */
  args?: string[];
  /** How long to wait for the new daemon to answer, in ms. */
  timeoutMs: number;
  /** How the timeout reads in a message (`30s`). */
  timeoutText?: string;
  /** Runs before anything is written to the home when a daemon must be started (option checks). */
  beforeStart?: () => Promise<void>;
}

/** The daemon serving the home, and whether this call started it. */
export interface RunningDaemon {
  started: boolean;
  /** Its pid, when known (an already running daemon that wrote no daemon.json may not say). */
  pid?: number;
  /** The TCP listener's URL, when it has one. */
  tcp?: string;
}

/** Returns the daemon already serving `paths`, or starts one and waits until it answers. */
export async function ensureDaemonRunning(opts: EnsureDaemonOptions): Promise<RunningDaemon> {
  const { paths } = opts;
  // A socket that answers is a daemon serving the home, whoever started it (`daemon start`, a
  // foreground `daemon run`, a test's in-process daemon): starting another would only fail on it.
  if (await socketAnswers(paths)) {
    const fromInfo = (await readDaemonInfo(paths)).pid;
    const fromFile = await readPid(paths);
    return { started: false, pid: fromInfo ?? (fromFile && isAlive(fromFile) ? fromFile : undefined) };
  }
  await opts.beforeStart?.();
  await mkdir(paths.root, { recursive: true, mode: 0o700 });
  const main = opts.env.SIDEKICK_CLI_MAIN ?? fileURLToPath(new URL('../main.js', import.meta.url));
  const args = [main, 'daemon', 'run', '--home', paths.root, ...(opts.args ?? [])];
  const log = await open(paths.logFile, 'a', 0o600);
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', log.fd, log.fd], env: { ...opts.env, SIDEKICK_HOME: paths.root }, cwd: paths.root });
  await log.close();
  const pid = child.pid;
  if (!pid) throw new DaemonStartError(`could not start the daemon (see ${paths.logFile})`);
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  child.unref();
  await writeFileAtomic(paths.pidFile, `${pid}\n`);

  const deadline = Date.now() + opts.timeoutMs;
  // Ready when daemon.json names this child (written once every listener is up) and the socket answers.
  while ((await readDaemonInfo(paths)).pid !== pid || !(await socketAnswers(paths))) {
    if (exited !== undefined) throw new DaemonStartError(`the daemon exited with code ${exited} before answering; see ${paths.logFile}`);
    if (Date.now() > deadline) throw new DaemonStartError(`the daemon did not answer on ${paths.socket} within ${opts.timeoutText ?? `${opts.timeoutMs}ms`}; see ${paths.logFile}`);
    await pause(50);
  }
  const tcp = (await readDaemonInfo(paths)).tcp;
  return { started: true, pid, ...(tcp ? { tcp } : {}) };
}
