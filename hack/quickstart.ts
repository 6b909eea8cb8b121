/**
 * `npm run quickstart`: starts the embedded daemon on a temporary home, creates a demo git
 * repository, applies examples/hello/ with the CLI a user would type, follows the run live to
 * Completed, and shows its diff and its verified timeline.
 * The daemon keeps running afterwards so the user can explore; the last lines say how to stop it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { probeSandbox } from '../node/sandbox/probe.js';
import { createDemoRepository } from './demo-repository.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(repoRoot, 'dist', 'cli', 'main.js');
const home = mkdtempSync(join(tmpdir(), 'sidekick-quickstart-'));
const env = { ...process.env, SIDEKICK_HOME: home, FORCE_COLOR: process.stdout.isTTY ? '1' : '0' };

/** Runs the sidekick CLI like a user would; stops the quickstart on failure. */
function sidekick(args: string[], input?: string): string {
  const r = spawnSync(process.execPath, [cli, ...args], { env, input, encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    console.error(`\nquickstart: \`sidekick ${args.join(' ')}\` exited with ${r.status}`);
    process.exit(1);
  }
  return r.stdout;
}

function section(title: string): void {
  console.log(`\n── ${title} ${'─'.repeat(Math.max(3, 60 - title.length))}`);
}

/**
 * The hello example's manifests, with the RepoMount pointed at the demo repository. Where no
 * sandbox can be made (no bubblewrap yet), the mount asks for BestEffort isolation, so the first
 * run still shows the product; the run's status.isolation then says Unsandboxed, and we say so.
 */
function helloManifests(demo: string, sandboxed: boolean): string {
  const dir = join(repoRoot, 'examples', 'hello');
  const docs: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort(byKindOrder)) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const obj = doc.toJSON() as { kind?: string; spec?: { path?: string; isolation?: string } };
      if (obj.kind === 'RepoMount' && obj.spec) {
        obj.spec.path = demo;
        if (!sandboxed) obj.spec.isolation = 'BestEffort';
      }
      docs.push(stringify(obj));
    }
  }
  return docs.join('---\n');
}

/** Applies in the order a reader expects: session, agent, repo mount, run. */
function byKindOrder(a: string, b: string): number {
  const order = ['session', 'agent', 'repomount', 'run'];
  const rank = (f: string): number => order.findIndex((k) => f.startsWith(k));
  return rank(a) - rank(b);
}

async function main(): Promise<void> {
  const sandbox = await probeSandbox();
  const started = sidekick(['daemon', 'start', '--home', home, '--listen', '127.0.0.1:0']);
  process.stdout.write(started);
  const demo = join(home, 'demo');
  createDemoRepository(demo);
  console.log(`✓ demo repository created at ${demo} (branch main, 1 commit)`);

  section('apply examples/hello/');
  if (!sandbox.available) console.log(`! no sandbox on this machine (${sandbox.reason}): the hello run goes unsandboxed (isolation: BestEffort)`);
  process.stdout.write(sidekick(['apply', '-f', '-'], helloManifests(demo, sandbox.available)));

  section('sidekick logs run/hello -f   (live, until the run ends)');
  process.stdout.write(sidekick(['logs', 'run/hello', '-f']));

  section('sidekick get runs -o wide');
  process.stdout.write(sidekick(['get', 'runs', '-o', 'wide']));

  section('diff (sidekick artifact get hello-diff)');
  process.stdout.write(sidekick(['artifact', 'get', 'hello-diff']));

  section('timeline (sidekick timeline session/hello)');
  process.stdout.write(sidekick(['timeline', 'session/hello']));
  process.stdout.write(sidekick(['timeline', 'verify', 'session/hello']));

  // A kubeconfig context for the daemon's TCP listener, for kubectl; sidekick itself keeps the socket.
  sidekick(['config', 'set-context', 'sidekick', '--from-daemon']);
  section('next');
  console.log(`export PATH="$PWD/bin:$PATH" SIDEKICK_HOME=${home}   # sidekick from this clone, on this home`);
  console.log(`sidekick describe run hello             # conditions and events`);
  console.log(`sidekick replay session/hello           # the whole session from its journal`);
  console.log(`kubectl --kubeconfig ${join(home, 'kubeconfig')} --context sidekick get runs`);
  console.log(`sidekick daemon stop                    # when you are done`);
  console.log(`Then the README's tour, or in a repository of yours: sidekick init && sidekick run "fix the failing test"`);
}

main().catch((err: unknown) => {
  console.error(`quickstart failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
