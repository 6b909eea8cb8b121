/**
 * The daemon the API fuzzer talks to: the real `sidekick daemon` (API server, admission, SQLite
 * store, Unix socket) on a throwaway home, with its controllers off so that the only writes are the
 * fuzzer's own (and the Events the API server records about them) and "a refused request changed
 * nothing" can be read off the store's resourceVersion.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from '../cli/daemon/compose.js';
import type { FuzzTarget } from './fuzz-runner.js';

export interface FuzzDaemon extends FuzzTarget {
  home: string;
  /** Lines the daemon logged (its 500s among them). */
  log: string[];
  stop(): Promise<void>;
}

/** Starts the daemon on a temporary home; `stop()` removes it. */
export async function startFuzzDaemon(): Promise<FuzzDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'sidekick-fuzz-'));
  const log: string[] = [];
  const daemon = await startDaemon({ home: join(dir, 'home'), controllers: false, log: (line) => log.push(line) });
  return {
    home: daemon.paths.root,
    socketPath: daemon.socketPath,
    token: daemon.token,
    log,
    revision: () => daemon.store.currentResourceVersion(),
    eventWritesBetween: async (before, after) => {
      // resourceVersions count writes one by one: an Event at a version in (before, after] is one of them.
      const { items } = await daemon.store.list('events', {});
      return items.filter((e) => Number(e.metadata.resourceVersion) > Number(before) && Number(e.metadata.resourceVersion) <= Number(after)).length;
    },
    stop: async () => {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
