/**
 * Cedar's wasm module, loaded on first use. Instantiating it costs some 20 MiB of memory, and a
 * single-user daemon whose owner needs no evaluation (the shipped policies alone) never uses it.
 * The Node build of the package is CommonJS, so it loads synchronously and decisions stay sync.
 */
import { createRequire } from 'node:module';
import type * as Cedar from '@cedar-policy/cedar-wasm/nodejs';

export type { Cedar };

let loaded: typeof Cedar | undefined;

export function cedar(): typeof Cedar {
  return (loaded ??= createRequire(import.meta.url)('@cedar-policy/cedar-wasm/nodejs') as typeof Cedar);
}
