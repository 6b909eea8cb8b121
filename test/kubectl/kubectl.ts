/**
 * Drives the real kubectl (/usr/bin/kubectl) against a daemon started in-process on a temp dir.
 * kubectl gets its own kubeconfig, HOME and cache under the temp dir, so the user's config and
 * discovery cache are never read or touched.
 * The daemon's TCP listener is https with its self-signed loopback certificate (kubectl never
 * sends a token over plain http), trusted through the kubeconfig's certificate-authority.
 */
import { afterAll, beforeAll } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DaemonHandle } from '../../cli/daemon/compose.js';
import { tempDaemon } from '../support/daemon.js';

export const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A daemon with TCP enabled plus a kubectl environment pointing at it. */
export interface KubectlEnv {
  daemon: DaemonHandle;
  dir: string;
  kubeconfig: string;
  /** Runs kubectl to completion; `input` goes to stdin. */
  run(args: string[], input?: string): Promise<KubectlResult>;
  /** Starts a long-running kubectl (e.g. `get -w`); its output accumulates in `output()`. */
  spawn(args: string[]): { child: ChildProcess; output: () => string; stop: () => Promise<void> };
  /** Writes a file under the temp dir and returns its path. */
  file(name: string, content: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Runs kubectl to completion with `env`; `input` goes to stdin. Asynchronously: a blocked event
 * loop would stop draining the pipes of servers this process started, and a server blocked on a
 * full pipe cannot answer.
 */
export function runKubectl(args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(KUBECTL, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** kubectl's stdout, or an error with its exit code and stderr. */
export async function kubectlOk(env: Pick<KubectlEnv, 'run'>, args: string[], input?: string): Promise<string> {
  const r = await env.run(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** kubectl against any server: its kubeconfig, HOME and cache in `dir`. */
export interface KubectlRunner {
  kubeconfig: string;
  run(args: string[], input?: string): Promise<KubectlResult>;
  spawn(args: string[]): { child: ChildProcess; output: () => string; stop: () => Promise<void> };
}

/** Writes a kubeconfig for `server` (trusting `caFile`, sending `token`) under `dir` and returns kubectl bound to it. */
export async function kubectlFor(o: { dir: string; server: string; caFile: string; token: string; name?: string }): Promise<KubectlRunner> {
  const kubeconfig = join(o.dir, o.name ?? 'kubeconfig');
  await writeFile(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: sidekick',
      '  cluster:',
      `    server: ${o.server}`,
      `    certificate-authority: ${o.caFile}`,
      'users:',
      '- name: sidekick',
      '  user:',
      `    token: ${o.token}`,
      'contexts:',
      '- name: sidekick',
      '  context: {cluster: sidekick, user: sidekick, namespace: default}',
      'current-context: sidekick',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: o.dir, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(o.dir, `${o.name ?? 'kubeconfig'}.cache`) };

  const run = (args: string[], input?: string): Promise<KubectlResult> => runKubectl(args, env, input);

  const spawnLong = (args: string[]) => {
    const child = spawn(KUBECTL, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    return {
      child,
      output: () => out,
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        await exited;
      },
    };
  };
  return { kubeconfig, run, spawn: spawnLong };
}

/** Starts a daemon on a temp home with `--listen 127.0.0.1:0` and writes a kubeconfig for it. */
export async function kubectlEnv(): Promise<KubectlEnv> {
  // Conformance is about the API; its objects are not meant to be run by controllers.
  const { dir, daemon, stop } = await tempDaemon({ prefix: 'sidekick-kubectl-', listen: '127.0.0.1:0', controllers: false });
  const kubectl = await kubectlFor({ dir, server: daemon.tcp!.url, caFile: daemon.tcp!.caFile, token: daemon.token });
  return {
    daemon,
    dir,
    kubeconfig: kubectl.kubeconfig,
    run: kubectl.run,
    spawn: kubectl.spawn,
    file: async (name, content) => {
      const path = join(dir, name);
      await writeFile(path, content);
      return path;
    },
    close: async () => {
      await stop();
    },
  };
}

/**
 * A kubectl environment for the whole test file: started before its tests, closed after them.
 * `ok` runs kubectl and returns its stdout, or throws with its stderr.
 */
export function kubectlPerFile(): { readonly env: KubectlEnv; ok(args: string[], input?: string): Promise<string> } {
  let env: KubectlEnv | undefined;
  beforeAll(async () => {
    env = await kubectlEnv();
  });
  afterAll(async () => {
    await env?.close();
  });
  const current = (): KubectlEnv => {
    if (!env) throw new Error('kubectl environment used before the file started');
    return env;
  };
  return {
    get env() {
      return current();
    },
    ok: (args, input) => kubectlOk(current(), args, input),
  };
}
