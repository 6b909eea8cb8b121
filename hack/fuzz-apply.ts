/**
 * The manifest path of the API fuzzer: `sidekick apply -f FILE` run in-process (the real CLI
 * against the daemon's socket, as a user runs it) on a generated manifest, and its invariants:
 * exit 0 or 1 and never a stack trace; a refusal says in one line which field or document is
 * wrong; a refused single-document manifest changes nothing; an invalid manifest (a field of the
 * wrong type, an unknown field under the default strict validation, no objects) is refused.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../cli/run.js';
import type { FuzzRequest } from './fuzz-generators.js';
import type { Violation } from './fuzz-invariants.js';

export interface ApplyResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Writes the manifest next to the daemon's home and applies it with the CLI; `req.path` carries the extra flags. */
export async function applyManifest(home: string, req: FuzzRequest): Promise<ApplyResult> {
  const file = join(home, '..', 'manifest.yaml');
  writeFileSync(file, req.body ?? '');
  const [stdout, stderr] = [new PassThrough(), new PassThrough()];
  let [out, err] = ['', ''];
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const env = { ...process.env, SIDEKICK_HOME: home, SIDEKICK_SERVER: '', SIDEKICK_NAMESPACE: '' };
  const flags = req.path.split(' ').filter(Boolean);
  const code = await runCli(['apply', '-f', file, ...flags], { stdout, stderr, stdin: Readable.from([]), env, cwd: home });
  return { code, stdout: out, stderr: err };
}

/** Checks one `sidekick apply` against the invariants; `changed` says whether the store moved. */
export function checkApply(req: FuzzRequest, r: ApplyResult, changed: boolean): Violation[] {
  const v: Violation[] = [];
  const said = `${r.stderr}`.trim();
  if (r.code !== 0 && r.code !== 1) v.push({ invariant: 'apply exit code', detail: `exit ${r.code}: ${said.slice(0, 300)}` });
  if (/\n\s+at .+:\d+:\d+\)?/.test(said)) v.push({ invariant: 'apply printed a stack trace', detail: said.slice(0, 300) });
  if (r.code === 1) {
    const names = /\b(metadata|spec|status)(\.[\w\-[\]"]+)+|\b(apiVersion|kind|Kind|document|no objects|empty|yaml|YAML|line \d+)\b/.test(said) || req.names.some((n) => n && said.includes(n));
    if (!said) v.push({ invariant: 'apply refused without a word', detail: `exit 1, stdout: ${r.stdout.slice(0, 200)}` });
    else if (!names) v.push({ invariant: 'apply refusal does not name the field', detail: said.slice(0, 300) });
    if (changed && req.shape.includes('1 doc')) v.push({ invariant: 'refused apply changed the store', detail: said.slice(0, 300) });
  }
  if (req.expect?.kind === 'refused' && r.code === 0) v.push({ invariant: 'invalid manifest applied', detail: `${req.expect.why}: ${r.stdout.trim().slice(0, 200)}` });
  return v;
}
