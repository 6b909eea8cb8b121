/**
 * The one in-process CLI runner of the test suites: `sidekick ARGV` run by cli/run.ts in this
 * process against the daemon in `home`, as a user would run it there, with its output captured.
 * The environment is the test process's with every setting that could point the CLI elsewhere
 * (server, token, namespace, kubeconfig context) blanked and colour off, so output is the same on every machine.
 */
import { PassThrough, Readable } from 'node:stream';
import { runCli as run } from '../../cli/run.js';

/** The result of one CLI run. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Standard input (default: empty). */
  stdin?: string;
  /** Added to (or overriding) the environment. */
  env?: NodeJS.ProcessEnv;
  /** Aborts the command, as Ctrl-C does (for `-f`/`--watch` commands). */
  signal?: AbortSignal;
  /** The working directory (default: the home). */
  cwd?: string;
  /**
   * A terminal: stdout reports itself a TTY, and so does this stream, given as stdin, which the
   * test writes the user's keystrokes to (lines).
   */
  terminal?: PassThrough;
}

/** A CLI command running in the background. */
export interface RunningCli {
  /** stdout so far. */
  output(): string;
  /** stderr so far. */
  errors(): string;
  /** Resolves when the command returns. */
  done: Promise<CliResult>;
  /** Aborts the command and waits for it. */
  stop(): Promise<CliResult>;
}

/** Starts `sidekick ARGV` against the daemon in `home` (also the working directory, unless `opts.cwd`). */
export function startCli(home: string, argv: string[], opts: CliOptions = {}): RunningCli {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  if (opts.terminal) {
    Object.assign(stdout, { isTTY: true });
    Object.assign(opts.terminal, { isTTY: true });
  }
  const result = { stdout: '', stderr: '' };
  stdout.on('data', (d: Buffer) => (result.stdout += d.toString()));
  stderr.on('data', (d: Buffer) => (result.stderr += d.toString()));
  const ctl = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, ctl.signal]) : ctl.signal;
  const env = { ...process.env, SIDEKICK_HOME: home, SIDEKICK_SERVER: '', SIDEKICK_TOKEN: '', SIDEKICK_NAMESPACE: '', SIDEKICK_CONTEXT: '', SIDEKICK_KUBECONFIG: '', NO_COLOR: '1', FORCE_COLOR: '', ...opts.env };
  const done = run(argv, {
    stdout,
    stderr,
    stdin: opts.terminal ?? Readable.from(opts.stdin !== undefined ? [opts.stdin] : []),
    env,
    cwd: opts.cwd ?? home,
    signal,
  }).then((code) => ({ code, ...result }));
  return {
    output: () => result.stdout,
    errors: () => result.stderr,
    done,
    stop: () => {
      ctl.abort();
      return done;
    },
  };
}

/** Runs `sidekick ARGV` against the daemon in `home` to completion. */
export function runCli(home: string, argv: string[], opts: CliOptions = {}): Promise<CliResult> {
  return startCli(home, argv, opts).done;
}
