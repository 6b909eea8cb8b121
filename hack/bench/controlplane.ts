/**
 * Control-plane benchmark: the API server on Postgres, against Postgres itself measured in the
 * same run on the same throwaway database.
 *
 *   (a) creates/s through the real HTTP API (16 concurrent keep-alive clients, p50/p99 of each
 *       create) vs raw single-row autocommit inserts/s into a plain table through @databases/pg
 *       with 16 connections; the ratio is what the store keeps of what Postgres can commit (goal
 *       >= 0.40). After a warm-up, several rounds each measure the raw side, the API over HTTPS
 *       (TLS on loopback TCP, as kubectl talks to it) and the API over plain HTTP on the daemon's
 *       Unix socket (no TLS: nearer the raw side, which has no TLS or HTTP at all); every ratio is
 *       against its own round's raw figure, and the medians are printed. Per operation it also
 *       prints the CPU of this process (the clients), of the server and of every Postgres process
 *       (other users of the same Postgres server included; backends that exited mid-round are
 *       missed), and how busy the whole machine was, so a ratio can be read as CPU or as waiting.
 *   (b) cross-replica watch latency: two servers (two processes, two ObjectStores, two API
 *       servers) on the same database; create on A, watch on B, against the same-replica latency.
 *   (c) listing 10,000 objects through the API vs the raw SELECT of the same rows.
 *   (d) leader handover: two `sidekick controlplane` replicas; the lease holder is stopped (SIGTERM)
 *       or killed (SIGKILL) and the time until the other holds the lease is read from a lease watch
 *       (controlplane-handover.ts), against the lease duration a crash must wait out.
 *
 * Usage: node dist/hack/bench/controlplane.js [--objects N] [--rounds N] [--samples N] [--creates-only]
 *   --objects: creates per round and side (default 2,000); --creates-only: (a) alone.
 *   env SIDEKICK_BENCH_DAEMON_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"): node flags for the daemons.
 *   env SIDEKICK_TEST_PG_URL (default postgres://sidekick:sidekick@127.0.0.1:5432/sidekick): a
 *   database is created beside the one named there and dropped at the end.
 */
import http from 'node:http';
import https from 'node:https';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import m, { sql, type ConnectionPool } from '@databases/pg';
import pg from 'pg';
import { exchange, request, percentile, msSince, type BenchTarget } from './http.js';
import { cpuSeconds, startDaemonProcess, type DaemonProcess } from './daemon-process.js';
import { leaderHandover } from './controlplane-handover.js';

const createConnectionPool = m.default;

/** Events: a kind no controller reacts to, so the figures are the store's and the API's alone. */
const EVENTS = '/apis/sidekicks.dev/v1alpha1/namespaces/default/events';
const CLIENTS = 16;
const LIST_SIZE = 10_000;

type Figures = Record<string, string>;

function event(name: string): object {
  return {
    apiVersion: 'sidekicks.dev/v1alpha1',
    kind: 'Event',
    metadata: { name, labels: { bench: 'yes' } },
    involvedObject: { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', namespace: 'default', name: 'bench' },
    reason: 'Benchmark',
    message: 'one create of the control-plane benchmark',
  };
}

const targetOf = (d: DaemonProcess): BenchTarget => ({ url: d.url, token: d.token, ca: d.ca });

/** How one round of creates reaches the server: HTTPS on loopback TCP (what kubectl uses), or plain HTTP on its Unix socket. */
type Transport = 'tls' | 'socket';

/** The result of one round of creates: throughput, per-create latencies (ascending), server CPU per create, machine busy share. */
interface Round {
  perSecond: number;
  latencies: number[];
  cpuMsPerCreate?: number;
  machineBusy: number;
  /** CPU ms per operation of the benchmark's own clients and of Postgres. */
  sides: { client: number; postgres: number };
}

/** CPU seconds used so far by this process (the benchmark's clients) and by every Postgres server process on the machine. */
function sideCpu(): { client: number; postgres: number } {
  let postgres = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.includes('(postgres)')) postgres += cpuSeconds(Number(pid));
    } catch {
      // The process ended while we looked.
    }
  }
  const own = process.cpuUsage();
  return { client: (own.user + own.system) / 1e6, postgres };
}

