/**
 * The one temporary daemon of the test suites: a real daemon in this process on a fresh temp
 * directory (`<dir>/home`), with controllers on and the compiled driver host (`npm run build`
 * first), unless the options say otherwise. `stop()` stops it and removes the directory.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startDaemon, type DaemonHandle, type DaemonOptions } from '../../cli/daemon/compose.js';
import { e2eDefaultIsolation } from '../services.js';

/** The repository root. */
export const repo = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..');
/** The compiled driver host, as the daemon's `driverHostCommand`. */
export const hostCommand = [process.execPath, join(repo, 'dist', 'node', 'drivers', 'host.js')];
/** The compiled CLI entry point, for tests that run `sidekick` as a child process. */
export const cliMain = join(repo, 'dist', 'cli', 'main.js');

/** A daemon on a temp directory. */
export interface TempDaemon {
  /** The temp directory (removed by `stop()`); free for a test's own files. */
  dir: string;
  /** The daemon's home, `<dir>/home`. */
  home: string;
  daemon: DaemonHandle;
  /** Stops the daemon and removes `dir`. */
  stop(): Promise<void>;
}

export interface TempDaemonOptions extends Omit<DaemonOptions, 'home'> {
  /** Prefix of the temp directory's name (default `sidekick-`). */
  prefix?: string;
}

/**
 * Starts a daemon on a fresh temp directory. Controllers run (set `controllers: false` for suites
 * whose objects no controller should act on) with the compiled driver host and the isolation the
 * machine supports (test/services.ts).
 */
export async function tempDaemon(opts: TempDaemonOptions = {}): Promise<TempDaemon> {
  const { prefix = 'sidekick-', ...options } = opts;
  const controllers = options.controllers !== false;
  if (controllers && !options.driverHostCommand && !existsSync(hostCommand[1]!)) {
    throw new Error(`${hostCommand[1]} is missing: run \`npm run build\` before the end-to-end tests`);
  }
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const home = join(dir, 'home');
  try {
    const daemon = await startDaemon({
      ...(controllers ? { driverHostCommand: hostCommand, defaultIsolation: e2eDefaultIsolation() } : {}),
      ...options,
      home,
    });
    return {
      dir,
      home,
      daemon,
      stop: async () => {
        await daemon.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
