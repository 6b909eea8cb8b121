/**
 * The house rules that keep the layout from eroding, checked with every test run (and so in CI):
 * imports run one way along the layers and never in a circle (hack/check-imports.mjs), and a file
 * over 400 lines says why (hack/check-long-files.mjs). Each script prints one line per violation.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function check(script: string): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [`hack/${script}`], { cwd: root, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

describe('the structure of the repository', () => {
  it('has no import cycle and no import running up the layers (cli → controllers → node → api → resources)', () => {
    const r = check('check-imports.mjs');
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  }, 60_000);

  it('says why in every file over 400 lines', () => {
    const r = check('check-long-files.mjs');
    expect(r.output).toMatch(/^long files: every file over 400 lines says why$/);
    expect(r.status).toBe(0);
  });
});