/** Milliseconds of CPU per operation of this process and of Postgres since `start`. */
function cpuPerOp(start: { client: number; postgres: number }, count: number): { client: number; postgres: number } {
  const now = sideCpu();
  return { client: ((now.client - start.client) * 1000) / count, postgres: ((now.postgres - start.postgres) * 1000) / count };
}

/** The machine's CPU time so far, busy and total, in clock ticks (from /proc/stat). */
function machineTicks(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  // idle and iowait are the 4th and 5th fields.
  return { busy: total - fields[3] - fields[4], total };
}

/** The share of every core's time spent busy (by anything on the machine) since `start`. */
function busySince(start: { busy: number; total: number }): number {
  const now = machineTicks();
  return (now.busy - start.busy) / Math.max(1, now.total - start.total);
}

/**
 * Runs operations 0..count-1 from CLIENTS concurrent clients, each taking the next index: the one
 * timing loop of both sides of (a), so the API and the raw inserts are measured alike.
 */
async function fromClients(count: number, op: (i: number) => Promise<void>): Promise<{ perSecond: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let i = next++; i < count; i = next++) {
        const sent = process.hrtime.bigint();
        await op(i);
        latencies.push(msSince(sent));
      }
    }),
  );
  return { perSecond: count / (msSince(start) / 1000), latencies: latencies.sort((a, b) => a - b) };
}

/** `count` creates through the API from `clients` keep-alive clients: throughput and per-create latency. */
async function apiCreates(d: DaemonProcess, count: number, prefix: string, transport: Transport = 'tls'): Promise<Round> {
  const target = targetOf(d);
  const agent = transport === 'tls' ? new https.Agent({ keepAlive: true, maxSockets: CLIENTS }) : new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const send = (name: string): Promise<{ status: number; body: string }> =>
    transport === 'tls'
      ? request(agent as https.Agent, target, 'POST', EVENTS, event(name))
      : exchange(http.request, { agent, socketPath: d.socket, path: EVENTS, method: 'POST' }, event(name));
  const cpuBefore = cpuSeconds(d.pid);
  const sides = sideCpu();
  const ticks = machineTicks();
  const { perSecond, latencies } = await fromClients(count, async (i) => {
    const res = await send(`${prefix}-${i}`);
    if (res.status !== 201) throw new Error(`create ${prefix}-${i}: HTTP ${res.status} ${res.body}`);
  });
  const cpuMsPerCreate = ((cpuSeconds(d.pid) - cpuBefore) * 1000) / count;
  const machineBusy = busySince(ticks);
  agent.destroy();
  return { perSecond, latencies, cpuMsPerCreate, machineBusy, sides: cpuPerOp(sides, count) };
}

/** The baseline of (a): single-row autocommit inserts of the same objects from 16 connections of one pool. */
async function rawInserts(pool: ConnectionPool, count: number, prefix: string): Promise<Round> {
  const sides = sideCpu();
  const ticks = machineTicks();
  const { perSecond, latencies } = await fromClients(count, async (i) => {
    await pool.query(sql`INSERT INTO bench_raw (name, object) VALUES (${`${prefix}-${i}`}, ${JSON.stringify(event(`${prefix}-${i}`))}::jsonb)`);
  });
  return { perSecond, latencies, machineBusy: busySince(ticks), sides: cpuPerOp(sides, count) };
}

