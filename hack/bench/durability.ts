/**
 * What durability costs the SQLite store (issue 9 §4): the same creates through the real store,
 * once with `synchronous=NORMAL` (WAL fsynced only at checkpoints: survives kill -9, not a power
 * cut) and once with `synchronous=FULL` (the daemon's setting: every COMMIT fsyncs the WAL), in the
 * same run and on the same disk. Concurrent writers share one COMMIT per batch (group commit), so
 * FULL costs them one fsync per batch; a lone writer pays one fsync per write.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ObjectStore } from '../../api/store/object-store.js';
import { schemeResolver } from '../../api/store/scheme-resolver.js';
import { SqliteBackend } from '../../api/store/sqlite.js';
import type { Synchronous } from '../../api/store/sqlite-statements.js';
import { scheme } from '../../resources/index.js';
import type { KubeObject } from '../../resources/meta.js';
import { msSince, percentile } from './http.js';

/** Figures of one `synchronous` setting. */
export interface DurabilityFigures {
  /** Creates per second with `writers` concurrent writers. */
  concurrent: number;
  /** One writer at a time: p50 and p99 of a create (ms). */
  sequentialP50: number;
  sequentialP99: number;
}

function run(name: string): KubeObject {
  return { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name }, spec: { session: 'bench', agent: 'scripted', prompt: 'benchmark run' } };
}

async function measure(dir: string, synchronous: Synchronous, count: number, writers: number): Promise<DurabilityFigures> {
  const path = join(dir, `${synchronous.toLowerCase()}.db`);
  const store = await ObjectStore.open(new SqliteBackend(path, { synchronous }), schemeResolver(scheme));
  try {
    let next = 0;
    const start = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: writers }, async () => {
        for (let i = next++; i < count; i = next++) await store.create('runs', run(`c-${i}`));
      }),
    );
    const concurrent = count / (msSince(start) / 1000);
    const samples: number[] = [];
    for (let i = 0; i < Math.min(count, 1000); i++) {
      const t = process.hrtime.bigint();
      await store.create('runs', run(`s-${i}`));
      samples.push(msSince(t));
    }
    samples.sort((a, b) => a - b);
    return { concurrent, sequentialP50: percentile(samples, 50), sequentialP99: percentile(samples, 99) };
  } finally {
    await store.close();
  }
}

/**
 * Measures NORMAL then FULL in a directory under `base` (a real disk: fsync on tmpfs is free and
 * would hide the cost).
 */
export async function compareSynchronous(base: string, count: number, writers = 16): Promise<Record<Synchronous, DurabilityFigures>> {
  const dir = mkdtempSync(join(base, 'sidekick-bench-sync-'));
  try {
    const normal = await measure(dir, 'NORMAL', count, writers);
    const full = await measure(dir, 'FULL', count, writers);
    return { NORMAL: normal, FULL: full };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
