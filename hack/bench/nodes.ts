/**
 * Runtime-node benchmark: a `sidekick controlplane` process and N `sidekick serve` processes on
 * this machine (each its own HOME, git repository and RepoMount bound to it), M Scripted runs per
 * node created at once through the API. Prints how long until every run is Completed on the
 * control plane, runs/s, the events the control plane ingested, and its CPU per event (from /proc).
 *
 * Usage: node dist/hack/bench/nodes.js [--nodes 10] [--runs 20]
 *   env SIDEKICK_TEST_PG_URL (default postgres://sidekick:sidekick@127.0.0.1:5432/sidekick): a
 *   database is created beside it and dropped at the end; env SIDEKICK_TEST_NATS_URL (default
 *   nats://127.0.0.1:4222); env SIDEKICK_BENCH_CP_NODE_ARGS: node flags for the control plane (a CPU profile).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { ApiClient } from '../../api/client/index.js';
import { controlPlaneToken, startControlPlaneProcess, writeSigningKey } from '../controlplane-process.js';
import { startNodeProcess, type NodeProcess } from '../node-process.js';
import { cliEntry, cpuSeconds } from './daemon-process.js';

const run = promisify(execFile);
const RUNS = { group: 'sidekicks.dev', version: 'v1alpha1', plural: 'runs', kind: 'Run', namespaced: true };

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

function gitRepo(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const env = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@x', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@x' };
  for (const args of [['init', '-q', '-b', 'main'], ['commit', '-q', '--allow-empty', '-m', 'init']]) execFileSync('git', args, { cwd: dir, env });
  return dir;
}

async function main(): Promise<void> {
  const nodeCount = flag('nodes', 10);
  const perNode = flag('runs', 20);
  const base = process.env.SIDEKICK_TEST_PG_URL ?? 'postgres://sidekick:sidekick@127.0.0.1:5432/sidekick';
  const natsUrl = process.env.SIDEKICK_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
  const dbName = `sk_bench_nodes_${process.pid}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  const u = new URL(base);
  u.pathname = `/${dbName}`;
  const dir = mkdtempSync(join(tmpdir(), 'sk-bench-nodes-'));
  const nodes: NodeProcess[] = [];
  const key = writeSigningKey(dir);
  // SIDEKICK_BENCH_CP_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"): node flags for the control plane.
  const nodeArgs = process.env.SIDEKICK_BENCH_CP_NODE_ARGS?.split(' ').filter(Boolean);
  const cp = await startControlPlaneProcess({ database: u.toString(), nats: natsUrl, replicaId: 'bench', signingKey: key, ...(nodeArgs ? { nodeArgs } : {}) });
  const token = await controlPlaneToken(key, 'bench', 'Owner');
  const api = new ApiClient({ baseUrl: cp.url, token });
  const cli = async (...args: string[]): Promise<string> => (await run(process.execPath, [cliEntry(), ...args, '--server', cp.url, '--token', token])).stdout;
  try {
    const docs: string[] = [];
    for (let i = 0; i < nodeCount; i++) {
      const name = `node-${i}`;
      const repo = gitRepo(join(dir, `repo-${i}`));
      docs.push(`apiVersion: sidekicks.dev/v1alpha1\nkind: Session\nmetadata: { name: s${i}, namespace: bench }\nspec: { title: s${i}, limits: { maxActiveRuns: ${perNode} } }`);
      docs.push(`apiVersion: sidekicks.dev/v1alpha1\nkind: RepoMount\nmetadata: { name: m${i}, namespace: bench }\nspec: { session: s${i}, path: ${repo}, mode: Worktree, nodeName: ${name} }`);
    }
    docs.push(`apiVersion: sidekicks.dev/v1alpha1\nkind: Agent\nmetadata: { name: writer, namespace: bench }\nspec:\n  driver: Scripted\n  tools: [WriteFile]\n  script:\n    - say: writing\n    - tool: WriteFile\n      input: { path: OUT.md, content: "bench\\n" }\n    - say: done`);
    writeFileSync(join(dir, 'bench.yaml'), docs.join('\n---\n'));
    await cli('apply', '-f', join(dir, 'bench.yaml'));
    const started = Date.now();
    await Promise.all(
      Array.from({ length: nodeCount }, async (_, i) => {
        const name = `node-${i}`;
        const reg = (await cli('token', 'create', '--node', name)).trim();
        const home = join(dir, `home-${i}`);
        mkdirSync(home);
        nodes.push(await startNodeProcess({ url: cp.url, token: reg, name, home, args: ['--max-runs', String(perNode)], env: { LOG_LEVEL: 'INFO' } }));
      }),
    );
    console.log(`${nodeCount} nodes attached in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const cpuBefore = cpuSeconds(cp.pid);
    const t0 = Date.now();
    for (let i = 0; i < nodeCount; i++) {
      await Promise.all(
        Array.from({ length: perNode }, (_, j) =>
          api.create(RUNS, 'bench', { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name: `r${i}-${j}`, namespace: 'bench' }, spec: { session: `s${i}`, agent: 'writer', repoMount: `m${i}`, prompt: 'bench' } } as never),
        ),
      );
    }
    const total = nodeCount * perNode;
    let completed = 0;
    let failed = 0;
    for (;;) {
      const items = (await api.list<{ status?: { phase?: string } } & never>(RUNS, { namespace: 'bench' })).items as { status?: { phase?: string } }[];
      completed = items.filter((r) => r.status?.phase === 'Completed').length;
      failed = items.filter((r) => r.status?.phase === 'Failed' || r.status?.phase === 'Canceled' || r.status?.phase === 'Interrupted').length;
      if (completed + failed >= total) break;
      if (Date.now() - t0 > 15 * 60_000) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const seconds = (Date.now() - t0) / 1000;
    const cpu = cpuSeconds(cp.pid) - cpuBefore;
    const c = new pg.Client({ connectionString: u.toString() });
    await c.connect();
    const journal = Number((await c.query("SELECT count(*) AS n FROM sk_journal WHERE session LIKE 'bench/%'")).rows[0].n);
    await c.end();
    console.log(`runs: ${total} created, ${completed} Completed, ${failed} failed, in ${seconds.toFixed(1)} s (${(total / seconds).toFixed(1)} runs/s)`);
    console.log(`control plane: ${journal} journal events ingested, CPU ${cpu.toFixed(2)} s = ${((cpu * 1e6) / Math.max(journal, 1)).toFixed(0)} µs per event`);
    if (completed !== total) process.exitCode = 1;
  } finally {
    api.close();
    await Promise.all(nodes.map((n) => n.kill()));
    await cp.stop();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
