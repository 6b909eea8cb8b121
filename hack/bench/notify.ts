/**
 * Notifications benchmark: how soon a webhook hears that a person is needed, against a daemon
 * process, compared with a plain watch of the same objects.
 *
 * One NotificationSink (Generic, signed) points at a receiver on 127.0.0.1 (node:http). The
 * benchmark creates N Approvals one after another (a workflow's HumanApproval gate: category Gate,
 * no run, so nothing else varies), and for each measures from the create call's return:
 * - notify: the signed POST naming the approval reaching the receiver (the approval controller
 *   writing Pending, the notification controller's informers, its pass, the background delivery);
 * - baseline: the MODIFIED event that shows the approval Pending reaching a plain watcher
 *   (`GET .../approvals?watch=1`, as `sidekick get -w` and kubectl do) — the earliest moment any
 *   client could know. The ratio is notify over baseline; the difference is what notifying adds.
 * Each approval is approved once it has been notified (untimed), as a person would, so the sink's
 * status stays as small as in use. Also printed: the ADDED watch event, for scale.
 *
 * Usage: node dist/hack/bench/notify.js [--approvals 200] [--warmup 10]
 */
import http, { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exchange, percentile } from './http.js';
import { interrupted, line, ms, ratio, removeTempDirs, runMain, sorted, tempDir, withDaemon } from './runs-harness.js';
import { API, streamLines } from './runs-socket.js';

const TARGET_P99_MS = 1000;
const STEP_TIMEOUT_MS = 30_000;
const SECRET = 'bench-secret';

interface Options {
  approvals: number;
  warmup: number;
}

interface Marks {
  created?: bigint;
  added?: bigint;
  pending?: bigint;
  notified?: bigint;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { approvals: 200, warmup: 10 };
  for (let i = 0; i < argv.length; i++) {
    const value = Number(argv[i + 1]);
    if (argv[i] === '--approvals') o.approvals = value;
    else if (argv[i] === '--warmup') o.warmup = value;
    else throw new Error(`unknown flag ${argv[i]} (use --approvals N, --warmup N)`);
    if (!Number.isInteger(value) || value < 0) throw new Error(`${argv[i]}: expected a whole number, got ${argv[i + 1]}`);
    i++;
  }
  if (o.approvals < 1) throw new Error('--approvals: at least 1');
  return o;
}

/** Wakes whoever waits for a mark: the receiver and the watcher call `progress()` after each one. */
class Progress {
  private wake: (() => void) | undefined;

  progress(): void {
    this.wake?.();
  }

