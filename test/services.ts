/**
 * How tests find Postgres and NATS.
 *
 * 1. `SIDEKICK_TEST_PG_URL` / `SIDEKICK_TEST_NATS_URL` point at running servers (CI, dev boxes).
 * 2. Otherwise, when the server binaries are installed, a throwaway server is started in a temp
 *    dir on a free port for the suite and stopped after it (as the `postgres` user when root).
 * 3. Otherwise the suite is skipped LOUDLY: a console warning naming the suite and the install
 *    command, and a line in `$SIDEKICK_SKIP_LOG` (printed by test/summary-reporter.cjs). With
 *    `SIDEKICK_REQUIRE_SERVICES=1` a missing service is a test failure instead.
 *
 * Every Postgres suite gets a fresh database (random name), dropped afterwards.
 */
import { afterAll, beforeAll, describe, it } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, appendFileSync, chownSync, constants, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { eventually } from './eventually.js';

const START_TIMEOUT_MS = 60_000;

/** A running server for a suite, and how to stop it. */
interface Running {
  url: string;
  stop(): Promise<void>;
}

import { freePort } from '../hack/free-port.js';

export { freePort };

function which(cmd: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  return dirs.map((dir) => join(dir, cmd)).find((p) => p.startsWith('/') && isExecutable(p));
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The newest Debian-packaged Postgres bin directory, if installed. */
function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0], 'bin') : undefined;
}

const asRoot = (): boolean => userInfo().uid === 0;

/** Runs a command (as the postgres user when we are root) and fails loudly on a non-zero exit. */
function runAsPostgres(cmd: string, args: string[]): void {
  const [file, argv] = asRoot() ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  const r = spawnSync(file, argv, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr || r.stdout}`);
}

async function startPostgres(bin: string): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'sk-pg-'));
  if (asRoot()) {
    const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    chownSync(dir, Number(ids.stdout.trim()), Number(gid.stdout.trim()));
  }
  const data = join(dir, 'data');
  runAsPostgres(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const args = ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'];
  const [file, argv] = asRoot() ? ['runuser', ['-u', 'postgres', '--', join(bin, 'postgres'), ...args]] : [join(bin, 'postgres'), args];
  const child = spawn(file, argv, { stdio: 'ignore' });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}`);
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.end();
      return true;
    },
    { timeoutMs: START_TIMEOUT_MS, intervalMs: 100 },
  );
  return {
    url,
    stop: async () => {
      runAsPostgres(join(bin, 'pg_ctl'), ['-D', data, 'stop', '-m', 'fast', '-w']);
      await exited(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function startNats(binary: string): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'sk-nats-'));
  const port = await freePort();
  const child = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: 'ignore' });
  await eventually(
    () =>
      new Promise<boolean>((resolve, reject) => {
        if (child.exitCode !== null) return reject(new Error(`nats-server exited with ${child.exitCode}`));
        // destroy, not end: an ended socket nobody reads waits for the server's FIN and keeps jest alive.
        const sock = createConnection({ host: '127.0.0.1', port }, () => (sock.destroy(), resolve(true)));
        sock.once('error', reject);
      }),
    { timeoutMs: START_TIMEOUT_MS, intervalMs: 50 },
  );
  return {
    url: `nats://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM');
      await exited(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Declares the suite as skipped (or failing, with SIDEKICK_REQUIRE_SERVICES=1) and says so loudly. */
function missing(service: string, suite: string, install: string, envVar: string, fn: (getUrl: () => string) => void): void {
  const message = `${suite}: needs ${service}; set ${envVar} or run \`${install}\``;
  if (process.env.SIDEKICK_REQUIRE_SERVICES === '1') {
    describe(suite, () => {
      it(`has ${service} available`, () => {
        throw new Error(`${message} (SIDEKICK_REQUIRE_SERVICES=1 makes this a failure, not a skip)`);
      });
    });
    return;
  }
  console.warn(`SKIPPED ${message}`);
  if (process.env.SIDEKICK_SKIP_LOG) appendFileSync(process.env.SIDEKICK_SKIP_LOG, `${message}\n`);
  const skipped = (describe as unknown as Record<string, (name: string, body: () => void) => void>)['skip'];
  skipped(suite, () =>
    fn(() => {
      throw new Error(`${service} is not available`);
    }),
  );
}

