/**
 * `npm run demo-repo`: creates the demo repository at the path examples/hello/repomount.yaml names
 * (~/sidekick-demo), so `sidekick apply -f examples/hello/` has a repository to work in.
 * Idempotent: an existing demo repository there is left as it is; anything else there is an error.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDemoRepository, examplePath, isDemoRepository } from './demo-repository.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function main(): number {
  const path = process.argv[2] ?? examplePath(join(repoRoot, 'examples', 'hello', 'repomount.yaml'));
  if (existsSync(path)) {
    if (isDemoRepository(path)) {
      console.log(`✓ demo repository already at ${path}`);
      return 0;
    }
    if (readdirSync(path).length > 0) {
      console.error(`demo-repo: ${path} exists and is not the demo repository; move it away (or pass another path: npm run demo-repo -- /some/path)`);
      return 1;
    }
  }
  createDemoRepository(path);
  console.log(`✓ demo repository created at ${path} (branch main, 1 commit)`);
  return 0;
}

process.exitCode = main();
