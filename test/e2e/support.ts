/**
 * What the end-to-end suites share: throwaway git repositories, the examples as objects, and the
 * daemon's REST API over its Unix socket (as the CLI reaches it).
 */
import { afterAll, beforeAll, expect } from '@jest/globals';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { socketOwnerHeaders } from '../../api/client/connection.js';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { DaemonHandle } from '../../cli/daemon/compose.js';
import { cliMain, repo, tempDaemon } from '../support/daemon.js';
import { join } from 'node:path';
import { request } from 'node:http';
import { parseAllDocuments } from 'yaml';
import { ApiError } from '../../api/errors.js';
import type { Approval } from '../../resources/kinds/approval.js';
import type { Run } from '../../resources/kinds/run.js';
import { sidekickHome } from '../../api/home.js';
import { eventually } from '../eventually.js';
import { readLines } from '../../node/drivers/line-reader.js';
import { e2eDefaultIsolation } from '../services.js';

export { cliMain, hostCommand, repo } from '../support/daemon.js';
/** Runs the `sidekick` CLI in-process against the daemon in `home`, as a user would; resolves exit code and output. */
export { runCli as sidekick } from '../support/cli.js';

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
  /** A streaming GET (NDJSON, such as a followed timeline): `onLine` gets each line; the stream ends when `close()` is called or the server ends it. */
  stream(path: string, onLine: (line: string) => void): { close(): void; ended: Promise<void> } {
    let close = (): void => undefined;
    const ended = new Promise<void>((resolvePromise, reject) => {
      const req = request({ socketPath: this.socketPath, path, method: 'GET', headers: this.token ? { authorization: `Bearer ${this.token}` } : socketOwnerHeaders(this.socketPath) }, (res) => {
        if ((res.statusCode ?? 500) >= 400) {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => reject(ApiError.fromStatus(text ? JSON.parse(text) : undefined, res.statusCode ?? 500)));
          return;
        }
        readLines(res, { onLine, onEnd: () => resolvePromise() });
      });
      close = () => {
        req.destroy();
        resolvePromise();
      };
      req.on('error', reject);
      req.end();
    });
    return { close, ended };
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


/** The Approvals of one run (selected by its `sidekicks.dev/run` label). */
export async function approvalsOfRun(client: SocketApi, run: string): Promise<Approval[]> {
  const list = (await client.raw('GET', `${GV}/approvals?labelSelector=${encodeURIComponent(`sidekicks.dev/run=${run}`)}`)) as { items: Approval[] };
  return list.items;
}

/** Waits until the run is WaitingForApproval on exactly one Pending approval, and returns that approval. */
export function pendingApprovalOf(client: SocketApi, run: string, timeoutMs = 20_000): Promise<Approval> {
  return eventually(async () => {
    const pending = (await approvalsOfRun(client, run)).filter((a) => a.status?.phase === 'Pending');
    expect(pending).toHaveLength(1);
    expect((await runPhase(client, run)).status?.phase).toBe('WaitingForApproval');
    return pending[0]!;
  }, { timeoutMs });
}

/** Waits until the run is in `phase`, and returns it. */
export function runInPhase(client: SocketApi, run: string, phase: string, timeoutMs = 20_000): Promise<Run> {
  return eventually(async () => {
    const r = await runPhase(client, run);
    expect(r.status?.phase).toBe(phase);
    return r;
  }, { timeoutMs });
}

/** Waits until the run is Completed, and returns it. */
export function completedRun(client: SocketApi, run: string, timeoutMs = 20_000): Promise<Run> {
  return runInPhase(client, run, 'Completed', timeoutMs);
}

export async function fetchTimeline(client: SocketApi, session = 'hello'): Promise<{ sequence: number; type: string; payload: unknown }[]> {
  const page = (await client.raw('GET', `/apis/sidekicks.dev/v1alpha1/namespaces/default/sessions/${session}/timeline?limit=1000`)) as { events: { sequence: number; type: string; payload: unknown }[] };
  return page.events;
}

/** A journal event as the timeline serves it. */
export interface TimelineEntry {
  sequence: number;
  type: string;
  run?: string;
  payload: unknown;
}

/**
 * Resolves with the first event of a session's journal — its backlog, then live — of one of
 * `types` (and of `run`, when given) that `match` accepts. A test that must act at one exact point
 * (kill -9 the daemon in the middle of a step) waits for the event that marks it, instead of
 * polling the timeline and hoping to land inside a window.
 */
export async function nextEvent(
  client: SocketApi,
  session: string,
  filter: { types: string[]; run?: string },
  match: (event: TimelineEntry) => boolean = () => true,
  timeoutMs = 30_000,
): Promise<TimelineEntry> {
  const query = `follow=1&type=${encodeURIComponent(filter.types.join(','))}${filter.run ? `&run=${encodeURIComponent(filter.run)}` : ''}`;
  let found: TimelineEntry | undefined;
  const follow = client.stream(`${GV}/sessions/${session}/timeline?${query}`, (line) => {
    const event = JSON.parse(line) as TimelineEntry;
    if (found || !match(event)) return;
    found = event;
    follow.close();
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${filter.types.join('|')} event${filter.run ? ` of run ${filter.run}` : ''} in session ${session} within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([follow.ended, timedOut]);
  } finally {
    clearTimeout(timer);
    follow.close();
  }
  if (!found) throw new Error(`the timeline of session ${session} ended before the event came`);
  return found;
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

/** Stops a daemon child with `signal` (SIGTERM, or SIGKILL for a crash) and waits for it; one already gone (or never started) is fine. */
export async function stopDaemonProcess(p: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill(signal);
  await exited;
}

/** A temp dir for a describe block whose tests run the daemon as a child process (`child`) there. */
export interface DaemonProcessFixture {
  dir: string;
  /** The daemon child the tests started last. */
  child?: ChildProcess;
}

/**
 * Registers beforeAll/afterAll for a DaemonProcessFixture: makes the dir (named with `prefix`), and
 * afterwards kills -9 a child left running and removes the dir.
 */
export function daemonProcessFixture(prefix: string): DaemonProcessFixture {
  const f: DaemonProcessFixture = { dir: '' };
  beforeAll(() => {
    f.dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => {
    if (f.child && f.child.exitCode === null) f.child.kill('SIGKILL');
    rmSync(f.dir, { recursive: true, force: true });
  });
  return f;
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
  const temp = await tempDaemon({ prefix });
  return { ...temp, client: new SocketApi(temp.daemon.socketPath) };
}
