/**
 * API benchmark (issue 2): create throughput with 16 concurrent clients against a raw SQLite
 * baseline measured in the same run, single-create latency, listing 10,000 objects, 1,000
 * watchers receiving one update, `sidekick get` beside `kubectl get`, and idle daemon RSS. For
 * SQLite also what durability costs (issue 9): the store with synchronous=NORMAL beside FULL.
 *
 * Usage: node dist/hack/bench/api.js [--backend sqlite|postgres|both] [--objects N] [--sync-dir DIR]
 */
import https from 'node:https';
import type { ClientRequest } from 'node:http';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { request, percentile, msSince, type BenchTarget } from './http.js';
import { startDaemonProcess, rssMiB, settledRssMiB, cliEntry, type DaemonProcess } from './daemon-process.js';
import { compareSynchronous } from './durability.js';

const RUNS = '/apis/sidekicks.dev/v1alpha1/namespaces/default/runs';

interface Figures {
  [name: string]: string;
}

function runObject(name: string): object {
  return {
    apiVersion: 'sidekicks.dev/v1alpha1',
    kind: 'Run',
    metadata: { name, labels: { bench: 'yes' } },
    spec: { session: 'bench', agent: 'scripted', prompt: 'benchmark run' },
  };
}

/** Inserts `count` rows the way a careful hand-written store would: one autocommit insert each. */
function rawSqliteInserts(count: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'sidekick-bench-raw-'));
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE objects (plural TEXT, namespace TEXT, name TEXT, rv INTEGER, json TEXT, PRIMARY KEY (plural, namespace, name))');
  const insert = db.prepare('INSERT INTO objects VALUES (?, ?, ?, ?, ?)');
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) insert.run('runs', 'default', `raw-${i}`, i, JSON.stringify(runObject(`raw-${i}`)));
  const seconds = msSince(start) / 1000;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return count / seconds;
}

async function createThroughput(target: BenchTarget, count: number, clients: number, prefix: string): Promise<number> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: clients });
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        const res = await request(agent, target, 'POST', RUNS, runObject(`${prefix}-${i}`));
        if (res.status !== 201) throw new Error(`create ${i}: HTTP ${res.status} ${res.body}`);
      }
    }),
  );
  const seconds = msSince(start) / 1000;
  agent.destroy();
  return count / seconds;
}

/**
 * The transport's own ceiling: the cheapest authenticated request (GET /version) with the same
 * 16 keep-alive HTTPS clients. No create can be faster than this; it puts the raw-SQLite ratio in
 * proportion (a raw insert has no socket, TLS, HTTP or JSON to pay for).
 */
async function transportCeiling(target: BenchTarget, count: number, clients: number): Promise<number> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: clients });
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (next++ < count) {
        const res = await request(agent, target, 'GET', '/version');
        if (res.status !== 200) throw new Error(`GET /version: HTTP ${res.status} ${res.body}`);
      }
    }),
  );
  const seconds = msSince(start) / 1000;
  agent.destroy();
  return count / seconds;
}

async function createLatency(target: BenchTarget, count: number): Promise<number[]> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    const res = await request(agent, target, 'POST', RUNS, runObject(`lat-${i}`));
    samples.push(msSince(start));
    if (res.status !== 201) throw new Error(`create: HTTP ${res.status} ${res.body}`);
  }
  agent.destroy();
  return samples.sort((a, b) => a - b);
}

async function listTime(target: BenchTarget, repeats: number): Promise<{ ms: number; items: number }> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  const samples: number[] = [];
  let items = 0;
  for (let i = 0; i < repeats; i++) {
    const start = process.hrtime.bigint();
    const res = await request(agent, target, 'GET', RUNS);
    const parsed = JSON.parse(res.body) as { items: unknown[] };
    samples.push(msSince(start));
    items = parsed.items.length;
  }
  agent.destroy();
  samples.sort((a, b) => a - b);
  return { ms: percentile(samples, 50), items };
}

