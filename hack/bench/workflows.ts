/**
 * Workflow benchmark (issue: Workflows and multi-agent channels):
 *
 * 1. A 50-phase diamond (layers of 1, 2, 4, 8, 10, 10, 8, 4, 2, 1 phases, each depending on every
 *    phase of the layer before) of no-op Scripted agent phases, submitted to a daemon process:
 *    time from submit to Completed, and the controller's overhead per phase transition — from the
 *    last dependency's `workflow.phase_completed` (or `workflow.admitted`) to the phase's
 *    `workflow.phase_started`, and from its run's `run.Completed` to its `phase_completed`, both as
 *    the journal follower sees them (target < 20 ms).
 *    Baseline, same daemon: the same 50 runs orchestrated by this process layer by layer (create a
 *    layer's runs, wait for their `run.Completed`, go on) — what a script around `sidekick apply`
 *    would do. The ratio is workflow time / hand-orchestrated time.
 * 2. 20 workflows of 10 phases (a 1-2-4-2-1 diamond) submitted at once: time until all are
 *    Completed, and phase transitions per second.
 *
 * Usage: node dist/hack/bench/workflows.js
 */
import { join } from 'node:path';
import { msSince, percentile } from './http.js';
import { API, TimelineFollower, type SocketClient, type TimelineEvent } from './runs-socket.js';
import { interrupted, line, ms, ratio, removeTempDirs, withDaemon } from './runs-harness.js';
import * as fx from './runs-fixtures.js';

const V = 'sidekicks.dev/v1alpha1';
const TIMEOUT_MS = 300_000;
const DIAMOND_50 = [1, 2, 4, 8, 10, 10, 8, 4, 2, 1];
const DIAMOND_10 = [1, 2, 4, 2, 1];

interface Arrival {
  event: TimelineEvent;
  at: bigint;
}

/** Collects a session's timeline with arrival times, and resolves waits on it. */
class Timeline {
  readonly events: Arrival[] = [];
  private waiters: { match: (e: TimelineEvent) => boolean; resolve: () => void }[] = [];

  readonly onEvent = (event: TimelineEvent, at: bigint): void => {
    this.events.push({ event, at });
    this.waiters = this.waiters.filter((w) => (w.match(event) ? (w.resolve(), false) : true));
  };

