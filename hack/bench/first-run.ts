/**
 * First-run benchmark: how long from `sidekick init` in a new repository (no daemon yet, no model on
 * PATH: the Scripted demo agent) to its first run Completed — init (detect, write, start the daemon,
 * apply), then `sidekick run "…"`, which creates the Run and follows it to Completed. The baseline,
 * measured in the same run on the same machine: the quickstart's path for examples/hello — `daemon start`, the demo repository,
 * `apply` of the hello manifests, wait for Completed. Both spawn the real CLI as a user types it,
 * on fresh temporary homes; rounds alternate so drift hits both alike. Prints medians and the ratio.
 *
 * Usage: node dist/hack/bench/first-run.js [--rounds 3]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { probeSandbox } from '../../node/sandbox/probe.js';
import { createDemoRepository } from '../demo-repository.js';
import { cliEntry } from './daemon-process.js';

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 3) || 3;
const repoRoot = join(cliEntry(), '..', '..', '..');
const WAIT = ['--for=jsonpath={.status.phase}=Completed', '--timeout=120s'];

/** Runs the CLI; throws with its output when it fails. */
function sidekick(args: string[], opts: { home: string; cwd?: string; env?: NodeJS.ProcessEnv; input?: string }): string {
  const r = spawnSync(process.execPath, [cliEntry(), ...args], { cwd: opts.cwd ?? tmpdir(), input: opts.input, encoding: 'utf8', env: { ...process.env, ...opts.env, SIDEKICK_HOME: opts.home, SIDEKICK_SERVER: '' } });
  if (r.status !== 0) throw new Error(`sidekick ${args.join(' ')} exited ${r.status ?? r.error?.message}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/**
 * A PATH with node, git and bwrap only (the daemon init starts inherits it, and sandboxes runs
 * with bwrap), so init finds no agent CLI (claude, codex) and picks the demo agent.
 */
function bareBin(dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  for (const tool of ['git', 'bwrap']) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (found) symlinkSync(found, join(bin, tool));
  }
  return bin;
}

/** `sidekick init` in a new repository to its first run Completed, in ms. */
function initToFirstRun(): number {
  const dir = mkdtempSync(join(tmpdir(), 'sidekick-bench-first-'));
  const home = join(dir, 'home');
  const repo = join(dir, 'project');
  const env = { PATH: bareBin(dir), OPENAI_BASE_URL: '', OPENAI_API_KEY: '', OLLAMA_HOST: '127.0.0.1:9' };
  mkdirSync(repo);
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  writeFileSync(join(repo, 'README.md'), '# project\n\nA new repository.\n');
  execFileSync('git', ['add', '-A'], { cwd: repo });
  execFileSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@example.com', 'commit', '-q', '-m', 'README'], { cwd: repo });
  try {
    const start = performance.now();
    sidekick(['init'], { home, cwd: repo, env });
    // What the README says next: `sidekick run` creates the run in this repository's session and
    // follows it to its end (exit 0 only when it Completed).
    sidekick(['run', 'Have a look around.', '--name', 'first'], { home, cwd: repo, env });
    return performance.now() - start;
  } finally {
    spawnSync(process.execPath, [cliEntry(), 'daemon', 'stop', '--home', home], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The quickstart's hello run: daemon start, demo repository, apply examples/hello, wait for Completed, in ms. */
function quickstartHello(): number {
  const dir = mkdtempSync(join(tmpdir(), 'sidekick-bench-hello-'));
  const home = join(dir, 'home');
  try {
    const start = performance.now();
    sidekick(['daemon', 'start'], { home });
    const demo = join(dir, 'demo');
    createDemoRepository(demo);
    sidekick(['apply', '-f', '-'], { home, input: helloManifests(demo) });
    sidekick(['wait', 'run/hello', ...WAIT], { home });
    return performance.now() - start;
  } finally {
    spawnSync(process.execPath, [cliEntry(), 'daemon', 'stop', '--home', home], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** examples/hello with the mount on `demo`, session first and run last, as the quickstart applies it. */
function helloManifests(demo: string): string {
  const dir = join(repoRoot, 'examples', 'hello');
  const order = ['session', 'approvalpolicy', 'agent', 'repomount', 'run'];
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort((a, b) => order.indexOf(a.replace('.yaml', '')) - order.indexOf(b.replace('.yaml', '')));
  return files
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJSON() as { kind: string; spec: Record<string, unknown> }))
    .map((o) => (o.kind === 'RepoMount' ? { ...o, spec: { ...o.spec, path: demo } } : o))
    .map((o) => stringify(o))
    .join('---\n');
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const sandbox = await probeSandbox();
  if (!sandbox.available) throw new Error(`no sandbox on this machine (${sandbox.reason}): runs default to isolation Required and would fail`);
  const init: number[] = [];
  const hello: number[] = [];
  for (let i = 0; i < rounds; i++) {
    init.push(initToFirstRun());
    hello.push(quickstartHello());
    console.log(`round ${i + 1}/${rounds}: init → first run Completed ${seconds(init.at(-1)!)}, quickstart hello ${seconds(hello.at(-1)!)}`);
  }
  console.log('');
  console.log(`sidekick init → first run Completed (new repository, no model: Scripted demo agent): median ${seconds(median(init))} over ${rounds}`);
  console.log(`baseline: quickstart hello (daemon start, demo repository, apply, Completed):        median ${seconds(median(hello))} over ${rounds}`);
  console.log(`ratio init / quickstart hello: ${(median(init) / median(hello)).toFixed(2)}`);
}

main().catch((err: unknown) => {
  console.error(`bench first-run failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