/** Opens `count` watches, updates one object, and returns each watcher's delivery delay (ms). */
async function watchFanout(target: BenchTarget, count: number): Promise<number[]> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: count + 4 });
  const created = await request(agent, target, 'POST', RUNS, runObject('watched'));
  if (created.status !== 201) throw new Error(`create watched: ${created.body}`);
  const rv = (JSON.parse(created.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const u = new URL(target.url);
  const arrivals: number[] = [];
  const requests: ClientRequest[] = [];
  let sentAt = 0n;
  let resolveAll!: () => void;
  const all = new Promise<void>((r) => (resolveAll = r));
  let ready = 0;
  let resolveReady!: () => void;
  const allReady = new Promise<void>((r) => (resolveReady = r));
  for (let i = 0; i < count; i++) {
    const req = https.request(
      {
        agent,
        ca: target.ca,
        host: u.hostname,
        port: u.port,
        path: `${RUNS}?watch=1&resourceVersion=${rv}&fieldSelector=metadata.name%3Dwatched`,
        headers: { authorization: `Bearer ${target.token}` },
      },
      (res) => {
        if (++ready === count) resolveReady();
        let buf = '';
        res.on('data', (c: Buffer) => {
          buf += c.toString();
          if (buf.includes('"MODIFIED"') && sentAt) {
            arrivals.push(msSince(sentAt));
            buf = '';
            if (arrivals.length === count) resolveAll();
          }
        });
      },
    );
    req.on('error', () => undefined);
    req.end();
    requests.push(req);
  }
  await allReady;
  sentAt = process.hrtime.bigint();
  const patched = await request(agent, target, 'PATCH', `${RUNS}/watched`, { metadata: { labels: { touched: 'yes' } } }, { 'content-type': 'application/merge-patch+json' });
  if (patched.status !== 200) throw new Error(`patch watched: ${patched.body}`);
  await all;
  for (const r of requests) r.destroy();
  agent.destroy();
  return arrivals.sort((a, b) => a - b);
}

/** Median wall time of a command over `repeats` runs, in ms. */
function wallTime(cmd: string, args: string[], env: NodeJS.ProcessEnv, repeats: number): number {
  const samples: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { env, encoding: 'utf8' });
    samples.push(msSince(start));
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  return percentile(samples.sort((a, b) => a - b), 50);
}

