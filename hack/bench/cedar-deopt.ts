/**
 * The V8 abort behind docs/decisions/0006, in isolation: a TurboFan-optimized function calls into
 * Cedar's wasm, and while it is inside that call (Cedar's glue calls back into JS to serialize
 * the request) something invalidates the function's optimized code, so V8 must deoptimize it
 * lazily on return. With the JS→Wasm call inlined, Node 20's V8 (11.3) aborts the process:
 * `Fatal error: unreachable code` in Deoptimizer::DoComputeBuiltinContinuation — the stack the
 * daemon died with under non-owner load. The daemon's loader (api/auth/cedar.ts) turns that
 * inlining off; this script shows the difference.
 *
 * Usage: node dist/hack/bench/cedar-deopt.js [--raw]
 *   (default: Cedar loaded as the daemon loads it; --raw: loaded directly, without the workaround)
 * Prints `alive <n>` and exits 0, or dies with SIGTRAP / SIGABRT.
 */
import { createRequire } from 'node:module';
import type * as CedarModule from '@cedar-policy/cedar-wasm/nodejs';
import { cedar } from '../../api/auth/cedar.js';

const raw = process.argv.includes('--raw');
const c: typeof CedarModule = raw ? (createRequire(import.meta.url)('@cedar-policy/cedar-wasm/nodejs') as typeof CedarModule) : cedar();

const parsed = c.preparsePolicySet('deopt-repro', { staticPolicies: 'permit(principal, action, resource);' });
if (parsed.type !== 'success') throw new Error(`cedar: ${parsed.errors.map((e) => e.message).join('; ')}`);

// Assigned in the constructor, not a class field: with define semantics the shape (and what the
// optimized code depends on) differs, and the abort no longer reproduces.
class Point {
  declare x: number;
  constructor(x: number) {
    this.x = x;
  }
}
const points = [new Point(1), new Point(2)];
let invalidate = false;
// Serialized by Cedar's glue (JSON.stringify) during the wasm call: once armed, it changes the
// shape `decide` was optimized for, which deoptimizes `decide` while it is still inside the call.
const context = {
  toJSON(): Record<string, never> {
    if (invalidate) {
      const grown = new Point(3) as Point & { y?: number };
      grown.y = 1;
      delete (points[0] as { x?: number }).x;
      points[0]!.x = 5;
    }
    return {};
  },
};

function decide(p: Point, i: number): number {
  const answer = c.statefulIsAuthorized({
    principal: { type: 'User', id: `u${i & 7}` },
    action: { type: 'Action', id: 'get' },
    resource: { type: 'Run', id: 'r' },
    context: context as unknown as CedarModule.Context,
    entities: [],
    preparsedPolicySetId: 'deopt-repro',
  });
  return p.x + (answer.type === 'success' ? 1 : 0);
}

let sum = 0;
for (let i = 0; i < 200_000; i++) {
  sum += decide(points[i & 1]!, i);
  if (i === 150_000) invalidate = true;
}
console.log(`alive ${sum}`);