  /** Resolves when an event `match` takes has arrived (also one that arrived before the call). */
  until(what: string, match: (e: TimelineEvent) => boolean): Promise<void> {
    if (this.events.some((a) => match(a.event))) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), TIMEOUT_MS);
      this.waiters.push({ match, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  first(match: (e: TimelineEvent) => boolean): Arrival | undefined {
    return this.events.find((a) => match(a.event));
  }
}

/** Phase names by layer: `l<layer>-<index>`. */
function layers(widths: number[]): string[][] {
  return widths.map((w, l) => Array.from({ length: w }, (_, i) => `l${l}-${i}`));
}

function template(widths: number[], maxConcurrentPhases: number): Record<string, unknown> {
  const names = layers(widths);
  const phases = names.flatMap((layer, l) =>
    layer.map((name) => ({ name, type: 'Agent', agent: 'noop', prompt: `phase ${name}`, ...(l > 0 ? { dependsOn: names[l - 1] } : {}) })),
  );
  return { phases, joinPolicy: 'FailFast', maxConcurrentPhases };
}

async function setUp(client: SocketClient, session: string, maxActiveRuns: number): Promise<void> {
  await client.json('POST', `${API}/sessions`, fx.session(session, maxActiveRuns));
  await client.json('POST', `${API}/agents`, { apiVersion: V, kind: 'Agent', metadata: { name: 'noop' }, spec: { driver: 'Scripted', script: [{ say: 'done' }] } }).catch(() => undefined);
  for (;;) {
    const s = await client.json<{ status?: { phase?: string } }>('GET', `${API}/sessions/${session}`);
    if (s.status?.phase === 'Active') return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

function submit(client: SocketClient, name: string, session: string, spec: Record<string, unknown>): Promise<unknown> {
  return client.json('POST', `${API}/workflows`, { apiVersion: V, kind: 'Workflow', metadata: { name }, spec: { session, template: spec } });
}

const isWorkflowEvent = (wf: string, type: string) => (e: TimelineEvent) => e.type === type && e.payload?.workflow === wf;

/** The controller's overhead per transition, from the timeline of one workflow. */
function overheads(t: Timeline, wf: string, widths: number[]): { dispatch: number[]; completion: number[] } {
  const names = layers(widths);
  const at = (type: string, phase?: string): bigint | undefined =>
    t.first((e) => e.type === `workflow.${type}` && e.payload?.workflow === wf && (phase === undefined || e.payload?.phase === phase))?.at;
  const dispatch: number[] = [];
  const completion: number[] = [];
  names.forEach((layer, l) => {
    for (const name of layer) {
      const ready = l === 0 ? at('admitted') : names[l - 1]!.map((d) => at('phase_completed', d)!).reduce((a, b) => (a > b ? a : b));
      const started = t.first((e) => e.type === 'workflow.phase_started' && e.payload?.workflow === wf && e.payload?.phase === name);
      if (ready !== undefined && started) dispatch.push(Number(started.at - ready) / 1e6);
      const child = started?.event.payload?.child as string | undefined;
      const runDone = child ? t.first((e) => e.type === 'run.Completed' && e.run === child)?.at : undefined;
      const phaseDone = at('phase_completed', name);
      if (runDone !== undefined && phaseDone !== undefined) completion.push(Number(phaseDone - runDone) / 1e6);
    }
  });
  return { dispatch, completion };
}

async function diamond(): Promise<void> {
  console.log('50-phase diamond workflow (no-op Scripted phases, 10 at a time) vs the same runs orchestrated by a client');
  await withDaemon(async (d, client) => {
    const socket = join(d.home, 'sidekick.sock');
    await setUp(client, 'wf', 10);
    const t = new Timeline();
    const follower = await TimelineFollower.open(socket, 'wf', t.onEvent);
    try {
      const start = process.hrtime.bigint();
      await submit(client, 'diamond', 'wf', template(DIAMOND_50, 10));
      await t.until('diamond to complete', (e) => (e.type === 'workflow.completed' || e.type === 'workflow.failed') && e.payload?.workflow === 'diamond');
      const wall = msSince(start);
      if (t.first(isWorkflowEvent('diamond', 'workflow.failed'))) throw new Error('the diamond workflow failed');
      const { dispatch, completion } = overheads(t, 'diamond', DIAMOND_50);
      const all = [...dispatch, ...completion].sort((a, b) => a - b);

      // Baseline: the same 50 runs, layer by layer, by this process.
      const names = layers(DIAMOND_50);
      const baseStart = process.hrtime.bigint();
      for (const layer of names) {
        await Promise.all(layer.map((n) => client.json('POST', `${API}/runs`, { apiVersion: V, kind: 'Run', metadata: { name: `hand-${n}` }, spec: { session: 'wf', agent: 'noop', prompt: `phase ${n}` } })));
        await Promise.all(layer.map((n) => t.until(`run hand-${n}`, (e) => e.type === 'run.Completed' && e.run === `hand-${n}`)));
      }
      const baseline = msSince(baseStart);

      line('submit → Completed (50 phases)', ms(wall));
      line('baseline: the same runs orchestrated by a client', ms(baseline));
      line('ratio workflow / client-orchestrated', ratio(wall, baseline));
      line(`controller overhead per transition p50 / p99 (${all.length} transitions)`, `${ms(percentile(all, 50))} / ${ms(percentile(all, 99))} (target < 20 ms)`);
      line('  dependencies done → phase started p50 / p99', `${ms(percentile(dispatch.sort((a, b) => a - b), 50))} / ${ms(percentile(dispatch, 99))}`);
      line('  run Completed → phase completed p50 / p99', `${ms(percentile(completion.sort((a, b) => a - b), 50))} / ${ms(percentile(completion, 99))}`);
    } finally {
      follower.close();
    }
  });
}

async function fanIn(): Promise<void> {
  console.log('20 workflows of 10 phases at once');
  await withDaemon(async (d, client) => {
    const socket = join(d.home, 'sidekick.sock');
    await setUp(client, 'many', 20);
    const t = new Timeline();
    const follower = await TimelineFollower.open(socket, 'many', t.onEvent);
    try {
      const names = Array.from({ length: 20 }, (_, i) => `wf-${i}`);
      const start = process.hrtime.bigint();
      await Promise.all(names.map((n) => submit(client, n, 'many', template(DIAMOND_10, 4))));
      await Promise.all(names.map((n) => t.until(`${n} to complete`, (e) => (e.type === 'workflow.completed' || e.type === 'workflow.failed') && e.payload?.workflow === n)));
      const wall = msSince(start);
      const failed = names.filter((n) => t.first(isWorkflowEvent(n, 'workflow.failed')));
      if (failed.length) throw new Error(`workflows failed: ${failed.join(', ')}`);
      const transitions = t.events.filter((a) => a.event.type === 'workflow.phase_completed').length;
      const all = names.flatMap((n) => Object.values(overheads(t, n, DIAMOND_10)).flat()).sort((a, b) => a - b);
      line('20 × 10 phases: submit → all Completed', ms(wall));
      line('phase transitions per second', `${((transitions / wall) * 1000).toFixed(1)} /s (${transitions} phases)`);
      line('controller overhead per transition p50 / p99 under that load', `${ms(percentile(all, 50))} / ${ms(percentile(all, 99))}`);
    } finally {
      follower.close();
    }
  });
}

process.on('SIGINT', () => void interrupted());
process.on('SIGTERM', () => void interrupted());
try {
  await diamond();
  await fanIn();
} finally {
  removeTempDirs();
}
