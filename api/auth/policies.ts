/**
 * Loading the Cedar policy set: the policies shipped with Sidekicks (policies/*.cedar next to this
 * module, copied into dist by the build) plus the user's `$SIDEKICK_HOME/policies/*.cedar`. Every
 * file must parse and every policy must validate against the schema; anything else is a
 * {@link PolicyError} naming the file — the daemon then refuses to start (fail closed).
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cedar, type Cedar } from './cedar.js';

/** The directory of the shipped policies. */
export const SHIPPED_POLICIES_DIR = fileURLToPath(new URL('./policies/', import.meta.url));

/** A policy file that does not parse or validate, or two policies with one id. */
export class PolicyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyError';
  }
}

/** One policy file's text. */
export interface PolicySource {
  file: string;
  text: string;
}

/** The policies by id, and the file each came from. */
export interface CompiledPolicies {
  policies: Record<string, string>;
  fileOf: Record<string, string>;
}

async function cedarFiles(dir: string, required: boolean): Promise<PolicySource[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new PolicyError(`cannot read the policy directory ${dir}: ${(err as Error).message}`);
  }
  const files = names.filter((n) => n.endsWith('.cedar')).sort().map((n) => join(dir, n));
  return Promise.all(files.map(async (file) => ({ file, text: await readFile(file, 'utf8') })));
}

/** The shipped policy files, then the user's (sorted by name); a missing user directory is fine. */
export async function readPolicySources(userDir: string | undefined, shippedDir = SHIPPED_POLICIES_DIR): Promise<PolicySource[]> {
  const shipped = await cedarFiles(shippedDir, true);
  if (shipped.length === 0) throw new PolicyError(`no shipped policies in ${shippedDir} (is the build incomplete?)`);
  return [...shipped, ...(userDir ? await cedarFiles(userDir, false) : [])];
}

/** `line:column` of a byte offset in `text` (Cedar reports byte offsets). */
function position(text: string, offset: number): string {
  const before = Buffer.from(text, 'utf8').subarray(0, offset).toString('utf8');
  const lines = before.split('\n');
  return `${lines.length}:${lines[lines.length - 1]!.length + 1}`;
}

function describeErrors(errors: Cedar.DetailedError[], text?: string): string {
  return errors
    .map((e) => {
      const at = text !== undefined && e.sourceLocations?.[0] ? `${position(text, e.sourceLocations[0].start)}: ` : '';
      const label = e.sourceLocations?.[0]?.label ? ` (${e.sourceLocations[0].label})` : '';
      return `${at}${e.message}${label}${e.help ? `; ${e.help}` : ''}`;
    })
    .join('; ');
}

const ID_ANNOTATION = /@id\s*\(\s*"((?:[^"\\]|\\.)*)"\s*\)/;

/**
 * Splits every file into policies keyed by id (the `@id` annotation, else `<file>#<n>`), checks
 * that each parses, and validates the whole set against `schema` in strict mode.
 */
export function compilePolicies(sources: PolicySource[], schema: string): CompiledPolicies {
  const policies: Record<string, string> = {};
  const fileOf: Record<string, string> = {};
  for (const { file, text } of sources) {
    const parts = cedar().policySetTextToParts(text);
    if (parts.type === 'failure') throw new PolicyError(`policy file ${file}: ${describeErrors(parts.errors, text)}`);
    if (parts.policy_templates.length > 0) throw new PolicyError(`policy file ${file}: templates are not supported; write static policies`);
    parts.policies.forEach((policy, i) => {
      const id = ID_ANNOTATION.exec(policy)?.[1] ?? `${basename(file)}#${i}`;
      if (policies[id] !== undefined) throw new PolicyError(`policy file ${file}: policy id "${id}" is already used in ${fileOf[id]}`);
      policies[id] = policy;
      fileOf[id] = file;
    });
  }
  const answer = cedar().validate({ schema, policies: { staticPolicies: policies }, validationSettings: { mode: 'strict' } });
  if (answer.type === 'failure') throw new PolicyError(`policies do not load: ${describeErrors(answer.errors)}`);
  if (answer.validationErrors.length > 0) {
    const first = answer.validationErrors[0]!;
    const more = answer.validationErrors.length > 1 ? ` (and ${answer.validationErrors.length - 1} more)` : '';
    throw new PolicyError(`policy file ${fileOf[first.policyId] ?? '?'}: policy "${first.policyId}" is invalid: ${describeErrors([first.error])}${more}`);
  }
  return { policies, fileOf };
}