/** Replaces the database name in a Postgres URL. */
function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Runs one statement on its own connection (CREATE/DROP DATABASE, pg_terminate_backend). */
export async function pgAdmin(url: string, statement: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}

/**
 * Declares a suite that needs Postgres. `getUrl()` (valid from the suite's beforeAll on) is the
 * URL of a fresh database created for this suite.
 */
export function describeWithPostgres(name: string, fn: (getUrl: () => string) => void): void {
  const given = process.env.SIDEKICK_TEST_PG_URL;
  const bin = given ? undefined : postgresBinDir();
  const canRun = given || (bin && (!asRoot() || which('runuser')));
  if (!canRun) return missing('Postgres', name, 'apt-get install postgresql', 'SIDEKICK_TEST_PG_URL', fn);
  let server: Running | undefined;
  let url = '';
  let database = '';
  describe(name, () => {
    beforeAll(async () => {
      server = given ? undefined : await startPostgres(bin as string);
      const base = given ?? (server as Running).url;
      database = `sk_test_${randomBytes(6).toString('hex')}`;
      await pgAdmin(base, `CREATE DATABASE ${database}`);
      url = withDatabase(base, database);
    }, START_TIMEOUT_MS);
    fn(() => {
      if (!url) throw new Error('Postgres URL requested before the suite started');
      return url;
    });
    // Declared after the suite's own hooks so those run first (they may still use the database).
    afterAll(async () => {
      const base = given ?? server?.url;
      if (base && database) await pgAdmin(base, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await server?.stop();
    }, START_TIMEOUT_MS);
  });
}

/** Declares a suite that needs NATS (with JetStream). `getUrl()` is valid from the suite's beforeAll on. */
export function describeWithNats(name: string, fn: (getUrl: () => string) => void): void {
  const given = process.env.SIDEKICK_TEST_NATS_URL;
  const binary = given ? undefined : which('nats-server');
  if (!given && !binary) return missing('NATS', name, 'apt-get install nats-server', 'SIDEKICK_TEST_NATS_URL', fn);
  let server: Running | undefined;
  describe(name, () => {
    beforeAll(async () => {
      if (!given) server = await startNats(binary as string);
    }, START_TIMEOUT_MS);
    fn(() => {
      const url = given ?? server?.url;
      if (!url) throw new Error('NATS URL requested before the suite started');
      return url;
    });
    afterAll(async () => {
      await server?.stop();
    }, START_TIMEOUT_MS);
  });
}

/** Whether bubblewrap can build a sandbox on this machine (a real attempt, as the daemon's probe makes). */
export function sandboxAvailable(): boolean {
  const bwrap = which('bwrap');
  if (!bwrap) return false;
  return spawnSync(bwrap, ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-net', '--unshare-pid', '--', '/bin/true']).status === 0;
}

/** Declares a suite that needs the agent sandbox (bubblewrap); skipped loudly where it cannot run. */
export function describeWithSandbox(name: string, fn: () => void): void {
  if (!sandboxAvailable()) return missing('bubblewrap', name, 'apt-get install bubblewrap', 'PATH', () => fn());
  describe(name, fn);
}

/**
 * The isolation default for e2e daemons: Required where a sandbox can be made (runs are tested as
 * users get them); elsewhere BestEffort, said loudly, so `npm test` still passes on a machine
 * without bubblewrap. In CI (SIDEKICK_REQUIRE_SERVICES=1) bubblewrap is required.
 */
export function e2eDefaultIsolation(): 'Required' | 'BestEffort' {
  if (sandboxAvailable() || process.env.SIDEKICK_REQUIRE_SERVICES === '1') return 'Required';
  console.warn('NOTE: bubblewrap is not available (apt-get install bubblewrap): end-to-end runs go unsandboxed (isolation BestEffort)');
  return 'BestEffort';
}
