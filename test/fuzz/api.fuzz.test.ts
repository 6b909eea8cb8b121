/**
 * The API fuzzer in CI: 2,000 requests drawn by fast-check (valid objects of every kind and their
 * mutations, patches, YAML, manifests through `sidekick apply -f`, garbage queries and paths)
 * against the real daemon over its socket.
 * Invariants: no 5xx, no hang, the daemon stays up, every refusal is a Status naming the field,
 * a refused request changes nothing. Set FUZZ_SEED to replay a run; the seed is printed.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { resolve } from 'node:path';
import { startFuzzDaemon, type FuzzDaemon } from '../../hack/fuzz-daemon.js';
import { formatReport, runFuzz } from '../../hack/fuzz-runner.js';

const repoRoot = resolve(import.meta.dirname, '..', '..');
const CASES = Number(process.env.FUZZ_CASES ?? 2000);
// A fixed seed in CI: the same 2,000 cases each run, so a red run means a change broke something,
// never that the dice found an old bug. Long runs (npm run fuzz) pick fresh seeds to find new ones.
const seed = Number(process.env.FUZZ_SEED ?? 20261205);

describe('API fuzzing against a real daemon', () => {
  let daemon: FuzzDaemon;
  beforeAll(async () => {
    daemon = await startFuzzDaemon();
  });
  afterAll(async () => {
    await daemon.stop();
  });

  it(`keeps every invariant for ${CASES} generated requests (seed printed on failure)`, async () => {
    const report = await runFuzz({ target: daemon, repoRoot, cases: CASES, seed, shrinkBudget: 60 });
    const text = formatReport(report);
    process.stdout.write(`${text.split('\n')[0]}\n`);
    expect(report.cases).toBeGreaterThanOrEqual(CASES);
    if (report.findings.length > 0) throw new Error(`${text}\nreplay: FUZZ_SEED=${seed} (or npm run fuzz -- --cases ${CASES} --seed ${seed})`);
  }, 300_000);
});
