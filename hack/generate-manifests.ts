/**
 * Writes the CustomResourceDefinitions of every kind to manifests/<plural>.sidekicks.dev.yaml.
 * Usage: node dist/hack/generate-manifests.js [OUTPUT_DIR]   (default: <repo>/manifests)
 * Stale `*.sidekicks.dev.yaml` files of kinds that no longer exist are removed.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crdManifests } from '../resources/crd.js';
import { GROUP, scheme } from '../resources/index.js';

/** Finds the repository root: the nearest ancestor with the sidekicks package.json, else the working directory. */
function repoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'sidekicks') return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
}

/** Writes every manifest into outDir and returns the file names written and removed. */
export function generateManifests(outDir: string): { written: string[]; removed: string[] } {
  mkdirSync(outDir, { recursive: true });
  const files = crdManifests(scheme.all());
  const wanted = new Set(files.map((f) => f.file));
  const removed = readdirSync(outDir).filter((f) => f.endsWith(`.${GROUP}.yaml`) && !wanted.has(f));
  for (const f of removed) rmSync(join(outDir, f));
  for (const f of files) writeFileSync(join(outDir, f.file), f.content);
  return { written: files.map((f) => f.file), removed };
}

const self = fileURLToPath(import.meta.url);
if (process.argv[1] && resolve(process.argv[1]) === self) {
  const outDir = resolve(process.argv[2] ?? join(repoRoot(dirname(self)), 'manifests'));
  const { written, removed } = generateManifests(outDir);
  for (const f of removed) console.log(`removed ${join(outDir, f)}`);
  console.log(`wrote ${written.length} CustomResourceDefinitions to ${outDir}`);
}
