// After tsc: marks the CLI entry point executable (tsc does not keep modes), copies the assets
// tsc does not emit — the shipped Cedar policies — next to the modules that read them, and stamps
// dist/ as built (hack/ensure-build.mjs compares the sources against that stamp).
import { chmodSync, cpSync, existsSync, writeFileSync } from 'node:fs';
const entry = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(entry)) chmodSync(entry, 0o755);
const policies = new URL('../api/auth/policies/', import.meta.url);
cpSync(policies, new URL('../dist/api/auth/policies/', import.meta.url), { recursive: true, filter: (src) => !/\.[^/]+$/.test(src) || src.endsWith('.cedar') });
writeFileSync(new URL('../dist/.build-stamp', import.meta.url), '');
