/**
 * What the end-to-end suites share: throwaway git repositories, the examples as objects, and the
 * daemon's REST API over its Unix socket (as the CLI reaches it).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { socketOwnerHeaders } from '../../api/client/connection.js';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { expect } from '@jest/globals';
import { startDaemon, type DaemonHandle } from '../../controllers/daemon.js';
import { join, resolve } from 'node:path';
import { request } from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import { parseAllDocuments } from 'yaml';
import { ApiError } from '../../api/errors.js';
import type { Run } from '../../resources/kinds/run.js';
import { sidekickHome } from '../../api/home.js';
import { runCli } from '../../cli/run.js';
import { eventually } from '../eventually.js';
import { e2eDefaultIsolation } from '../services.js';

export const repo = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..');
export const hostCommand = [process.execPath, join(repo, 'dist', 'node', 'drivers', 'host.js')];
export const cliMain = join(repo, 'dist', 'cli', 'main.js');

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], { cwd, encoding: 'utf8' });
}

export function demoRepo(dir: string): string {
  const path = join(dir, 'demo');
  execFileSync('git', ['init', '-q', '-b', 'main', path]);
  writeFileSync(join(path, 'greeting.txt'), 'Hello, world\n');
  writeFileSync(join(path, 'test.sh'), '#!/bin/sh\ngrep -q "Hello, " greeting.txt && echo "test passed"\n');
  git(path, 'add', '-A');
  git(path, 'commit', '-q', '-m', 'Initial commit');
  return path;
}

/** Everything a run must not change in the main checkout: files, index, HEAD, status. */
export function fingerprint(path: string): string {
  const h = createHash('sha256');
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (dir === path && name === '.git') continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else h.update(p).update(readFileSync(p));
    }
  };
  walk(path);
  h.update(readFileSync(join(path, '.git', 'index')));
  h.update(git(path, 'rev-parse', 'HEAD'));
  h.update(git(path, 'status', '--porcelain', '--ignored'));
  return h.digest('hex');
}

/** An example's objects with the RepoMount pointed at `demo` (and the endpoint at `baseURL`). */
export function exampleObjects(example: string, demo: string, baseURL?: string): Record<string, unknown>[] {
  const dir = join(repo, 'examples', example);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJSON() as Record<string, any>))
    .map((o) => (o.kind === 'RepoMount' ? { ...o, spec: { ...o.spec, path: demo } } : o))
    .map((o) => (o.kind === 'Agent' && baseURL ? { ...o, spec: { ...o.spec, endpoint: { ...o.spec.endpoint, baseURL } } } : o));
}

export function helloObjects(demo: string): Record<string, unknown>[] {
  return exampleObjects('hello', demo);
}

export const plural: Record<string, string> = { Session: 'sessions', Agent: 'agents', RepoMount: 'repomounts', Run: 'runs', ApprovalPolicy: 'approvalpolicies' };
export const GV = '/apis/sidekicks.dev/v1alpha1/namespaces/default';

/** The daemon's REST API over its Unix socket, as the CLI reaches it. */
export class SocketApi {
  /** Requests act as the daemon's owner (its token beside the socket), or as `token`'s identity. */
  constructor(
    private readonly socketPath: string,
    private readonly token?: string,
  ) {}

  raw(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<unknown> {
    return new Promise((resolvePromise, reject) => {
      const req = request({ socketPath: this.socketPath, path, method, headers: { ...(this.token ? { authorization: `Bearer ${this.token}` } : socketOwnerHeaders(this.socketPath)), ...(body ? { 'content-type': contentType } : {}) } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          const parsed = text ? JSON.parse(text) : undefined;
          if ((res.statusCode ?? 500) >= 400) reject(ApiError.fromStatus(parsed, res.statusCode ?? 500));
          else resolvePromise(parsed);
        });
      });
      req.on('error', reject);
      req.end(body ? JSON.stringify(body) : undefined);
    });
  }
  create(resource: string, _ns: string, obj: unknown): Promise<unknown> {
    return this.raw('POST', `${GV}/${resource}`, obj);
  }
  get(resource: string, _ns: string, name: string): Promise<unknown> {
    return this.raw('GET', `${GV}/${resource}/${name}`);
  }
  delete(resource: string, _ns: string, name: string): Promise<unknown> {
    return this.raw('DELETE', `${GV}/${resource}/${name}`);
  }
}

