/**
 * Control-plane benchmark: the API server on Postgres, against Postgres itself measured in the
 * same run on the same throwaway database.
 *
 *   (a) creates/s through the real HTTP API (16 concurrent clients, p50/p99 of each create) vs raw
 *       single-row autocommit inserts/s into a plain table through @databases/pg with 16
 *       connections; the ratio is what the store keeps of what Postgres can commit (goal >= 0.40).
 *   (b) cross-replica watch latency: two servers (two processes, two ObjectStores, two API
 *       servers) on the same database; create on A, watch on B, against the same-replica latency.
 *   (c) listing 10,000 objects through the API vs the raw SELECT of the same rows.
 *   (d) leader handover time: see the marked section in main().
 *
 * Usage: node dist/hack/bench/controlplane.js [--objects N] [--samples N]
 *   env SIDEKICK_TEST_PG_URL (default postgres://sidekick:sidekick@127.0.0.1:5432/sidekick): a
 *   database is created beside the one named there and dropped at the end.
 */
import https from 'node:https';
import m, { sql } from '@databases/pg';
import pg from 'pg';
import { request, percentile, msSince, type BenchTarget } from './http.js';
import { startDaemonProcess, type DaemonProcess } from './daemon-process.js';

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

/** `count` creates through the API from `clients` keep-alive clients: throughput and per-create latency. */
async function apiCreates(target: BenchTarget, count: number, prefix: string): Promise<{ perSecond: number; latencies: number[] }> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const latencies: number[] = [];
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let i = next++; i < count; i = next++) {
        const sent = process.hrtime.bigint();
        const res = await request(agent, target, 'POST', EVENTS, event(`${prefix}-${i}`));
        latencies.push(msSince(sent));
        if (res.status !== 201) throw new Error(`create ${prefix}-${i}: HTTP ${res.status} ${res.body}`);
      }
    }),
  );
  const perSecond = count / (msSince(start) / 1000);
  agent.destroy();
  return { perSecond, latencies: latencies.sort((a, b) => a - b) };
}

/** The baseline of (a): single-row autocommit inserts of the same objects from 16 connections. */
async function rawInserts(url: string, count: number): Promise<number> {
  const pool = createConnectionPool({ connectionString: url, poolSize: CLIENTS, bigIntMode: 'number' });
  try {
    await pool.query(sql`CREATE TABLE bench_raw (name TEXT PRIMARY KEY, object JSONB NOT NULL)`);
    // Open every connection first: the figure is inserts, not connection setup.
    await Promise.all(Array.from({ length: CLIENTS }, () => pool.task((c) => c.query(sql`SELECT 1`))));
    let next = 0;
    const start = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        for (let i = next++; i < count; i = next++) {
          await pool.query(sql`INSERT INTO bench_raw (name, object) VALUES (${`raw-${i}`}, ${JSON.stringify(event(`raw-${i}`))}::jsonb)`);
        }
      }),
    );
    return count / (msSince(start) / 1000);
  } finally {
    await pool.dispose();
  }
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

async function bench(url: string, objects: number, samples: number): Promise<Figures> {
  const f: Figures = {};
  const a = await startDaemonProcess({ database: url });
  let b: DaemonProcess | undefined;
  try {
    const raw = await rawInserts(url, objects);
    const api = await apiCreates(targetOf(a), objects, 'tp');
    f['(a) API creates, 16 clients (objects/s)'] = api.perSecond.toFixed(0);
    f['(a) API create latency p50 / p99 (ms)'] = `${ms(api.latencies, 50)} / ${ms(api.latencies, 99)}`;
    f['(a) raw inserts, 16 connections (rows/s)'] = raw.toFixed(0);
    f['(a) API / raw'] = `${(api.perSecond / raw).toFixed(2)}x  (goal >= 0.40x)`;

    b = await startDaemonProcess({ database: url });
    const same = await watchLatency(targetOf(a), targetOf(a), samples, 'same');
    const cross = await watchLatency(targetOf(a), targetOf(b), samples, 'cross');
    f['(b) watch latency, same replica p50 / p99 (ms)'] = `${ms(same, 50)} / ${ms(same, 99)}  (baseline)`;
    f['(b) watch latency, create on A, watch on B p50 / p99 (ms)'] = `${ms(cross, 50)} / ${ms(cross, 99)}  (goal p50 < 100, p99 < 1000)`;

    const have = objects + 2 * samples;
    if (have < LIST_SIZE) await apiCreates(targetOf(a), LIST_SIZE - have, 'fill');
    const list = await listTimes(targetOf(b), url, 5);
    f[`(c) list ${list.items} objects through the API, median (ms)`] = list.api.toFixed(1);
    f['(c) raw SELECT of the same rows, median (ms)'] = `${list.raw.toFixed(1)}  (API is ${(list.api / list.raw).toFixed(1)}x)`;

    // ---- (d) leader handover time: TO BE ADDED BY THE LEAD together with `sidekick controlplane`. ----
    // Start two `sidekick controlplane` replicas on `url`, stop the one holding the Lease
    // `sidekick-controlplane` (SIGTERM, then kill -9), and time until the other holds it.
    // ---- end of (d) ----
  } finally {
    await b?.stop();
    await a.stop();
  }
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
  const objects = Number(flag('--objects') ?? 4000);
  const samples = Number(flag('--samples') ?? 200);
  if (!Number.isInteger(objects) || objects < 1) throw new Error(`--objects: a positive integer, got ${flag('--objects')}`);
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`--samples: a positive integer, got ${flag('--samples')}`);
  const base = process.env.SIDEKICK_TEST_PG_URL ?? 'postgres://sidekick:sidekick@127.0.0.1:5432/sidekick';
  const dbName = `sidekick_bench_cp_${process.pid}`;
  await admin(base, `CREATE DATABASE ${dbName}`);
  const u = new URL(base);
  u.pathname = `/${dbName}`;
  console.log(`control-plane benchmark: ${objects} creates, ${samples} watch samples, node ${process.version}, ${new Date().toISOString()}`);
  try {
    const f = await bench(u.toString(), objects, samples);
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