function cliVersusKubectl(d: DaemonProcess): { ours: number; kubectl: number } {
  const kubeHome = mkdtempSync(join(tmpdir(), 'sidekick-bench-kube-'));
  const kubeconfig = join(kubeHome, 'config');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: s\n  cluster: {server: "${d.url}", certificate-authority: "${d.caFile}"}\nusers:\n- name: u\n  user: {token: "${d.token}"}\ncontexts:\n- name: c\n  context: {cluster: s, user: u, namespace: default}\ncurrent-context: c\n`,
  );
  const env = { ...process.env, HOME: kubeHome, KUBECONFIG: kubeconfig };
  // Warm both: kubectl fills its discovery cache, node its compile cache.
  wallTime('kubectl', ['get', 'runs', '--chunk-size=0', '-l', 'bench=none'], env, 2);
  const kubectl = wallTime('kubectl', ['get', 'runs', '-l', 'bench=none'], env, 10);
  const ourEnv = { ...env, SIDEKICK_HOME: d.home };
  wallTime(process.execPath, [cliEntry(), 'get', 'runs', '-l', 'bench=none'], ourEnv, 2);
  const ours = wallTime(process.execPath, [cliEntry(), 'get', 'runs', '-l', 'bench=none'], ourEnv, 10);
  rmSync(kubeHome, { recursive: true, force: true });
  return { ours, kubectl };
}

/** The store's creates with synchronous NORMAL and FULL, and what FULL keeps of NORMAL's speed. */
async function durabilityFigures(f: Figures, dir: string, objects: number): Promise<void> {
  const { NORMAL: normal, FULL: full } = await compareSynchronous(dir, objects);
  f['store creates, 16 writers, NORMAL vs FULL (objects/s)'] = `${normal.concurrent.toFixed(0)} vs ${full.concurrent.toFixed(0)} = ${(full.concurrent / normal.concurrent).toFixed(2)}x`;
  f['store create, 1 writer, p50 NORMAL vs FULL (ms)'] = `${normal.sequentialP50.toFixed(2)} vs ${full.sequentialP50.toFixed(2)} = ${(full.sequentialP50 / normal.sequentialP50).toFixed(2)}x`;
  f['store create, 1 writer, p99 NORMAL vs FULL (ms)'] = `${normal.sequentialP99.toFixed(2)} vs ${full.sequentialP99.toFixed(2)}`;
}

async function benchBackend(label: string, database: string | undefined, objects: number, syncDir: string): Promise<Figures> {
  const spawned = process.hrtime.bigint();
  const d = await startDaemonProcess({ database });
  const startMs = msSince(spawned);
  const target = { url: d.url, token: d.token, ca: d.ca };
  const f: Figures = {};
  f['daemon start, spawn to serving (ms)'] = `${startMs.toFixed(0)}  (target < 3000)`;
  try {
    const raw = rawSqliteInserts(objects);
    if (!database) await durabilityFigures(f, syncDir, objects);
    const api = await createThroughput(target, objects, 16, 'tp');
    f['create throughput, 16 clients (objects/s)'] = `${api.toFixed(0)}  (target >= 2000)`;
    f['raw SQLite inserts, same count (rows/s)'] = `${raw.toFixed(0)}  (autocommit, synchronous=NORMAL)`;
    f['API / raw SQLite'] = `${((api / raw) * 100).toFixed(1)}%  (target >= 25%)`;
    const ceiling = await transportCeiling(target, objects, 16);
    f['transport ceiling: GET /version, 16 clients (req/s)'] = `${ceiling.toFixed(0)}  (creates reach ${((api / ceiling) * 100).toFixed(0)}% of it)`;
    const lat = await createLatency(target, 1000);
    f['single create latency p50 / p99 (ms)'] = `${percentile(lat, 50).toFixed(2)} / ${percentile(lat, 99).toFixed(2)}  (target p99 < 10)`;
    const extra = 10_000 - objects - 1000;
    if (extra > 0) await createThroughput(target, extra, 16, 'fill');
    const list = await listTime(target, 5);
    f[`list ${list.items} objects, median (ms)`] = `${list.ms.toFixed(1)}  (target < 300)`;
    const busyRss = rssMiB(d.pid);
    const idleRss = await settledRssMiB(d.pid);
    f[`daemon RSS with ${list.items} objects: right after, idle (MiB)`] = `${busyRss.toFixed(1)}, ${idleRss.toFixed(1)}  (target idle < 150)`;
    const fan = await watchFanout(target, 1000);
    f['1000 watchers, one update: p50 / p99 delivery (ms)'] = `${percentile(fan, 50).toFixed(1)} / ${percentile(fan, 99).toFixed(1)}  (target p99 < 100)`;
    const cli = cliVersusKubectl(d);
    f['`sidekick get runs` vs `kubectl get runs`, median (ms)'] = `${cli.ours.toFixed(0)} vs ${cli.kubectl.toFixed(0)} = ${(cli.ours / cli.kubectl).toFixed(2)}x  (target <= 1.5x)`;
  } finally {
    await d.stop();
  }
  console.log(`\n== ${label} ==`);
  for (const [k, v] of Object.entries(f)) console.log(`${k.padEnd(58)} ${v}`);
  return f;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const backend = flag('--backend') ?? 'both';
  const objects = Number(flag('--objects') ?? 4000);
  const syncDir = flag('--sync-dir') ?? tmpdir();
  console.log(`API benchmark: ${objects} creates, node ${process.version}, ${new Date().toISOString()}`);
  if (backend === 'sqlite' || backend === 'both') await benchBackend('SQLite (embedded)', undefined, objects, syncDir);
  if (backend === 'postgres' || backend === 'both') {
    const url = process.env.SIDEKICK_BENCH_PG_URL ?? process.env.SIDEKICK_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    const dbName = `sidekick_bench_${process.pid}`;
    const admin = spawnSync('psql', [url, '-qtAc', `CREATE DATABASE ${dbName}`], { encoding: 'utf8' });
    if (admin.status !== 0) {
      console.log(`\n== Postgres == not measured: cannot create a database at ${url}: ${admin.stderr.trim()}`);
      return;
    }
    const parsed = new URL(url);
    parsed.pathname = `/${dbName}`;
    const dbUrl = parsed.toString();
    try {
      await benchBackend('Postgres', dbUrl, objects, syncDir);
    } finally {
      spawnSync('psql', [url, '-qtAc', `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`]);
    }
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
