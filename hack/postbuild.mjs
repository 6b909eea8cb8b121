// After tsc: marks the CLI entry point executable (tsc does not keep modes) and copies the assets
// tsc does not emit — the shipped Cedar policies — next to the modules that read them.
import { chmodSync, cpSync, existsSync } from 'node:fs';
const entry = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(entry)) chmodSync(entry, 0o755);
const policies = new URL('../api/auth/policies/', import.meta.url);
cpSync(policies, new URL('../dist/api/auth/policies/', import.meta.url), { recursive: true, filter: (src) => !/\.[^/]+$/.test(src) || src.endsWith('.cedar') });
