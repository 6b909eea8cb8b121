/**
 * bin/sidekick, the committed launcher that puts `sidekick` on the PATH of a fresh clone
 * (`export PATH="$PWD/bin:$PATH"`): it runs the built CLI, through symlinks too, and says what
 * to do when the build is missing.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repo } from './support/daemon.js';

const launcher = join(repo, 'bin', 'sidekick');
const temp = mkdtempSync(join(tmpdir(), 'sidekick-bin-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

// PATH as a user's shell has it, with node findable (the launcher runs `node`).
const env = { ...process.env, PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, SIDEKICK_SERVER: '' };

describe('bin/sidekick', () => {
  it('runs dist/cli/main.js with the arguments, from the PATH and through a symlink', () => {
    const onPath = spawnSync('sidekick', ['version', '--client'], { env: { ...env, PATH: `${join(repo, 'bin')}:${env.PATH}` }, encoding: 'utf8' });
    expect(onPath.stderr).toBe('');
    expect(onPath.status).toBe(0);
    expect(onPath.stdout).toMatch(/^Client Version: v\d+\.\d+\.\d+/);

    const linkDir = join(temp, 'links');
    mkdirSync(linkDir);
    symlinkSync(launcher, join(linkDir, 'sidekick'));
    const linked = spawnSync(join(linkDir, 'sidekick'), ['version', '--client'], { env, encoding: 'utf8' });
    expect(linked.status).toBe(0);
    expect(linked.stdout).toBe(onPath.stdout);
  });

  it('without a build: one line saying to run npm run build, exit 1', () => {
    const clone = join(temp, 'clone');
    mkdirSync(join(clone, 'bin'), { recursive: true });
    copyFileSync(launcher, join(clone, 'bin', 'sidekick'));
    const r = spawnSync(join(clone, 'bin', 'sidekick'), ['version'], { env, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`sidekick: ${join(clone, 'dist', 'cli', 'main.js')} is missing: run \`npm run build\` in ${clone} first\n`);
  });
});