/** A pool of 16 open connections and the baseline's table. */
async function rawPool(url: string): Promise<ConnectionPool> {
  const pool = createConnectionPool({ connectionString: url, poolSize: CLIENTS, bigIntMode: 'number' });
  await pool.query(sql`CREATE TABLE bench_raw (name TEXT PRIMARY KEY, object JSONB NOT NULL)`);
  // Open every connection first: the figure is inserts, not connection setup.
  await Promise.all(Array.from({ length: CLIENTS }, () => pool.task((c) => c.query(sql`SELECT 1`))));
  return pool;
}

const median = (xs: number[]): number => percentile([...xs].sort((a, b) => a - b), 50);

/**
 * (a): a warm-up of each side, then `rounds` rounds of raw inserts, HTTPS creates and Unix-socket
 * creates back to back, each ratio taken against the raw figure of its own round (the machine is
 * shared, so absolute figures move between rounds); medians over the rounds.
 */
async function createsFigures(url: string, d: DaemonProcess, objects: number, rounds: number, f: Figures): Promise<void> {
  const pool = await rawPool(url);
  const raw: Round[] = [];
  const tls: Round[] = [];
  const socket: Round[] = [];
  try {
    const warm = Math.min(objects, 500);
    await rawInserts(pool, warm, 'warm');
    await apiCreates(d, warm, 'warm-tls', 'tls');
    await apiCreates(d, warm, 'warm-socket', 'socket');
    for (let r = 0; r < rounds; r++) {
      raw.push(await rawInserts(pool, objects, `raw${r}`));
      tls.push(await apiCreates(d, objects, `tls${r}`, 'tls'));
      socket.push(await apiCreates(d, objects, `socket${r}`, 'socket'));
      const line = (x: Round): string => `${x.perSecond.toFixed(0)}/s (${(x.perSecond / raw[r].perSecond).toFixed(2)}x)`;
      console.log(`  round ${r + 1}: raw ${raw[r].perSecond.toFixed(0)}/s, HTTPS ${line(tls[r])}, Unix socket ${line(socket[r])}`);
    }
  } finally {
    await pool.dispose();
  }
  const latency = (xs: Round[]): string => `${median(xs.map((x) => percentile(x.latencies, 50))).toFixed(1)} / ${median(xs.map((x) => percentile(x.latencies, 99))).toFixed(1)}`;
  const ratio = (xs: Round[]): string => median(xs.map((x, r) => x.perSecond / raw[r].perSecond)).toFixed(2);
  const cpu = (xs: Round[]): string => median(xs.map((x) => x.cpuMsPerCreate ?? NaN)).toFixed(2);
  const busy = (xs: Round[]): string => `${(median(xs.map((x) => x.machineBusy)) * 100).toFixed(0)}%`;
  const n = `${rounds} rounds of ${objects}, median`;
  f[`(a) raw inserts, ${CLIENTS} connections, ${n} (rows/s)`] = median(raw.map((x) => x.perSecond)).toFixed(0);
  f['(a) raw insert latency p50 / p99 (ms)'] = latency(raw);
  f[`(a) machine CPU busy (all ${cpus().length} cores, anything running) raw / HTTPS / plain HTTP`] = `${busy(raw)} / ${busy(tls)} / ${busy(socket)}`;
  const per = (xs: Round[]): string =>
    `client ${median(xs.map((x) => x.sides.client)).toFixed(2)} + server ${xs[0].cpuMsPerCreate === undefined ? '-' : cpu(xs)} + postgres ${median(xs.map((x) => x.sides.postgres)).toFixed(2)}`;
  f['(a) CPU ms per raw insert'] = per(raw);
  f['(a) CPU ms per HTTPS create'] = per(tls);
  f['(a) CPU ms per plain HTTP create'] = per(socket);
  f[`(a) API creates over HTTPS (TLS, loopback TCP), ${CLIENTS} clients (objects/s)`] = median(tls.map((x) => x.perSecond)).toFixed(0);
  f['(a) HTTPS create latency p50 / p99 (ms)'] = latency(tls);
  f['(a) HTTPS: server CPU per create (ms)'] = cpu(tls);
  f['(a) API / raw over HTTPS, median of the rounds\' ratios'] = `${ratio(tls)}x  (goal >= 0.40x)`;
  f[`(a) API creates over plain HTTP (Unix socket, no TLS), ${CLIENTS} clients (objects/s)`] = median(socket.map((x) => x.perSecond)).toFixed(0);
  f['(a) plain HTTP create latency p50 / p99 (ms)'] = latency(socket);
  f['(a) plain HTTP: server CPU per create (ms)'] = cpu(socket);
  f['(a) API / raw over plain HTTP, median of the rounds\' ratios'] = `${ratio(socket)}x`;
}

