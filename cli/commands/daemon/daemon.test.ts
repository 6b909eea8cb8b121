import { afterAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

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

    // Starting again is a no-op.
    expect((await sidekick(['daemon', 'start', '--home', home])).stdout).toContain(`daemon already running`);

    // The CLI binary talks to it over the socket and, with the token, over TLS.
    expect(await sidekick(['get', 'runs'], { SIDEKICK_HOME: home })).toMatchObject({ code: 0, stderr: 'No resources found in default namespace.\n' });
    const token = (await readFile(join(home, 'token'), 'utf8')).trim();
    expect(await sidekick(['get', 'runs', '--home', home, '--server', url, '--token', token])).toMatchObject({ code: 0 });

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
