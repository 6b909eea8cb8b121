import { afterAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { sidekickHome } from '../../../api/home.js';
import type { Run } from '../../../resources/kinds/run.js';
import { e2eDefaultIsolation } from '../../../test/services.js';
import { eventually } from '../../../test/eventually.js';
import { approvalsOfRun, demoRepo, fetchTimeline, git, helloObjects, runInPhase, SocketApi } from '../../../test/e2e/support.js';

// The real binary, as users run it: `npm test` builds dist first (pretest).
const MAIN = resolve(process.cwd(), 'dist/cli/main.js');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function sidekick(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((done) => {
    execFile(process.execPath, [MAIN, ...args], { env: { ...process.env, SIDEKICK_SERVER: '', ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

/** The permission bits of the home and everything under it, by relative path, as octal text. */
async function modesUnder(root: string): Promise<Record<string, string>> {
  const modes: Record<string, string> = { '.': ((await stat(root)).mode & 0o777).toString(8) };
  for (const entry of await readdir(root, { recursive: true })) modes[entry] = ((await stat(join(root, entry))).mode & 0o777).toString(8);
  return modes;
}

let home: string | undefined;
afterAll(async () => {
  if (home) {
    await sidekick(['daemon', 'stop', '--home', home]);
    await rm(home, { recursive: true, force: true });
  }
});

describe('daemon start/status/stop as a background process', () => {
  test('lifecycle with a temp home', async () => {
    expect(existsSync(MAIN)).toBe(true);
    home = await mkdtemp(join(tmpdir(), 'sidekick-daemon-'));

    expect(await sidekick(['daemon', 'status', '--home', home])).toMatchObject({ code: 3, stdout: `daemon not running (home: ${home})\n` });

    const started = await sidekick(['daemon', 'start', '--home', home, '--listen', '127.0.0.1:0']);
    expect(started.code).toBe(0);
    const m = /^✓ daemon started \(home: (.+), socket (\S+) \+ (https:\/\/127\.0\.0\.1:\d+), pid (\d+)\)\n$/.exec(started.stdout);
    expect(m).not.toBeNull();
    const [, shownHome, socket, url, pid] = m!;
    expect(shownHome).toBe(home);
    expect(socket).toBe(join(home, 'sidekick.sock'));
    expect((await readFile(join(home, 'daemon.pid'), 'utf8')).trim()).toBe(pid);

    // Nothing under the home is readable by others: files 0600 (the database, its -wal and -shm
    // included), directories 0700.
    const modes = await modesUnder(home);
    expect(Object.keys(modes)).toEqual(expect.arrayContaining(['.', 'sidekick.db', 'sidekick.db-wal', 'sidekick.db-shm', 'token', 'daemon.pid', 'daemon.json', 'daemon.log', 'tls.key', 'sidekick.sock']));
    for (const [path, mode] of Object.entries(modes)) expect(`${path} ${mode}`).toBe(`${path} ${path === '.' || path === 'artifacts' || path === 'worktrees' ? '700' : '600'}`);

    const status = await sidekick(['daemon', 'status', '--home', home]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`daemon running (pid ${pid})`);
    expect(status.stdout).toContain(`tcp:     ${url}`);

    // Starting again is a no-op, with no flags or the same ones; other flags are refused.
    expect((await sidekick(['daemon', 'start', '--home', home])).stdout).toContain(`daemon already running`);
    expect(await sidekick(['daemon', 'start', '--home', home, '--listen', '127.0.0.1:0'])).toMatchObject({ code: 0, stdout: expect.stringContaining('daemon already running') });
    expect(await sidekick(['daemon', 'start', '--home', home, '--listen', '127.0.0.1:7443'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: the daemon is already running (pid ${pid}) with --listen 127.0.0.1:0; run "sidekick daemon restart --home ${home} --listen 127.0.0.1:7443"\n`,
    });
    expect(JSON.parse(await readFile(join(home, 'daemon.json'), 'utf8')).flags).toEqual({ listen: '127.0.0.1:0' });

    // The CLI binary talks to it over the socket and, with the token, over TLS.
    expect(await sidekick(['get', 'runs'], { SIDEKICK_HOME: home })).toMatchObject({ code: 0, stderr: 'No resources found in default namespace.\n' });
    const token = (await readFile(join(home, 'token'), 'utf8')).trim();
    expect(await sidekick(['get', 'runs', '--home', home, '--server', url, `--token=${token}`])).toMatchObject({ code: 0, stderr: 'No resources found in default namespace.\n' });

    expect(await sidekick(['daemon', 'stop', '--home', home])).toMatchObject({ code: 0, stdout: `✓ daemon stopped (pid ${pid})\n` });
    expect(() => process.kill(Number(pid), 0)).toThrow();
    expect((await sidekick(['daemon', 'status', '--home', home])).code).toBe(3);
    expect(await sidekick(['get', 'runs'], { SIDEKICK_HOME: home })).toMatchObject({
      code: 1,
      stderr: `error: cannot reach the sidekick daemon at ${socket} (start it with: sidekick daemon start)\n`,
    });
    const logs = await sidekick(['daemon', 'logs', '--home', home]);
    expect(logs.stdout).toContain('daemon stopped');
    expect(await sidekick(['daemon', 'stop', '--home', home])).toMatchObject({ code: 1, stderr: `error: the daemon is not running (home: ${home})\n` });
  }, 60_000);
});

describe('a refused daemon leaves nothing behind', () => {
  test.each([
    ['start', '0.0.0.0:0', /^error: refusing to listen on 0\.0\.0\.0 without TLS/],
    ['run', '0.0.0.0:0', /^error: refusing to listen on 0\.0\.0\.0 without TLS/],
    ['start', 'nonsense', /^error: --listen: expected HOST:PORT/],
  ])('daemon %s --listen %s', async (verb, listen, message) => {
    const empty = await mkdtemp(join(tmpdir(), 'sidekick-refused-'));
    try {
      const refused = await sidekick(['daemon', verb, '--home', empty, '--listen', listen]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(message);
      expect(await readdir(empty)).toEqual([]);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('daemon restart', () => {
  let restartHome: string | undefined;
  afterAll(async () => {
    if (restartHome) {
      await sidekick(['daemon', 'stop', '--home', restartHome]);
      await rm(join(restartHome, '..'), { recursive: true, force: true });
    }
  });

  test('applies new flags, keeps the recorded ones without flags, and a running run continues across it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sidekick-restart-'));
    restartHome = join(dir, 'home');
    const isolation = e2eDefaultIsolation();
    const started = await sidekick(['daemon', 'start', '--home', restartHome, '--default-isolation', isolation]);
    expect(started.code).toBe(0);
    const firstPid = /pid (\d+)\)\n$/.exec(started.stdout)![1]!;

    // A run in the middle of its script when the daemon restarts: it has written a.txt and waits for an answer.
    const demo = demoRepo(join(dir, 'repo'));
    const script = [{ say: 'one' }, { tool: 'WriteFile', input: { path: 'a.txt', content: 'a\n' } }, { ask: 'Write b.txt too?' }, { tool: 'WriteFile', input: { path: 'b.txt', content: 'b\n' } }, { say: 'finished' }];
    const objects = helloObjects(demo).map((o: Record<string, any>) => (o.kind === 'Agent' ? { ...o, spec: { ...o.spec, script } } : o));
    const manifest = join(dir, 'hello.yaml');
    await writeFile(manifest, objects.map((o) => stringify(o)).join('---\n'));
    expect(await sidekick(['apply', '-f', manifest], { SIDEKICK_HOME: restartHome })).toMatchObject({ code: 0 });
    const client = new SocketApi(sidekickHome(restartHome).socket);
    await runInPhase(client, 'hello', 'WaitingForInput');

    // start with other flags is refused, naming the restart that would apply them.
    expect(await sidekick(['daemon', 'start', '--home', restartHome, '--listen', '127.0.0.1:0'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `error: the daemon is already running (pid ${firstPid}) without --listen; run "sidekick daemon restart --home ${restartHome} --listen 127.0.0.1:0"\n`,
    });
    const restarted = await sidekick(['daemon', 'restart', '--home', restartHome, '--listen', '127.0.0.1:0', '--default-isolation', isolation]);
    expect(restarted.code).toBe(0);
    const m = /^✓ daemon stopped \(pid (\d+)\)\n✓ daemon started \(home: .+, socket \S+ \+ (https:\/\/127\.0\.0\.1:\d+), pid (\d+)\)\n$/.exec(restarted.stdout);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(firstPid);
    expect(m![3]).not.toBe(firstPid);
    expect(() => process.kill(Number(firstPid), 0)).toThrow();

    // The run goes on in the new daemon: resumed from its checkpoint, it asks again (the question
    // died with the old driver), the answer reaches it, and it finishes once, with both writes on its branch.
    const client2 = new SocketApi(sidekickHome(restartHome).socket);
    const asked = await eventually(async () => (await approvalsOfRun(client2, 'hello')).find((a) => a.status?.phase === 'Pending'), { timeoutMs: 30_000 });
    expect(asked!.spec).toMatchObject({ category: 'UserInput', request: { details: 'Write b.txt too?' } });
    expect(await sidekick(['respond', 'run/hello', '-m', 'yes'], { SIDEKICK_HOME: restartHome })).toMatchObject({ code: 0, stderr: '' });
    const run: Run = await runInPhase(client2, 'hello', 'Completed', 30_000);
    expect(run.status?.summary).toBe('finished');
    const events = await fetchTimeline(client2);
    expect(events.filter((e) => e.type === 'run.Completed')).toHaveLength(1);
    expect(git(demo, 'show', 'sidekicks/hello/hello:a.txt')).toBe('a\n');
    expect(git(demo, 'show', 'sidekicks/hello/hello:b.txt')).toBe('b\n');

    // Without flags: the flags it ran with, from daemon.json.
    const again = await sidekick(['daemon', 'restart', '--home', restartHome]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/\+ https:\/\/127\.0\.0\.1:\d+, pid \d+\)\n$/);
    expect(JSON.parse(await readFile(join(restartHome, 'daemon.json'), 'utf8')).flags).toEqual({ listen: '127.0.0.1:0', defaultIsolation: isolation });
    expect((await sidekick(['daemon', 'start', '--home', restartHome, '--listen', '127.0.0.1:0'])).stdout).toContain('daemon already running');

    // Flags it would refuse stop nothing.
    const refused = await sidekick(['daemon', 'restart', '--home', restartHome, '--listen', '0.0.0.0:0']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: refusing to listen on 0\.0\.0\.0 without TLS/);
    expect((await sidekick(['daemon', 'status', '--home', restartHome])).code).toBe(0);
  }, 120_000);
});