export async function applyAll(client: SocketApi, objects: Record<string, any>[]): Promise<void> {
  for (const o of objects) await client.create(plural[o.kind], 'default', o);
}

export async function runPhase(client: SocketApi, name: string): Promise<Run> {
  return (await client.get('runs', 'default', name)) as Run;
}


export async function fetchTimeline(client: SocketApi, session = 'hello'): Promise<{ sequence: number; type: string; payload: unknown }[]> {
  const page = (await client.raw('GET', `/apis/sidekicks.dev/v1alpha1/namespaces/default/sessions/${session}/timeline?limit=1000`)) as { events: { sequence: number; type: string; payload: unknown }[] };
  return page.events;
}

/** Starts `sidekick daemon run` as a child process (so a test can kill -9 it); resolves once it serves. */
export function startDaemonProcess(home: string, env: NodeJS.ProcessEnv = process.env): Promise<ChildProcess> {
  const p = spawn(process.execPath, [cliMain, 'daemon', 'run', '--home', home, '--default-isolation', e2eDefaultIsolation()], { stdio: ['ignore', 'ignore', 'pipe'], env });
  // A safety net: a daemon a failed test left running must not outlive the test process.
  const reap = (): void => void (p.exitCode === null && p.signalCode === null && p.kill('SIGKILL'));
  process.once('exit', reap);
  p.once('exit', () => process.off('exit', reap));
  let stderr = '';
  p.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const info = sidekickHome(home).daemonInfo;
  return eventually((): ChildProcess => {
    if (p.exitCode !== null) throw new Error(`daemon exited: ${stderr}`);
    const parsed = existsSync(info) ? (JSON.parse(readFileSync(info, 'utf8')) as { pid: number }) : undefined;
    if (parsed?.pid !== p.pid) throw new Error('daemon not ready yet');
    return p;
  }, { timeoutMs: 15_000 });
}

/** Stops a daemon child with SIGTERM and waits for it; one already gone (or never started) is fine. */
export async function stopDaemonProcess(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await exited;
}

/** Runs the `sidekick` CLI in-process against the daemon in `home`, as a user would; resolves exit code and output. */
export async function sidekick(home: string, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const [stdout, stderr] = [new PassThrough(), new PassThrough()];
  let [out, err] = ['', ''];
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const env = { ...process.env, SIDEKICK_HOME: home, SIDEKICK_SERVER: '', SIDEKICK_NAMESPACE: '' };
  const code = await runCli(argv, { stdout, stderr, stdin: Readable.from([]), env, cwd: home });
  return { code, stdout: out, stderr: err };
}

/** A daemon in this process (controllers on, the built driver host) in a temp dir; `stop()` removes it. */
export interface InProcessDaemon {
  dir: string;
  home: string;
  daemon: DaemonHandle;
  client: SocketApi;
  stop(): Promise<void>;
}

/** Starts an in-process daemon for a describe block: `beforeAll(async () => ({ dir, home, client, stop } = await startInProcessDaemon('x-')))`. */
export async function startInProcessDaemon(prefix: string): Promise<InProcessDaemon> {
  expect(existsSync(hostCommand[1]!)).toBe(true);
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const home = join(dir, 'home');
  const daemon = await startDaemon({ home, driverHostCommand: hostCommand, defaultIsolation: e2eDefaultIsolation() });
  return {
    dir,
    home,
    daemon,
    client: new SocketApi(daemon.socketPath),
    stop: async () => {
      await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
