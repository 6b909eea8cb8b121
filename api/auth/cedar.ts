/**
 * Cedar's wasm module, loaded on first use. Instantiating it costs some 20 MiB of memory, and a
 * single-user daemon whose owner needs no evaluation (the shipped policies alone) never uses it.
 * The Node build of the package is CommonJS, so it loads synchronously and decisions stay sync.
 */
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import type * as Cedar from '@cedar-policy/cedar-wasm/nodejs';

export type { Cedar };

/**
 * WARNING: Node 20's V8 (11.3) can abort the whole process in its deoptimizer (`unreachable
 * code` in Deoptimizer::DoComputeBuiltinContinuation) when TurboFan has inlined a JS→Wasm call —
 * reached under sustained non-owner API load, where every request calls into Cedar
 * (docs/decisions/0006). Turning that one inlining off keeps every other optimization; a call into
 * Cedar then goes through the regular JS-to-Wasm wrapper, nanoseconds against a ~80 µs decision.
 * Set before the module loads, so no function calling into it is compiled with the inlining.
 */
export const V8_WORKAROUND = '--no-turbo-inline-js-wasm-calls';

let loaded: typeof Cedar | undefined;

export function cedar(): typeof Cedar {
  if (!loaded) {
    setFlagsFromString(V8_WORKAROUND);
    loaded = createRequire(import.meta.url)('@cedar-policy/cedar-wasm/nodejs') as typeof Cedar;
  }
  return loaded;
}
