import { afterAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
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
