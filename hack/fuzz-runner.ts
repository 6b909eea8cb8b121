/**
 * The API fuzzer's loop: fast-check draws requests from a seed, each is sent to a running daemon
 * and its answer checked against the invariants, with the store's resourceVersion read before and
 * after so that a refused request which wrote anything is caught. The run goes on after a
 * violation and gathers the distinct findings (grouped by invariant and what the answer said);
 * each is then replayed from its seed and path and shrunk to a smallest request that still shows it.
 * The requests of earlier findings (fuzz-corpus.ts) go first in every run, whatever the seed.
 */
import fc from 'fast-check';
import { exchange, type Answer } from './fuzz-http.js';
import { requestArbitrary, type FuzzRequest } from './fuzz-generators.js';
import { checkAnswer, type Violation } from './fuzz-invariants.js';
import { applyManifest, checkApply, type ApplyResult } from './fuzz-apply.js';
import { regressions } from './fuzz-corpus.js';

/** The daemon under test. */
export interface FuzzTarget {
  /** The daemon's home, for the CLI (`sidekick apply`). */
  home: string;
  socketPath: string;
  /** The owner's bearer token, sent with every request (the socket asks for proof of identity). */
  token: string;
  /** The store's latest resourceVersion: any write moves it. */
  revision(): Promise<string>;
  /**
   * How many of the writes after `before` up to `after` were Events (the API server records a
   * create's or delete's Event in the background, so it may land while the next request is in
   * flight). Without it every move of the revision counts.
   */
  eventWritesBetween?(before: string, after: string): Promise<number>;
}

/** True when something other than a background Event was written between two revisions. */
async function storeMoved(target: FuzzTarget, before: string, after: string): Promise<boolean> {
  if (after === before) return false;
  if (!target.eventWritesBetween) return true;
  return (await target.eventWritesBetween(before, after)) < Number(after) - Number(before);
}

/** One distinct way the daemon broke an invariant, with the first request that showed it. */
export interface Finding {
  signature: string;
  invariant: string;
  detail: string;
  /** How many cases showed it. */
  count: number;
  /** The run index (fast-check path) of the first case that showed it. */
  index: number;
  request: FuzzRequest;
  status: number;
  /** The smallest request found that still shows it (after shrinking), when shrinking found one. */
  shrunk?: { request: FuzzRequest; status: number; detail: string };
}

export interface FuzzReport {
  seed: number;
  cases: number;
  ms: number;
  findings: Finding[];
}

export interface FuzzOptions {
  target: FuzzTarget;
  repoRoot: string;
  cases: number;
  seed: number;
  /** Shrink each finding (default true); a replay budget of `shrinkBudget` requests each. */
  shrink?: boolean;
  shrinkBudget?: number;
  progress?: (line: string) => void;
}

interface Outcome {
  answer?: Answer;
  violations: Violation[];
}

/** Messages differ by the names and numbers in them; a finding is the shape of what was said. */
function normalize(text: string): string {
  return text
    .replace(/"[^"]*"/g, '"*"')
    .replace(/\d+/g, 'N')
    .slice(0, 100);
}

function signatureOf(v: Violation, req: FuzzRequest, answer: Answer | undefined): string {
  // A finding is grouped by what the daemon said; an acceptance by why it should have been refused.
  // An invalid query accepted is grouped by what was wrong with it; an invalid object by where it
  // was sent (`PUT status`, `POST participants`), whichever of its fields was wrong.
  const accepted = v.invariant === 'invalid request accepted' || v.invariant === 'invalid manifest applied';
  const why = req.expect?.kind === 'refused' ? req.expect.why : '';
  const said = !accepted ? normalize(v.detail) : req.method === 'GET' ? why : req.shape.split(' ').slice(0, 2).join(' ');
  return `${v.invariant} | ${answer?.status ?? 'no answer'} | ${said}`;
}

/**
 * Counts timers asked for a delay past 2^31-1 ms, which Node fires after 1 ms instead (a requeue
 * loop). The global timer functions are wrapped for the run: Node's own TimeoutOverflowWarning does
 * not reach a jest sandbox's `process`.
 */
function watchTimerOverflows(): { take(): number; stop(): void } {
  const MAX_DELAY = 2 ** 31 - 1;
  let count = 0;
  const original = { setTimeout: globalThis.setTimeout, setInterval: globalThis.setInterval };
  const wrap = <F extends (fn: () => void, ms?: number, ...rest: unknown[]) => unknown>(f: F): F =>
    ((fn: () => void, ms?: number, ...rest: unknown[]) => {
      if (typeof ms === 'number' && ms > MAX_DELAY) count++;
      return f(fn, ms, ...rest);
    }) as F;
  globalThis.setTimeout = Object.assign(wrap(original.setTimeout as never), original.setTimeout);
  globalThis.setInterval = Object.assign(wrap(original.setInterval as never), original.setInterval);
  return {
    take: () => {
      const n = count;
      count = 0;
      return n;
    },
    stop: () => Object.assign(globalThis, original),
  };
}

