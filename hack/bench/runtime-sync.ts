/**
 * Runtime-sync benchmark: a node's outbox publisher and the control plane's ingest over a real
 * NATS JetStream, the node on SQLite and the control plane on Postgres, in this one process.
 *
 *   (a) status latency: from a node's local status write to the control plane's store watch event
 *       carrying it (p50/p99), against a raw JetStream publish→consume round trip measured in the
 *       same run on the same server (goal: p50 ≤ 3× raw).
 *   (b) catch-up: a backlog of journal events (and status changes among them) built while NATS is
 *       down (the bench's own nats-server stopped), then NATS started again: events/s from the
 *       restart until the control plane has every one, and the chain verified there.
 *
 * Both run on a nats-server the bench starts itself (nats-server on PATH), so stopping it
 * disturbs no one.
 * Usage: node dist/hack/bench/runtime-sync.js [--samples N] [--backlog N]
 *   env SIDEKICK_TEST_PG_URL (default postgres://sidekick:sidekick@127.0.0.1:5432/sidekick): a
 *   database is created beside the one named there and dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import pg from 'pg';
import type { KubeObject } from '../../resources/meta.js';
import { ensureRuntimeConsumer, ensureRuntimeStream, subjectFor } from '../../api/runtime/stream.js';
import { bindRun, connectNats, openControlPlaneSide, openNodeSide, runFor, uniqueStreamNames } from '../../api/runtime/sync-harness.js';
import { startOwnNatsServer } from '../nats-server.js';
import { percentile } from './http.js';

const PG = process.env.SIDEKICK_TEST_PG_URL ?? 'postgres://sidekick:sidekick@127.0.0.1:5432/sidekick';
let NATS = '';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) {
    console.error(`--${name}: expected a positive integer, got ${process.argv[i + 1]}`);
    process.exit(2);
  }
  return v;
}

async function admin(statement: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG });
  await c.connect();
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

const fmt = (ms: number): string => `${ms.toFixed(2)} ms`;

/** Raw JetStream: publish one message and wait for the consumer to get it, `samples` times in a row. */
async function rawRoundTrips(samples: number): Promise<number[]> {
  const names = uniqueStreamNames('raw');
  const nc = await connectNats(NATS, 'bench-raw');
  const jsm = await jetstreamManager(nc);
  await ensureRuntimeStream(jsm, { names });
  await ensureRuntimeConsumer(jsm, names);
  const js = jetstream(nc);
  const messages = await (await js.consumers.get(names.stream, names.consumer)).consume({ max_messages: 256 });
  const out: number[] = [];
  let arrived: (() => void) | undefined;
  void (async () => {
    for await (const m of messages) {
      m.ack();
      arrived?.();
    }
  })();
  for (let i = 0; i < samples + 20; i++) {
    const t0 = performance.now();
    const got = new Promise<void>((r) => (arrived = r));
    await js.publish(subjectFor(names, 'raw', 'object'), new TextEncoder().encode(JSON.stringify({ i })), { msgID: `raw-${i}` });
    await got;
    if (i >= 20) out.push(performance.now() - t0);
  }
  await messages.close();
  await jsm.streams.delete(names.stream);
  await nc.close();
  return out;
}

/** A plain single-row autocommit INSERT on the same database: what one control-plane write costs at least. */
async function rawPostgresCommits(url: string, samples: number): Promise<number[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query('CREATE TABLE bench_raw (id INTEGER PRIMARY KEY, body TEXT)');
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await c.query('INSERT INTO bench_raw (id, body) VALUES ($1, $2)', [i, 'x']);
    out.push(performance.now() - t0);
  }
  await c.end();
  return out;
}

