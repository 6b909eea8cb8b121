/**
 * Reads manifests for `apply`, `delete -f` and `diff -f`: files, directories (`-R` to recurse) and
 * stdin (`-`), multi-document YAML or JSON. A document that does not parse is reported with its
 * file and line — kubectl's `error parsing FILE: line N: ...` — and nothing from it is used, while
 * the other documents still are.
 *
 * A RepoMount's relative `spec.path` is resolved here, against the directory of its manifest file
 * (stdin: the working directory): the one place every `-f` reader goes through.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { KubeObject } from '../../resources/meta.js';

/** One object read from a manifest, with where it came from. */
export interface Manifest {
  source: string;
  object: KubeObject;
}

/** What was read: the objects, and one message per document that could not be used. */
export interface ManifestSet {
  manifests: Manifest[];
  errors: string[];
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Reads every `-f` argument in order. */
export async function readManifests(paths: string[], opts: { cwd: string; recursive?: boolean; stdin?: Readable }): Promise<ManifestSet> {
  const set: ManifestSet = { manifests: [], errors: [] };
  for (const p of paths) {
    if (p === '-') {
      if (!opts.stdin) throw new Error('no standard input to read manifests from');
      await parseInto(set, 'STDIN', await readStream(opts.stdin), opts.cwd);
      continue;
    }
    const full = resolve(opts.cwd, p);
    let info;
    try {
      info = await stat(full);
    } catch {
      throw new Error(`the path "${p}" does not exist`);
    }
    const files = info.isDirectory() ? await listManifestFiles(full, opts.recursive ?? false) : [full];
    for (const file of files) await parseInto(set, file === full ? p : file, await readFile(file, 'utf8'), dirname(file));
  }
  return set;
}

/** Manifest files of a directory, sorted by name like kubectl walks them. */
export async function listManifestFiles(dir: string, recursive: boolean): Promise<string[]> {
  const out: string[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const full = join(dir, e.name);
    if (e.isDirectory()) {
      if (recursive) out.push(...(await listManifestFiles(full, true)));
    } else if (MANIFEST_EXTENSIONS.has(extname(e.name).toLowerCase())) out.push(full);
  }
  return out;
}

/**
 * Parses one file's text into the set (exported for tests); `baseDir` is what a relative
 * RepoMount path is relative to (the file's directory).
 */
export async function parseInto(set: ManifestSet, source: string, text: string, baseDir?: string): Promise<void> {
  const { parseAllDocuments } = await import('yaml');
  for (const doc of parseAllDocuments(text)) {
    const error = doc.errors[0];
    if (error) {
      const line = error.linePos?.[0]?.line;
      const message = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      set.errors.push(`error parsing ${source}: ${line !== undefined ? `line ${line}: ` : ''}${message}`);
      continue;
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      set.errors.push(`error parsing ${source}: line ${lineOf(text, doc.range?.[0] ?? 0)}: a manifest must be a mapping with apiVersion and kind`);
      continue;
    }
    const obj = value as KubeObject;
    const items = obj.kind === 'List' && Array.isArray(obj.items) ? (obj.items as unknown[]) : [obj];
    for (const item of items) {
      const problem = envelopeProblem(item);
      if (problem) set.errors.push(`error validating "${source}": error validating data: ${problem}`);
      else set.manifests.push({ source, object: withMountPathResolved(normalize(item as KubeObject), baseDir) });
    }
  }
}

/**
 * What keeps a document from being an object to send, or undefined: apiVersion and kind must be
 * set and be strings, metadata (when given) a mapping and its name a string — everything after
 * this (kind lookup, namespaces, paths) relies on those types.
 */
function envelopeProblem(item: unknown): string | undefined {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return 'a manifest must be a mapping with apiVersion and kind';
  const { apiVersion, kind, metadata } = item as Record<string, unknown>;
  for (const [field, v] of [['apiVersion', apiVersion], ['kind', kind]] as const) {
    if (v === undefined || v === null || v === '') return `${field} not set`;
    if (typeof v !== 'string') return `${field} must be a string, got ${JSON.stringify(v)}`;
  }
  if (metadata === undefined || metadata === null) return undefined;
  if (typeof metadata !== 'object' || Array.isArray(metadata)) return `metadata must be a mapping, got ${JSON.stringify(metadata)}`;
  for (const field of ['name', 'namespace', 'generateName'] as const) {
    const v = (metadata as Record<string, unknown>)[field];
    if (v !== undefined && v !== null && typeof v !== 'string') return `metadata.${field} must be a string, got ${JSON.stringify(v)}`;
  }
  // Apply adds its own annotation and reads the labels: a string there would be spread into a
  // map of its characters and sent as valid, so the maps are checked here, before anything reads them.
  for (const field of ['labels', 'annotations'] as const) {
    const v = (metadata as Record<string, unknown>)[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'object' || Array.isArray(v)) return `metadata.${field} must be a mapping of strings, got ${JSON.stringify(v)}`;
    for (const [key, value] of Object.entries(v)) {
      if (typeof value !== 'string') return `metadata.${field}[${key}] must be a string, got ${JSON.stringify(value)}`;
    }
  }
  return undefined;
}

/**
 * A RepoMount whose `spec.path` is relative, with the path made absolute against `baseDir` (or,
 * for `~/…`, against the user's home directory, as a shell would: the examples live there).
 * Manifests committed next to the code (`sidekick init` writes `path: ..` into `.sidekick/`) must
 * not carry an absolute path, which would only be right on the machine that wrote them; the
 * server cannot resolve a relative one (it does not know where the file was), so the CLI does,
 * before anything is sent — for apply, diff and delete alike. The server still refuses a relative
 * path, so a kubectl user gets a clear error instead of a mount on the daemon's working directory.
 */
function withMountPathResolved(obj: KubeObject, baseDir: string | undefined): KubeObject {
  const spec = obj.spec as Record<string, unknown> | undefined;
  if (baseDir === undefined || obj.kind !== 'RepoMount' || !obj.apiVersion.startsWith('sidekicks.dev/')) return obj;
  if (typeof spec !== 'object' || spec === null || typeof spec.path !== 'string' || spec.path === '' || isAbsolute(spec.path)) return obj;
  return { ...obj, spec: { ...spec, path: expandMountPath(spec.path, baseDir) } };
}

/** A relative mount path made absolute: `~` and `~/…` against the home directory, the rest against `baseDir`. */
export function expandMountPath(path: string, baseDir: string): string {
  if (path === '~' || path.startsWith('~/')) return join(homedir(), path.slice(1));
  return resolve(baseDir, path);
}

function normalize(obj: KubeObject): KubeObject {
  return { ...obj, metadata: { ...(obj.metadata ?? {}) } };
}

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

async function readStream(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