/** Sends one request and checks the answer. */
async function checkOne(target: FuzzTarget, req: FuzzRequest, overflows: { take(): number }): Promise<Outcome> {
  const before = await target.revision();
  if (req.method === 'APPLY') return checkOneApply(target, req, before);
  const headers: Record<string, string> = { authorization: `Bearer ${target.token}`, ...(req.contentType ? { 'content-type': req.contentType } : {}) };
  let answer: Answer | undefined;
  const violations: Violation[] = [];
  try {
    answer = await exchange(target.socketPath, { method: req.method, path: req.path, headers, body: req.body });
  } catch (err) {
    violations.push({ invariant: 'no answer', detail: (err as Error).message });
  }
  let after: string;
  try {
    after = await target.revision();
    const health = await exchange(target.socketPath, { method: 'GET', path: '/healthz', headers: { authorization: `Bearer ${target.token}` } }, 5_000);
    if (health.status !== 200) throw new Error(`/healthz answered ${health.status}`);
  } catch (err) {
    return { answer, violations: [...violations, { invariant: 'daemon down', detail: (err as Error).message }] };
  }
  if (answer) violations.push(...checkAnswer(req, answer, await storeMoved(target, before, after)));
  const overflowed = overflows.take();
  if (overflowed > 0) violations.push({ invariant: 'timer overflow', detail: `${overflowed} timer(s) asked for more than 2^31-1 ms, which Node fires after 1 ms` });
  return { answer, violations };
}

/** Applies one generated manifest with the CLI and checks the outcome. */
async function checkOneApply(target: FuzzTarget, req: FuzzRequest, before: string): Promise<Outcome> {
  let result: ApplyResult;
  try {
    result = await applyManifest(target.home, req);
  } catch (err) {
    return { violations: [{ invariant: 'apply threw', detail: (err as Error).stack?.slice(0, 400) ?? String(err) }] };
  }
  const after = await target.revision();
  const answer: Answer = { status: result.code === 0 ? 200 : 400, headers: {}, text: result.stderr, streamed: false };
  return { answer, violations: checkApply(req, result, await storeMoved(target, before, after)) };
}

/** A request as it is printed in a finding: bodies past a few hundred characters are cut. */
export function describeRequest(req: FuzzRequest): string {
  const body = req.body === undefined ? '' : req.body.length > 400 ? ` body(${req.body.length} chars): ${req.body.slice(0, 200)}…${req.body.slice(-40)}` : ` body: ${req.body}`;
  return `${req.method} ${req.path.length > 300 ? req.path.slice(0, 300) + '…' : req.path}${req.contentType ? ` [${req.contentType}]` : ''}${body}`;
}

/** Runs `cases` requests from `seed` and returns the distinct findings. */
export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const arb = requestArbitrary(opts.repoRoot);
  const overflows = watchTimerOverflows();
  const findings = new Map<string, Finding>();
  let index = 0;
  try {
    await fc.assert(
      fc.asyncProperty(arb, async (req) => {
        const i = index++;
        const { answer, violations } = await checkOne(opts.target, req, overflows);
        for (const v of violations) {
          const signature = signatureOf(v, req, answer);
          const known = findings.get(signature);
          if (known) known.count++;
          else findings.set(signature, { signature, invariant: v.invariant, detail: v.detail, count: 1, index: i, request: req, status: answer?.status ?? 0 });
        }
        if (opts.progress && (i + 1) % 1000 === 0) opts.progress(`fuzz: ${i + 1}/${opts.cases} cases, ${findings.size} distinct findings`);
        return true;
      }),
      // Every earlier finding first, whatever the seed draws.
      { seed: opts.seed, numRuns: opts.cases, examples: regressions.map((r) => [r] as [FuzzRequest]) },
    );
    if (opts.shrink !== false) {
      for (const f of findings.values()) f.shrunk = await shrink(opts, arb, f, overflows);
    }
  } finally {
    overflows.stop();
  }
  return { seed: opts.seed, cases: index, ms: Date.now() - started, findings: [...findings.values()] };
}

/** Replays a finding's case from its seed and path and lets fast-check shrink it while the same finding shows. */
async function shrink(opts: FuzzOptions, arb: fc.Arbitrary<FuzzRequest>, f: Finding, overflows: { take(): number }): Promise<Finding['shrunk']> {
  let budget = opts.shrinkBudget ?? 150;
  let last: Finding['shrunk'];
  const result = await fc.check(
    fc.asyncProperty(arb, async (req) => {
      if (budget-- <= 0) return true;
      const { answer, violations } = await checkOne(opts.target, req, overflows);
      const same = violations.find((v) => v.invariant === f.invariant && signatureOf(v, req, answer) === f.signature);
      if (same) last = { request: req, status: answer?.status ?? 0, detail: same.detail };
      return !same;
    }),
    { seed: opts.seed, path: String(f.index), numRuns: 1 },
  );
  return result.failed ? last : undefined;
}

/** The findings as text: the seed to replay, and per finding the request, the answer and what was expected. */
export function formatReport(r: FuzzReport): string {
  const lines = [`fuzz: ${r.cases} cases in ${(r.ms / 1000).toFixed(1)} s, seed ${r.seed}: ${r.findings.length} distinct findings`];
  for (const f of r.findings) {
    const shown = f.shrunk ?? { request: f.request, status: f.status, detail: f.detail };
    lines.push(
      `- ${f.invariant} (${f.count} cases; first at path ${f.index})`,
      `    request:  ${describeRequest(shown.request)}`,
      `    answer:   ${shown.detail}`,
      `    shape:    ${shown.request.shape}`,
    );
  }
  return lines.join('\n');
}