/** A watch of events on one server; `arrived(name)` resolves when that object's ADDED event comes. */
function watchEvents(target: BenchTarget): { arrived(name: string): Promise<number>; ready: Promise<void>; stop(): void } {
  const u = new URL(target.url);
  const waiting = new Map<string, (at: bigint) => void>();
  let resolveReady!: () => void;
  let rejectReady!: (err: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  const req = https.request(
    { ca: target.ca, host: u.hostname, port: u.port, path: `${EVENTS}?watch=1&allowWatchBookmarks=false`, headers: { authorization: `Bearer ${target.token}` } },
    (res) => {
      if (res.statusCode !== 200) {
        rejectReady(new Error(`watch: HTTP ${res.statusCode}`));
        return;
      }
      resolveReady();
      let buf = '';
      res.on('data', (c: Buffer) => {
        const at = process.hrtime.bigint();
        buf += c.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const e = JSON.parse(line) as { type: string; object: { metadata: { name: string } } };
          if (e.type === 'ADDED') waiting.get(e.object.metadata.name)?.(at);
        }
      });
    },
  );
  req.on('error', (err) => rejectReady(err));
  req.end();
  return {
    ready,
    arrived: (name) => new Promise<number>((resolve) => waiting.set(name, (at) => resolve(Number(at) / 1e6))),
    stop: () => req.destroy(),
  };
}

/** Sequential creates on `writer`, each timed from sending it to its ADDED event at `watcher`'s watch (ms). */
async function watchLatency(writer: BenchTarget, watcher: BenchTarget, samples: number, prefix: string): Promise<number[]> {
  const w = watchEvents(watcher);
  await w.ready;
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  const out: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const name = `${prefix}-${i}`;
      const arrival = w.arrived(name);
      const sent = Number(process.hrtime.bigint()) / 1e6;
      const res = await request(agent, writer, 'POST', EVENTS, event(name));
      if (res.status !== 201) throw new Error(`create ${name}: HTTP ${res.status} ${res.body}`);
      out.push((await arrival) - sent);
    }
  } finally {
    agent.destroy();
    w.stop();
  }
  return out.sort((a, b) => a - b);
}

/** Median time of listing every event through the API, and of the raw SELECT of the same rows. */
async function listTimes(target: BenchTarget, url: string, repeats: number): Promise<{ api: number; raw: number; items: number }> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  const apiSamples: number[] = [];
  let items = 0;
  for (let i = 0; i < repeats; i++) {
    const start = process.hrtime.bigint();
    const res = await request(agent, target, 'GET', EVENTS);
    items = (JSON.parse(res.body) as { items: unknown[] }).items.length;
    apiSamples.push(msSince(start));
  }
  agent.destroy();
  const pool = createConnectionPool({ connectionString: url, poolSize: 1, bigIntMode: 'number' });
  const rawSamples: number[] = [];
  try {
    for (let i = 0; i < repeats; i++) {
      const start = process.hrtime.bigint();
      const rows = await pool.query(
        sql`SELECT object::text AS object FROM sk_objects WHERE plural = 'events' AND namespace = 'default' ORDER BY namespace, name`,
      );
      rows.map((r) => JSON.parse(r.object as string) as unknown);
      rawSamples.push(msSince(start));
    }
  } finally {
    await pool.dispose();
  }
  return { api: percentile(apiSamples.sort((a, b) => a - b), 50), raw: percentile(rawSamples.sort((a, b) => a - b), 50), items };
}

