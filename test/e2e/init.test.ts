/**
 * `sidekick init` end to end: a fresh git repository, the real daemon (controllers on), the CLI as
 * a user runs it in a subdirectory of the repository — with a PATH holding only node and git, so
 * no agent CLI is found and the Scripted demo agent is set up, whose first run completes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { cliMain, completedRun, git, sidekick, SocketApi, startInProcessDaemon, type InProcessDaemon } from './support.js';

let d: InProcessDaemon;
let bin: string;
beforeAll(async () => {
  d = await startInProcessDaemon('sidekick-init-');
  // A PATH with node and git only: whatever else this machine has (claude, codex) is not found.
  bin = join(d.dir, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  symlinkSync(execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim(), join(bin, 'git'));
});
afterAll(() => d.stop());

/** The environment of a machine with no model: no agent CLI, no OpenAI variables, no Ollama answering. */
const noModel = (): NodeJS.ProcessEnv => ({ PATH: bin, OPENAI_BASE_URL: '', OPENAI_API_KEY: '', OPENAI_MODEL: '', ANTHROPIC_API_KEY: '', CODEX_API_KEY: '', OLLAMA_HOST: '127.0.0.1:9' });

function newRepo(name: string): string {
  const path = join(d.dir, name);
  execFileSync('git', ['init', '-q', '-b', 'main', path]);
  mkdirSync(join(path, 'src'));
  writeFileSync(join(path, 'README.md'), `# ${name}\n\nA project.\n`);
  writeFileSync(join(path, 'src', 'index.js'), 'console.log("hi");\n');
  git(path, 'add', '-A');
  git(path, 'commit', '-q', '-m', 'Initial commit');
  return path;
}

