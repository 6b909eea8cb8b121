/**
 * The image and the chart agree. No Docker build can run here (the base images sit in a registry
 * this machine cannot reach), so the Dockerfile is read instead: the image's ENTRYPOINT plus the
 * Deployment's arguments must make `sidekick controlplane …`, the launcher it names must be the
 * repository's bin/sidekick, the user and port must be the chart's, and the build context
 * (.dockerignore) must keep everything the build reads.
 */
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { REQUIRED_VALUES, ROOT, only, render } from './helm-chart.js';
import { dockerStages, envOf, imageEntrypoint, instructionsOf } from './dockerfile.js';
import { containerNamed, podSpecOf } from './local-pod.js';

const HELM_TIMEOUT = 120_000;
const stages = dockerStages();
const [build, runtime] = stages;

describe('the Dockerfile', () => {
  it('builds in node:20-bookworm-slim with the native toolchain, and ships a slim stage without it', () => {
    expect(stages.map((s) => [s.from, s.name])).toEqual([
      ['node:20-bookworm-slim', 'build'],
      ['node:20-bookworm-slim', undefined],
    ]);
    const buildRuns = instructionsOf(build, 'RUN').join('\n');
    for (const step of ['python3', 'make', 'g++', 'npm ci', 'npm run build', 'npm prune --omit=dev']) expect(buildRuns).toContain(step);
    const runtimeRuns = instructionsOf(runtime, 'RUN').join('\n');
    for (const tool of ['python3', 'g++', 'apt-get install']) expect(runtimeRuns).not.toContain(tool);
    // Only what runs: the compiled code, production packages, package.json (type: module) and the launcher.
    expect(instructionsOf(runtime, 'COPY').map((c) => c.replace(/^--from=build\s+/, '').split(/\s+/)[0]).sort()).toEqual(['/src/bin', '/src/dist', '/src/node_modules', '/src/package.json']);
    expect(instructionsOf(runtime, 'COPY').every((c) => c.startsWith('--from=build '))).toBe(true);
    expect(instructionsOf(runtime, 'HEALTHCHECK')).toEqual([]);
    // Node 20 satisfies the package's engines (the major is what the tag pins).
    const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    expect(engines).toMatch(/^>=20\./);
  });

  it('runs as the chart’s user on the chart’s port', () => {
    const pod = podSpecOf(only(render(REQUIRED_VALUES), 'Deployment'));
    const container = containerNamed(pod, 'controlplane');
    expect(instructionsOf(runtime, 'USER')).toEqual([`${pod.securityContext?.runAsUser}:${pod.securityContext?.runAsGroup}`]);
    expect(instructionsOf(runtime, 'RUN').join('\n')).toContain(`--uid ${container.securityContext?.runAsUser}`);
    expect(instructionsOf(runtime, 'EXPOSE')).toEqual([String(container.ports?.[0].containerPort)]);
  }, HELM_TIMEOUT);

  it('has an ENTRYPOINT that, with the Deployment’s args, runs `sidekick controlplane …` from the repository’s launcher', () => {
    const { entrypoint, workdir } = imageEntrypoint(stages);
    expect(entrypoint).toHaveLength(1);
    // The launcher is COPYed from /src/bin to <WORKDIR>/bin: the same file as the repository's bin/sidekick.
    expect(entrypoint[0]).toBe(join(workdir, 'bin', 'sidekick'));
    const launcher = join(ROOT, relative(workdir, entrypoint[0]));
    accessSync(launcher, constants.X_OK);
    expect(envOf(runtime).PATH).toBe(`${join(workdir, 'bin')}:$PATH`); // so `kubectl exec … sidekick …` (NOTES.txt) finds it
    const pod = podSpecOf(only(render(REQUIRED_VALUES), 'Deployment'));
    for (const name of ['controlplane', 'migrate']) {
      const container = containerNamed(pod, name);
      expect(container.command).toBeUndefined(); // a command would replace the ENTRYPOINT
      expect([basename(entrypoint[0]), ...(container.args ?? [])].slice(0, 2)).toEqual(['sidekick', 'controlplane']);
    }
    // The launcher runs the compiled CLI (dist/ is built by jest's globalSetup).
    const version = spawnSync(launcher, ['version', '--client'], { encoding: 'utf8' });
    expect(version.stderr).toBe('');
    expect(version.status).toBe(0);
  }, HELM_TIMEOUT);

  it('keeps in the build context everything the build reads, and leaves out host builds', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']));
    const buildConfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
    const needed = [...new Set(buildConfig.include.map((p) => p.split('/')[0]))];
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { build: string } };
    needed.push('package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'bin', ...(pkg.scripts.build.match(/hack\/[\w.-]+\.mjs/g) ?? []));
    for (const path of needed) {
      expect(existsSync(join(ROOT, path))).toBe(true);
      // The patterns are plain top-level names: a needed path is kept unless its first segment is listed.
      expect(ignored).not.toContain(path.split('/')[0]);
    }
    expect(ignored.every((p) => /^[\w.*-]+$/.test(p))).toBe(true);
  });
});
