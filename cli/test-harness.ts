/**
 * Test support: a real daemon on a temp home and the CLI run in-process against it, with output
 * captured. Used by the command tests; never imported by production code.
 */
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { startDaemon, type DaemonHandle } from '../controllers/daemon.js';
import { ApiClient } from '../api/client/client.js';
import { runCli } from './run.js';

/** The result of one CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A daemon plus helpers to run the CLI against it. */
export interface CliHarness {
  home: string;
  daemon: DaemonHandle;
  /** A client on the daemon socket, to act as "another client". */
  client: ApiClient;
  /** Runs the CLI to completion. */
  sk(argv: string[], opts?: { stdin?: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal }): Promise<CliResult>;
  /** Starts a long-running CLI command; stdout so far is readable at any time; `stop()` aborts and awaits it. */
  start(argv: string[]): { output: () => string; errors: () => string; done: Promise<CliResult>; stop: () => Promise<CliResult> };
  /** Writes a file under the home directory and returns its path. */
  write(name: string, text: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts a daemon on a fresh temp home. */
export async function startHarness(): Promise<CliHarness> {
  const home = await mkdtemp(join(tmpdir(), 'sidekick-cli-'));
  // CLI tests exercise the verbs on objects no controller should act on.
  const daemon = await startDaemon({ home, controllers: false });
  const client = new ApiClient({ socketPath: daemon.socketPath, token: daemon.token });
  const env = (extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ ...process.env, SIDEKICK_HOME: home, SIDEKICK_SERVER: '', SIDEKICK_TOKEN: '', SIDEKICK_NAMESPACE: '', ...extra });

  const run = (argv: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {}) => {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const result = { stdout: '', stderr: '' };
    stdout.on('data', (d: Buffer) => (result.stdout += d.toString()));
    stderr.on('data', (d: Buffer) => (result.stderr += d.toString()));
    const done = runCli(argv, {
      stdout,
      stderr,
      stdin: opts.stdin !== undefined ? Readable.from([opts.stdin]) : Readable.from([]),
      env: env(opts.env),
      cwd: home,
      signal: opts.signal,
    }).then((code) => ({ code, ...result }));
    return { done, result };
  };

  return {
    home,
    daemon,
    client,
    sk: (argv, opts) => run(argv, opts).done,
    start(argv) {
      const ctl = new AbortController();
      const { done, result } = run(argv, { signal: ctl.signal });
      return {
        output: () => result.stdout,
        errors: () => result.stderr,
        done,
        stop: async () => {
          ctl.abort();
          return done;
        },
      };
    },
    async write(name, text) {
      const path = join(home, name);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, text);
      return path;
    },
    async close() {
      client.close();
      await daemon.stop();
      await rm(home, { recursive: true, force: true });
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