describe('sidekick init', () => {
  it('sets up a repository with no model around: Scripted demo agent, portable manifests, applied; again: unchanged; its first run completes', async () => {
    const repo = newRepo('My_Project');
    const first = await sidekick(d.home, ['init'], { cwd: join(repo, 'src'), env: noModel() });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const lines = first.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^✓ daemon running \(home .+\)$/);
    expect(lines[1]).toBe('✓ wrote .sidekick/session.yaml, .sidekick/repomount.yaml, .sidekick/agent.yaml (commit them to share this setup)');
    expect(lines).toContain('session.sidekicks.dev/my-project created');
    expect(lines).toContain('repomount.sidekicks.dev/my-project created');
    expect(lines.find((l) => l.startsWith('agent.sidekicks.dev/my-project-demo created   (Scripted demo agent: no claude or codex CLI'))).toBeDefined();
    expect(lines.at(-1)).toMatch(/^Next: sidekick run /);

    // What was written is portable: the mount path is relative to the folder, no absolute path anywhere.
    const folder = join(repo, '.sidekick');
    const mountFile = parse(readFileSync(join(folder, 'repomount.yaml'), 'utf8'));
    expect(mountFile.spec).toEqual({ session: 'my-project', path: '..', mode: 'Worktree' });
    for (const f of ['session.yaml', 'repomount.yaml', 'agent.yaml']) expect(readFileSync(join(folder, f), 'utf8')).not.toContain(d.dir);
    const client = new SocketApi(d.daemon.socketPath);
    expect(((await client.get('repomounts', 'default', 'my-project')) as { spec: { path: string } }).spec.path).toBe(repo);
    expect(((await client.get('sessions', 'default', 'my-project')) as { spec: { defaults: unknown } }).spec.defaults).toEqual({ agent: 'my-project-demo', repoMount: 'my-project' });
    const agent = (await client.get('agents', 'default', 'my-project-demo')) as { spec: { driver: string; script: { tool?: string; input?: { path?: string } }[] } };
    expect(agent.spec.driver).toBe('Scripted');
    expect(agent.spec.script.filter((s) => s.tool).map((s) => `${s.tool} ${s.input?.path}`)).toEqual(['ListFiles .', 'ReadFile README.md', 'WriteFile SIDEKICK_NOTES.md']);

    // Again, from the root: the hand-kept files stay, the server has nothing to change.
    writeFileSync(join(folder, 'agent.yaml'), readFileSync(join(folder, 'agent.yaml'), 'utf8').replace('Look around the repository', 'Look around this repository'));
    const again = await sidekick(d.home, ['init'], { cwd: repo, env: noModel() });
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(again.stdout).toContain('✓ kept .sidekick/agent.yaml');
    expect(again.stdout).toContain('session.sidekicks.dev/my-project unchanged');
    expect(again.stdout).toContain('repomount.sidekicks.dev/my-project unchanged');
    expect(again.stdout).toContain('agent.sidekicks.dev/my-project-demo configured');
    expect(again.stdout).not.toContain('wrote');
    const third = await sidekick(d.home, ['init'], { cwd: repo, env: noModel() });
    expect(third.stdout).toContain('agent.sidekicks.dev/my-project-demo unchanged');

    // The first run: the session's defaults, to Completed, the note in its diff; merged back into main.
    await client.create('runs', 'default', { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name: 'first' }, spec: { session: 'my-project', agent: 'my-project-demo', repoMount: 'my-project', prompt: 'Have a look around.' } });
    const run = await completedRun(client, 'first', 60_000);
    expect(run.status?.diff).toMatchObject({ files: 1 });
    const diff = await sidekick(d.home, ['artifact', 'get', 'first-diff']);
    expect(diff.stdout).toContain('+++ b/SIDEKICK_NOTES.md');
    expect(diff.stdout).toContain('+I read `README.md`.');

    const merged = await sidekick(d.home, ['merge', 'run/first'], { cwd: repo });
    expect(merged).toMatchObject({ code: 0, stderr: '' });
    expect(merged.stdout).toMatch(/^✓ merged run\/first \(sidekicks\/my-project\/first\) into main: fast-forward [0-9a-f]{7}\.\.[0-9a-f]{7}\n/);
    expect(readFileSync(join(repo, 'SIDEKICK_NOTES.md'), 'utf8')).toContain('# Notes from the Sidekicks demo agent');
  }, 120_000);

  it('prefers the claude CLI on PATH, then an OpenAI-compatible endpoint (the key stays a reference), then a local Ollama', async () => {
    const withClaude = mkdtempSync(join(tmpdir(), 'sidekick-fake-claude-'));
    try {
      writeFileSync(join(withClaude, 'claude'), '#!/bin/sh\necho "2.0.0 (Claude Code)"\n');
      chmodSync(join(withClaude, 'claude'), 0o755);
      const repo = newRepo('claude-repo');
      const r = await sidekick(d.home, ['init'], { cwd: repo, env: { ...noModel(), PATH: `${bin}:${withClaude}` } });
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toContain(`agent.sidekicks.dev/claude-repo-claude created   (claude CLI found at ${join(withClaude, 'claude')})`);
      expect(parse(readFileSync(join(repo, '.sidekick', 'agent.yaml'), 'utf8')).spec.driver).toBe('Claude');
    } finally {
      rmSync(withClaude, { recursive: true, force: true });
    }

    const repo = newRepo('openai-repo');
    const r = await sidekick(d.home, ['init'], { cwd: repo, env: { ...noModel(), OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', OPENAI_API_KEY: 'sk-secret-do-not-write' } });
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toContain('agent.sidekicks.dev/openai-repo-openai created   (OpenAI-compatible endpoint http://127.0.0.1:9/v1 (OPENAI_BASE_URL)');
    const text = readFileSync(join(repo, '.sidekick', 'agent.yaml'), 'utf8');
    expect(text).not.toContain('sk-secret-do-not-write');
    expect(parse(text).spec).toMatchObject({ driver: 'OpenAI', endpoint: { baseURL: 'http://127.0.0.1:9/v1', apiKeyFrom: { env: 'OPENAI_API_KEY' } } });

    // No CLI, no OpenAI variables: a local Ollama (a fake one on loopback) with a model installed.
    const ollama = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(req.url === '/api/tags' ? JSON.stringify({ models: [{ name: 'qwen2.5-coder:7b' }] }) : '{}');
    });
    await new Promise<void>((done) => ollama.listen(0, '127.0.0.1', done));
    try {
      const port = (ollama.address() as AddressInfo).port;
      const local = newRepo('ollama-repo');
      const o = await sidekick(d.home, ['init'], { cwd: local, env: { ...noModel(), OLLAMA_HOST: `127.0.0.1:${port}` } });
      expect(o).toMatchObject({ code: 0, stderr: '' });
      expect(o.stdout).toContain(`agent.sidekicks.dev/ollama-repo-ollama created   (Ollama at http://127.0.0.1:${port}, model qwen2.5-coder:7b)`);
      expect(parse(readFileSync(join(local, '.sidekick', 'agent.yaml'), 'utf8')).spec).toMatchObject({ driver: 'OpenAI', model: 'qwen2.5-coder:7b', endpoint: { baseURL: `http://127.0.0.1:${port}/v1` } });
    } finally {
      await new Promise((done) => ollama.close(done));
    }

    // --agent-driver forces the choice over what is found.
    const forced = newRepo('forced-repo');
    const f = await sidekick(d.home, ['init', '--agent-driver', 'Scripted'], { cwd: forced, env: { ...noModel(), OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' } });
    expect(f.stdout).toContain('agent.sidekicks.dev/forced-repo-demo created   (Scripted demo agent: --agent-driver Scripted)');
  }, 60_000);

  it('reuses the mount the server has for this checkout, and does not take the name of another checkout', async () => {
    const client = new SocketApi(d.daemon.socketPath);
    // A mount of this checkout made by hand, in a session of its own: init sets up that session.
    const mine = newRepo('handmade');
    await client.create('sessions', 'default', { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name: 'team' }, spec: {} });
    await client.create('repomounts', 'default', { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'RepoMount', metadata: { name: 'team-repo' }, spec: { session: 'team', path: mine } });
    const reused = await sidekick(d.home, ['init'], { cwd: mine, env: noModel() });
    expect(reused).toMatchObject({ code: 0, stderr: '' });
    expect(reused.stdout).toContain('session.sidekicks.dev/team configured');
    expect(reused.stdout).toContain('repomount.sidekicks.dev/team-repo configured');
    expect(reused.stdout).toContain('agent.sidekicks.dev/team-demo created');

    // Two clones with the same directory name: the second gets names of its own (a mount's path cannot change).
    const first = newRepo('samename');
    expect((await sidekick(d.home, ['init'], { cwd: first, env: noModel() })).stdout).toContain('repomount.sidekicks.dev/samename created');
    const twin = join(d.dir, 'twin');
    mkdirSync(twin);
    execFileSync('git', ['clone', '-q', first, join(twin, 'samename')]);
    const other = await sidekick(d.home, ['init'], { cwd: join(twin, 'samename'), env: noModel() });
    expect(other).toMatchObject({ code: 0, stderr: '' });
    expect(other.stdout).toMatch(/^repomount\.sidekicks\.dev\/samename-[0-9a-f]{6} created$/m);
    expect(other.stdout).toMatch(/^session\.sidekicks\.dev\/samename-[0-9a-f]{6} created$/m);
    expect(other.stdout).not.toContain('team');
  });

  it('outside a git repository: one line, exit 1, nothing written; --dry-run writes nothing', async () => {
    const plain = mkdtempSync(join(tmpdir(), 'sidekick-not-a-repo-'));
    try {
      const r = await sidekick(d.home, ['init'], { cwd: plain, env: noModel() });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`error: ${plain} is not inside a git repository (run \`git init\` first, or cd into a checkout)\n`);
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
    const repo = newRepo('dry-repo');
    const dry = await sidekick(d.home, ['init', '--dry-run'], { cwd: repo, env: noModel() });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('# .sidekick/repomount.yaml (would be written)');
    expect(dry.stdout).toContain('path: ..');
    expect(execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: repo, encoding: 'utf8' })).toBe('');
    await expect(new SocketApi(d.daemon.socketPath).get('sessions', 'default', 'dry-repo')).rejects.toMatchObject({ reason: 'NotFound' });
  });

  it('starts the daemon when none runs on the home, as `daemon start` would', () => {
    const repo = newRepo('cold-start');
    const home = join(d.dir, 'cold-home');
    const env = { ...process.env, SIDEKICK_HOME: home, SIDEKICK_SERVER: '', NO_COLOR: '1' };
    try {
      const r = spawnSync(process.execPath, [cliMain, 'init', '--agent-driver', 'Scripted'], { cwd: repo, env, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const pid = /^✓ daemon started \(home (.+), pid (\d+)\)\n/.exec(r.stdout);
      expect(pid?.[1]).toBe(home);
      expect(readFileSync(join(home, 'daemon.pid'), 'utf8').trim()).toBe(pid?.[2]);
      expect(r.stdout).toContain('session.sidekicks.dev/cold-start created');
      const status = spawnSync(process.execPath, [cliMain, 'daemon', 'status'], { env, encoding: 'utf8' });
      expect(status.stdout).toContain(`daemon running (pid ${pid?.[2]})`);
    } finally {
      spawnSync(process.execPath, [cliMain, 'daemon', 'stop'], { env });
    }
  }, 60_000);
});
