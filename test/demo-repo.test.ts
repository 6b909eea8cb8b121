/** `npm run demo-repo` (dist/hack/demo-repo.js): creates the examples' demo repository, idempotently. */
import { afterAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { repo } from './support/daemon.js';
import { examplePath } from '../hack/demo-repository.js';

const script = join(repo, 'dist', 'hack', 'demo-repo.js');
const temp = mkdtempSync(join(tmpdir(), 'sidekick-demo-repo-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const demoRepo = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });

describe('npm run demo-repo', () => {
  it('creates the demo repository, says so when it is there already, and refuses a directory that is something else', () => {
    const path = join(temp, 'demo');
    expect(demoRepo(path)).toMatchObject({ status: 0, stdout: `✓ demo repository created at ${path} (branch main, 1 commit)\n` });
    expect(execFileSync('git', ['log', '--format=%s', 'main'], { cwd: path, encoding: 'utf8' })).toBe('Initial commit\n');
    expect(execFileSync('git', ['ls-files'], { cwd: path, encoding: 'utf8' }).split('\n').filter(Boolean).sort()).toEqual(['README.md', 'greeting.txt', 'test.sh']);
    expect(demoRepo(path)).toMatchObject({ status: 0, stdout: `✓ demo repository already at ${path}\n` });

    const other = join(temp, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'mine.txt'), 'not a demo\n');
    const refused = demoRepo(other);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`^demo-repo: ${other} exists and is not the demo repository`));
  });

  it('defaults to the path examples/hello names', () => {
    expect(examplePath(join(repo, 'examples', 'hello', 'repomount.yaml'))).toBe(join(homedir(), 'sidekick-demo'));
  });
});
