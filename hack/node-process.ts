/**
 * Starts `sidekick serve` runtime nodes as separate processes, as a participant would on their
 * machine, for the end-to-end tests and the node benchmarks: each with its own HOME (credentials
 * in `~/.sidekick/credentials.json`, the node's local store and workspace under it), resolved once
 * it logs that it is attached to the control plane.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cliEntry } from './bench/daemon-process.js';

export interface NodeProcess {
  name: string;
  home: string;
  pid: number;
  child: ChildProcess;
  /** Everything it logged so far. */
  log(): string;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  /** SIGKILL and wait (a crash). */
  kill(): Promise<void>;
  exited(): Promise<number | null>;
}

export interface NodeProcessOptions {
  url: string;
  /** The registration token (the first start); later starts use the cached credentials. */
  token?: string;
  name: string;
  /** HOME of the node's user. */
  home: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** What to wait for in the log (default: the line saying the node is attached). */
  readyPattern?: RegExp;
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code)));
}

/** Spawns a node; resolves once it logged `readyPattern`, rejects with its log if it exits first. */
export async function startNodeProcess(o: NodeProcessOptions): Promise<NodeProcess> {
  const args = [cliEntry(), 'serve', '--url', o.url, '--name', o.name, ...(o.token ? ['--token', o.token] : []), ...(o.args ?? [])];
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: o.home, LOG_LEVEL: 'DEBUG', ...o.env };
  // The node's own state lives under its HOME, never the test runner's.
  delete env.SIDEKICK_HOME;
  delete env.RUNNER_TOKEN;
  delete env.SIDEKICK_URL;
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  const pattern = o.readyPattern ?? /attached to /;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node ${o.name} did not attach in 60 s:\n${output.trim()}`)), 60_000);
    timer.unref();
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (pattern.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`node ${o.name} exited (${code ?? signal}):\n${output.trim()}`));
    });
  });
  return {
    name: o.name,
    home: o.home,
    pid: child.pid as number,
    child,
    log: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exitOf(child);
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exitOf(child);
    },
    exited: () => exitOf(child),
  };
}
