/**
 * Reads manifests for `apply`, `delete -f` and `diff -f`: files, directories (`-R` to recurse) and
 * stdin (`-`), multi-document YAML or JSON. A document that does not parse is reported with its
 * file and line — kubectl's `error parsing FILE: line N: ...` — and nothing from it is used, while
 * the other documents still are.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
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
      await parseInto(set, 'STDIN', await readStream(opts.stdin));
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
    for (const file of files) await parseInto(set, file === full ? p : file, await readFile(file, 'utf8'));
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

/** Parses one file's text into the set (exported for tests). */
export async function parseInto(set: ManifestSet, source: string, text: string): Promise<void> {
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
    if (obj.kind === 'List' && Array.isArray(obj.items)) {
      for (const item of obj.items as KubeObject[]) set.manifests.push({ source, object: normalize(item) });
    } else if (!obj.apiVersion || !obj.kind) {
      const missing = !obj.apiVersion ? 'apiVersion' : 'kind';
      set.errors.push(`error validating "${source}": error validating data: ${missing} not set`);
    } else set.manifests.push({ source, object: normalize(obj) });
  }
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
