/** `sidekick serve` from the command line: a bad value exits 2 with one line naming it; refusals to connect exit 1. */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../test/support/cli.js';

describe('sidekick serve', () => {
  it('exits 2 with one line naming the flag or variable of a bad value, writing nothing', async () => {
    const home = mkdtempSync(join(tmpdir(), 'sk-serve-'));
    try {
      const r = await runCli(home, ['serve', '--max-runs', 'many', '--token', 'x']);
      expect(r).toMatchObject({ code: 2, stdout: '', stderr: 'error: --max-runs: expected a whole number ≥ 0, got "many"\n' });
      const v = await runCli(home, ['serve'], { env: { LOG_LEVEL: 'chatty' } });
      expect(v).toMatchObject({ code: 2, stderr: 'error: --log-level (LOG_LEVEL): expected one of DEBUG, INFO, WARNING, ERROR, got "chatty"\n' });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('is listed in help', async () => {
    const home = mkdtempSync(join(tmpdir(), 'sk-serve-'));
    try {
      const r = await runCli(home, ['serve', '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Run this machine as a runtime node of a control plane');
      expect(r.stdout).toContain('--repin');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