const ms = (sorted: number[], p: number): string => percentile(sorted, p).toFixed(1);

async function bench(url: string, objects: number, samples: number, rounds: number, createsOnly: boolean): Promise<Figures> {
  const f: Figures = {};
  const a = await startDaemonProcess({ database: url });
  let b: DaemonProcess | undefined;
  try {
    await createsFigures(url, a, objects, rounds, f);
    if (createsOnly) return f;

    b = await startDaemonProcess({ database: url });
    const same = await watchLatency(targetOf(a), targetOf(a), samples, 'same');
    const cross = await watchLatency(targetOf(a), targetOf(b), samples, 'cross');
    f['(b) watch latency, same replica p50 / p99 (ms)'] = `${ms(same, 50)} / ${ms(same, 99)}  (baseline)`;
    f['(b) watch latency, create on A, watch on B p50 / p99 (ms)'] = `${ms(cross, 50)} / ${ms(cross, 99)}  (goal p50 < 100, p99 < 1000)`;

    const have = Math.min(objects, 500) * 2 + objects * rounds * 2 + 2 * samples;
    if (have < LIST_SIZE) await apiCreates(a, LIST_SIZE - have, 'fill');
    const list = await listTimes(targetOf(b), url, 5);
    f[`(c) list ${list.items} objects through the API, median (ms)`] = list.api.toFixed(1);
    f['(c) raw SELECT of the same rows, median (ms)'] = `${list.raw.toFixed(1)}  (API is ${(list.api / list.raw).toFixed(1)}x)`;

  } finally {
    await b?.stop();
    await a.stop();
  }
  const nats = process.env.SIDEKICK_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
  const handover = await leaderHandover(url, nats, 3, 2);
  const secs = (xs: number[]): string => xs.map((x) => (x / 1000).toFixed(1)).join(' · ');
  f['(d) leader handover, SIGTERM of the holder (s, each)'] = `${secs(handover.graceful)}  (released: the other replica takes it at its next try)`;
  f['(d) leader handover, SIGKILL of the holder (s, each)'] = `${secs(handover.killed)}  (baseline: the lease duration, ${(handover.leaseDurationMs / 1000).toFixed(0)} s)`;
  return f;
}

/** Runs `text` on the server's maintenance connection (CREATE/DROP DATABASE cannot run in a transaction). */
async function admin(url: string, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const objects = Number(flag('--objects') ?? 2000);
  const samples = Number(flag('--samples') ?? 200);
  const rounds = Number(flag('--rounds') ?? 5);
  const createsOnly = args.includes('--creates-only');
  if (!Number.isInteger(objects) || objects < 1) throw new Error(`--objects: a positive integer, got ${flag('--objects')}`);
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`--samples: a positive integer, got ${flag('--samples')}`);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds: a positive integer, got ${flag('--rounds')}`);
  const base = process.env.SIDEKICK_TEST_PG_URL ?? 'postgres://sidekick:sidekick@127.0.0.1:5432/sidekick';
  const dbName = `sidekick_bench_cp_${process.pid}`;
  await admin(base, `CREATE DATABASE ${dbName}`);
  const u = new URL(base);
  u.pathname = `/${dbName}`;
  console.log(`control-plane benchmark: ${rounds} rounds of ${objects} creates, ${samples} watch samples, node ${process.version}, ${new Date().toISOString()}`);
  try {
    const f = await bench(u.toString(), objects, samples, rounds, createsOnly);
    for (const [k, v] of Object.entries(f)) console.log(`${k.padEnd(60)} ${v}`);
  } finally {
    await admin(base, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
