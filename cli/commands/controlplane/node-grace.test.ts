/**
 * `sidekick controlplane --node-monitor-grace / --node-lost-grace`, in-process: a bad duration is
 * refused with one line naming the flag (or the variable's flag) before anything is opened, and a
 * flag beats its variable. A database across the network without TLS stops the good cases before
 * any connection, so nothing here needs Postgres or NATS.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../test/support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'sk-cp-node-grace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const base = ['controlplane', '--nats', 'nats://127.0.0.1:4222', '--signing-key', join(dir, 'absent.pem'), '--database', 'postgres://u@db.example.com/x'];
const BLANK = { SIDEKICK_NODE_MONITOR_GRACE: '', SIDEKICK_NODE_LOST_GRACE: '' };

describe('controlplane node grace flags', () => {
  it.each([
    [['--node-monitor-grace', 'soon'], {}, '--node-monitor-grace: expected a duration of at least 1s such as 40s or 5m, got "soon"'],
    [['--node-lost-grace', '500ms'], {}, '--node-lost-grace: expected a duration of at least 1s such as 40s or 5m, got "500ms"'],
    [[], { SIDEKICK_NODE_LOST_GRACE: 'never' }, '--node-lost-grace: expected a duration of at least 1s such as 40s or 5m, got "never"'],
  ])('refuses %j %j with one line naming the flag', async (args, env, message) => {
    const r = await runCli(dir, [...base, ...args], { env: { ...BLANK, ...env } });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
  });

  it('takes a flag over its variable, and goes on to the next check', async () => {
    const r = await runCli(dir, [...base, '--node-lost-grace', '10m', '--node-monitor-grace', '20s'], { env: { ...BLANK, SIDEKICK_NODE_LOST_GRACE: 'never' } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toContain('grace');
    expect(r.stderr).toContain('without verified TLS');
  });
});
