// Keeps dist/ current for the suites that run the compiled code (the e2e, kubectl and fault suites,
// the CLI tests, the driver host every daemon spawns). It is jest's globalSetup, so `npx jest
// test/e2e/...` after an edit runs the edit, not the last `npm run build`; `node
// hack/ensure-build.mjs` does the same by hand.
//
// Fresh means: nothing the build reads (a source under tsconfig.build.json's folders, a Cedar
// policy, a tsconfig, this script or postbuild.mjs) and no folder among them (a file added, moved
// or removed changes its folder) is newer than dist/.build-stamp, which postbuild writes at the
// end of every successful build (`npm run build` too). A failing tsc fails the test run, as the
// build before `npm test` always did.
// The check is a walk of stats (milliseconds); only a stale dist pays for `tsc` (incremental) and
// postbuild. Before compiling, dist files whose source is gone are removed, so a moved module can
// never be run from its old place.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const stamp = join(dist, '.build-stamp');

/** The top-level folders tsconfig.build.json compiles (`"resources/**\/*.ts"` → `resources`). */
function sourceFolders() {
  const config = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8'));
  return [...new Set(config.include.map((pattern) => pattern.split('/')[0]))];
}

/** The newest modification time (ms) among what the build reads, and the path that has it. */
export function newestInput() {
  let newest = { mtimeMs: 0, path: '' };
  const consider = (path) => {
    const { mtimeMs } = statSync(path);
    if (mtimeMs > newest.mtimeMs) newest = { mtimeMs, path };
  };
  const walk = (dir) => {
    consider(dir);
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if ((entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) || entry.name.endsWith('.cedar')) consider(path);
    }
  };
  for (const folder of sourceFolders()) if (existsSync(join(root, folder))) walk(join(root, folder));
  for (const file of ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'hack/postbuild.mjs', 'hack/ensure-build.mjs']) consider(join(root, file));
  return newest;
}

/** Whether dist/ is older than something the build reads; `why` names it. */
export function staleness() {
  if (!existsSync(stamp)) return { stale: true, why: 'dist/ has not been built by this script yet' };
  const built = statSync(stamp).mtimeMs;
  const newest = newestInput();
  return newest.mtimeMs > built ? { stale: true, why: `${relative(root, newest.path)} is newer than the build` } : { stale: false };
}

/** Removes compiled files (`x.js`, `x.js.map`, `x.d.ts`) of dist/ whose `x.ts` no longer exists, and folders left empty. */
function pruneOrphans(dir = dist) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      pruneOrphans(path);
      if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
      continue;
    }
    const base = /^(.*)\.(js|js\.map|d\.ts)$/.exec(entry.name)?.[1];
    if (base === undefined) continue;
    if (!existsSync(join(root, relative(dist, dir), `${base}.ts`))) rmSync(path);
  }
}

/** Builds dist/ (incremental tsc, then postbuild) unless it is fresh; throws when the build fails. */
export function ensureBuild({ log = (line) => process.stderr.write(`${line}\n`) } = {}) {
  const { stale, why } = staleness();
  if (!stale) return false;
  // Stamped with the time the build started: an edit made while it compiles counts as newer.
  const startedAt = new Date();
  log(`Rebuilding dist/ (${why}) …`);
  pruneOrphans();
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const compiled = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  if (compiled.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed (exit ${compiled.status}):\n${compiled.stdout}${compiled.stderr}`);
  const post = spawnSync(process.execPath, [join(root, 'hack', 'postbuild.mjs')], { cwd: root, encoding: 'utf8' });
  if (post.status !== 0) throw new Error(`hack/postbuild.mjs failed (exit ${post.status}):\n${post.stdout}${post.stderr}`);
  utimesSync(stamp, startedAt, startedAt);
  return true;
}

/** jest's globalSetup. */
export default function globalSetup() {
  ensureBuild();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) ensureBuild({ log: console.log });