  /** Resolves once `check` holds (re-checked at each progress, no polling); rejects after the step timeout naming `what`. */
  async until(check: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

async function main(): Promise<void> {
  process.once('SIGINT', () => void interrupted());
  process.once('SIGTERM', () => void interrupted());
  const opts = parseArgs(process.argv.slice(2));
  console.log(`notifications benchmark: ${opts.approvals} approvals (+${opts.warmup} warm-up), one at a time; ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)}`);

  const marks = new Map<string, Marks>();
  const progress = new Progress();
  const mark = (name: string): Marks => marks.get(name) ?? (marks.set(name, {}), marks.get(name)!);
  let badSignatures = 0;
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = process.hrtime.bigint();
      const body = Buffer.concat(chunks).toString('utf8');
      const expected = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
      if (req.headers['x-sidekick-signature'] !== expected) badSignatures++;
      const approval = (JSON.parse(body) as { approval?: string }).approval;
      if (approval) mark(approval).notified ??= at;
      res.end();
      progress.progress();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const secretFile = join(tempDir('sidekick-bench-notify-'), 'secret');
  writeFileSync(secretFile, SECRET, { mode: 0o600 });

  try {
    await withDaemon(async (d, client) => {
      await client.json('POST', `${API}/notificationsinks`, {
        apiVersion: 'sidekicks.dev/v1alpha1',
        kind: 'NotificationSink',
        metadata: { name: 'bench-hook' },
        spec: { session: 'bench', events: ['GateWaiting'], webhook: { url, format: 'Generic', secretFrom: { file: secretFile } } },
      });
      const watch = await streamLines(client.socketPath, `${API}/approvals?watch=1`, 'watch approvals', (raw, arrivedAt) => {
        const e = JSON.parse(raw) as { type: string; object: { metadata: { name: string }; status?: { phase?: string } } };
        const m = mark(e.object.metadata.name);
        if (e.type === 'ADDED') m.added ??= arrivedAt;
        if (e.object.status?.phase === 'Pending') m.pending ??= arrivedAt;
        progress.progress();
      });
      try {
        const total = opts.warmup + opts.approvals;
        for (let i = 0; i < total; i++) {
          const name = `gate-${i}`;
          await client.json('POST', `${API}/approvals`, {
            apiVersion: 'sidekicks.dev/v1alpha1',
            kind: 'Approval',
            metadata: { name },
            spec: { session: 'bench', workflow: 'bench', phase: `ship-${i}`, category: 'Gate', request: { summary: `Ship build ${i}?` } },
          });
          mark(name).created = process.hrtime.bigint();
          await progress.until(() => mark(name).notified !== undefined && mark(name).pending !== undefined, `the notification of ${name}`);
          // As `sidekick approve` sends it: a merge patch of spec.decision.
          const res = await exchange(
            http.request,
            { socketPath: client.socketPath, method: 'PATCH', path: `${API}/approvals/${name}?fieldManager=sidekick`, headers: { 'content-type': 'application/merge-patch+json' } },
            { spec: { decision: { verdict: 'Approved' } } },
          );
          if (res.status !== 200) throw new Error(`approve ${name}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
        }
      } finally {
        watch.destroy();
      }
      const status = (await client.json<{ status?: { delivered?: number; failed?: number; notified?: string[] } }>('GET', `${API}/notificationsinks/bench-hook`)).status;
      const measured = [...Array(opts.approvals).keys()].map((i) => marks.get(`gate-${opts.warmup + i}`)!);
      const since = (m: Marks, at: bigint | undefined) => Number(at! - m.created!) / 1e6;
      const notify = sorted(measured.map((m) => since(m, m.notified)));
      const pending = sorted(measured.map((m) => since(m, m.pending)));
      const added = sorted(measured.map((m) => since(m, m.added)));
      line('notify: create returned → signed POST at the receiver, p50', ms(percentile(notify, 50)));
      line('notify: p99', ms(percentile(notify, 99)));
      line('notify: max', ms(notify[notify.length - 1]!));
      line('baseline: create returned → watch event showing Pending, p50', ms(percentile(pending, 50)));
      line('baseline: p99', ms(percentile(pending, 99)));
      line('(watch ADDED event, p50 / p99)', `${ms(percentile(added, 50))} / ${ms(percentile(added, 99))}`);
      line('ratio notify / baseline, p50', ratio(percentile(notify, 50), percentile(pending, 50)));
      line('ratio notify / baseline, p99', ratio(percentile(notify, 99), percentile(pending, 99)));
      line('added by notifying (p50 difference)', ms(percentile(notify, 50) - percentile(pending, 50)));
      line(`p99 within ${TARGET_P99_MS} ms`, percentile(notify, 99) <= TARGET_P99_MS ? 'yes' : 'NO');
      line('sink status: delivered / failed / keys still held', `${status?.delivered ?? 0} / ${status?.failed ?? 0} / ${status?.notified?.length ?? 0}`);
      line('bad signatures at the receiver', String(badSignatures));
      if (badSignatures > 0 || (status?.delivered ?? 0) < opts.approvals + opts.warmup) process.exitCode = 1;
    });
  } finally {
    receiver.closeAllConnections();
    receiver.close();
    removeTempDirs();
  }
}

runMain(main);
