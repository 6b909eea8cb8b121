/**
 * Finding the background daemon: its pid file, whether that process lives, whether its socket
 * answers `/healthz`, and the addresses it wrote to `daemon.json`.
 */
import { readFile } from 'node:fs/promises';
import type { HomePaths } from '../../api/home.js';
import type { DaemonFlags } from './flags.js';
import { ApiClient } from '../../api/client/client.js';
import { ownerConnection } from '../../api/client/connection.js';

/** What `daemon.json` says about the running daemon. */
export interface DaemonInfoFile {
  pid?: number;
  socket?: string;
  tcp?: string;
  /** PEM file that signs the TCP listener's certificate. */
  ca?: string;
  startedAt?: string;
  /** The flags it runs with (absent from daemons that did not record them). */
  flags?: DaemonFlags;
}

/** The pid in the pid file, or undefined. */
export async function readPid(paths: HomePaths): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(paths.pidFile, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True while a process with this pid exists (signal 0 probes without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `daemon.json`, or an empty object when absent. */
export async function readDaemonInfo(paths: HomePaths): Promise<DaemonInfoFile> {
  try {
    return JSON.parse(await readFile(paths.daemonInfo, 'utf8')) as DaemonInfoFile;
  } catch {
    return {};
  }
}

/** True when the socket answers `/healthz`. */
export async function socketAnswers(paths: HomePaths): Promise<boolean> {
  const client = new ApiClient(ownerConnection(paths));
  try {
    await client.text('/healthz', AbortSignal.timeout(2000));
    return true;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

/** Resolves after `ms`: the interval between probes of a process we cannot watch (another pid, a socket). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