async function main(): Promise<void> {
  const samples = arg('samples', 200);
  const backlog = arg('backlog', 5000);
  const database = `sk_bench_${randomBytes(5).toString('hex')}`;
  await admin(`CREATE DATABASE ${database}`);
  const pgUrl = withDatabase(PG, database);
  const natsDir = mkdtempSync(join(tmpdir(), 'sk-bench-nats-'));
  const nats = await startOwnNatsServer(natsDir);
  NATS = nats.url;
  const names = uniqueStreamNames('bench');
  const node = await openNodeSide({ name: 'bench-node', natsUrl: () => NATS, names, publisher: { log: (l) => console.error(l) } });
  const cp = await openControlPlaneSide({ pgUrl, natsUrl: NATS, names, keys: new Map([[node.name, node.key.publicKey]]), log: (l) => console.error(l) });
  const ac = new AbortController();
  const runs = [node.publisher.start(ac.signal), cp.ingest.start(ac.signal)];
  try {
    const run = await bindRun(cp.store, node.store, runFor('default', 'bench', 'bench', node.name));

    // (a) status latency
    const raw = await rawRoundTrips(samples);
    const seen = new Map<string, () => void>();
    const watchAc = new AbortController();
    void (async () => {
      for await (const ev of cp.raw.watch('runs', { namespace: 'default' }, watchAc.signal)) {
        const msg = (ev.object.status as { message?: string } | undefined)?.message;
        if (msg) seen.get(msg)?.();
      }
    })();
    const status: number[] = [];
    const local: number[] = [];
    for (let i = 0; i < samples + 20; i++) {
      const cur = await node.store.get<KubeObject>('runs', 'default', 'bench');
      const got = new Promise<void>((r) => seen.set(`s${i}`, r));
      const t0 = performance.now();
      await node.store.updateStatus('runs', { ...cur, status: { phase: 'Running', message: `s${i}` } });
      const committed = performance.now();
      await got;
      if (i >= 20) (status.push(performance.now() - t0), local.push(committed - t0));
    }
    // The same status write made on the control plane's store directly: the floor the ingest writes on.
    const direct: number[] = [];
    for (let i = 0; i < samples; i++) {
      const cur = await cp.raw.get<KubeObject>('runs', 'default', 'bench');
      const got = new Promise<void>((r) => seen.set(`d${i}`, r));
      const t0 = performance.now();
      await cp.raw.updateStatus('runs', { ...cur, status: { phase: 'Running', message: `d${i}` } });
      await got;
      direct.push(performance.now() - t0);
    }
    watchAc.abort();
    const pgCommits = await rawPostgresCommits(pgUrl, samples);
    const p = (xs: number[], q: number): number => percentile([...xs].sort((x, y) => x - y), q);
    const [r50, r99, s50, s99] = [p(raw, 50), p(raw, 99), p(status, 50), p(status, 99)];
    console.log(`(a) status latency, node write -> control-plane watch event (${samples} samples): p50 ${fmt(s50)}, p99 ${fmt(s99)}`);
    console.log(`    raw JetStream publish -> consume round trip:                      p50 ${fmt(r50)}, p99 ${fmt(r99)}`);
    console.log(`    ratio p50 ${(s50 / r50).toFixed(2)}x, p99 ${(s99 / r99).toFixed(2)}x (goal <= 3x)`);
    console.log(`    the control plane's own store, status write -> watch event:       p50 ${fmt(p(direct, 50))}, p99 ${fmt(p(direct, 99))} (node path / this: p50 ${(s50 / p(direct, 50)).toFixed(2)}x)`);
    console.log(`    of which: the node's local SQLite commit p50 ${fmt(p(local, 50))}; a raw Postgres single-row commit here p50 ${fmt(p(pgCommits, 50))}, p99 ${fmt(p(pgCommits, 99))}`);

    // (b) catch-up after an outage
    const session = 'default/bench';
    const before = await cp.journal.lastSequence(session);
    await nats.stop();
    for (let i = 0; i < backlog; i += 100) {
      const batch = Array.from({ length: Math.min(100, backlog - i) }, (_, k) => ({ type: 'assistant.message', actor: { kind: 'agent' as const, name: 'bench' }, run: 'bench', runUid: run.metadata.uid, payload: { i: i + k } }));
      await node.journal.append(session, batch);
      const cur = await node.store.get<KubeObject>('runs', 'default', 'bench');
      await node.store.updateStatus('runs', { ...cur, status: { phase: 'Running', message: `b${i}` } });
    }
    const pending = await node.publisher.backlog();
    const t0 = performance.now();
    await nats.restart();
    while ((await cp.journal.lastSequence(session)) < before + backlog) await new Promise((r) => setTimeout(r, 20));
    const cpDone = performance.now() - t0;
    while ((await node.publisher.backlog()) > 0) await new Promise((r) => setTimeout(r, 20));
    const verify = await cp.journal.verify(session);
    console.log(`(b) catch-up: ${pending} outbox entries (${backlog} journal events + status changes) after an outage`);
    console.log(`    control plane has every event after ${fmt(cpDone)}: ${((backlog / cpDone) * 1000).toFixed(0)} events/s; chain verifies: ${verify.ok} (${verify.checked} events)`);
  } finally {
    ac.abort();
    await Promise.allSettled(runs);
    await cp.close();
    await node.close();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await nats.stop();
    rmSync(natsDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
