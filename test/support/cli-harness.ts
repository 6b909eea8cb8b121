/**
 * The CLI command suites' harness: the temporary daemon (./daemon.ts, controllers off: the verbs act
 * on objects no controller should touch) and the in-process CLI (./cli.ts) against it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DaemonHandle } from '../../cli/daemon/compose.js';
import { ApiClient } from '../../api/client/client.js';
import { runCli, startCli, type CliOptions, type CliResult, type RunningCli } from './cli.js';
import { tempDaemon } from './daemon.js';

export type { CliResult } from './cli.js';

/** A daemon plus helpers to run the CLI against it. */
export interface CliHarness {
  home: string;
  daemon: DaemonHandle;
  /** A client on the daemon socket, to act as "another client". */
  client: ApiClient;
  /** Runs the CLI to completion. */
  sk(argv: string[], opts?: CliOptions): Promise<CliResult>;
  /** Starts a long-running CLI command; stdout so far is readable at any time; `stop()` aborts and awaits it. */
  start(argv: string[]): RunningCli;
  /** Writes a file under the home directory and returns its path. */
  write(name: string, text: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts a daemon (controllers off) on a fresh temp home. */
export async function startHarness(): Promise<CliHarness> {
  const { home, daemon, stop } = await tempDaemon({ prefix: 'sidekick-cli-', controllers: false });
  const client = new ApiClient({ socketPath: daemon.socketPath, token: daemon.token });
  return {
    home,
    daemon,
    client,
    sk: (argv, opts) => runCli(home, argv, opts),
    start: (argv) => startCli(home, argv),
    async write(name, text) {
      const path = join(home, name);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, text);
      return path;
    },
    async close() {
      client.close();
      await stop();
    },
  };
}

/** A Run manifest with overridable fields. */
export function runManifest(name: string, opts: { labels?: Record<string, string>; spec?: Record<string, unknown>; namespace?: string } = {}): string {
  const spec = { session: 's1', agent: 'a1', prompt: 'do the thing', ...opts.spec };
  return JSON.stringify({
    apiVersion: 'sidekicks.dev/v1alpha1',
    kind: 'Run',
    metadata: { name, ...(opts.namespace ? { namespace: opts.namespace } : {}), ...(opts.labels ? { labels: opts.labels } : {}) },
    spec,
  });
}

/**
 * Parses a kubectl-style table into records keyed by header, cutting every row at the header's
 * column offsets — so a misaligned row shows up as wrong values.
 */
export function parseTable(text: string): Record<string, string>[] {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const header = lines[0] ?? '';
  const starts: { name: string; at: number }[] = [];
  const re = /\S+(?: \S+)*/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(header)) !== null) starts.push({ name: m[0], at: m.index });
  return lines.slice(1).map((line) => {
    const row: Record<string, string> = {};
    starts.forEach((c, i) => (row[c.name] = line.slice(c.at, i + 1 < starts.length ? starts[i + 1].at : undefined).trim()));
    return row;
  });
}

/** The Run resource reference. */
export const RUNS = { group: 'sidekicks.dev', version: 'v1alpha1', plural: 'runs', kind: 'Run', namespaced: true };
