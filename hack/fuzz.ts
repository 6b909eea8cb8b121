/**
 * `npm run fuzz -- [--cases N] [--seed S] [--no-shrink]`: the API fuzzer for long runs, against a
 * daemon on a throwaway home. Prints the seed (pass it back with --seed to replay), progress, and
 * every distinct finding with its shrunk request; exits 1 when there is any.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFuzzDaemon } from './fuzz-daemon.js';
import { formatReport, runFuzz } from './fuzz-runner.js';

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a value`);
  return value;
}

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name}: must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return n;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const cases = positive('--cases', flag(args, '--cases'), 10_000);
  const seed = positive('--seed', flag(args, '--seed'), Date.now() % 2 ** 31);
  // Compiled to dist/hack/fuzz.js: the checkout (with examples/) is two levels up.
  const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  console.log(`fuzz: seed ${seed}, ${cases} cases (replay: npm run fuzz -- --cases ${cases} --seed ${seed})`);
  const daemon = await startFuzzDaemon();
  try {
    const report = await runFuzz({ target: daemon, repoRoot, cases, seed, shrink: !args.includes('--no-shrink'), progress: (l) => console.log(l) });
    console.log(formatReport(report));
    return report.findings.length === 0 ? 0 : 1;
  } finally {
    await daemon.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`fuzz: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
