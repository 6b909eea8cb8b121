/**
 * What every answer of the daemon to a fuzzed request must satisfy: no 5xx and no hang; every
 * refusal a Kubernetes `Status` that names the field, parameter or limit; a refused (or dry-run)
 * request changes nothing; and the generator's oracle, where it knows the answer (an invalid
 * object refused, a watch streamed, an unknown field warned about).
 */
import type { Answer } from './fuzz-http.js';
import type { FuzzRequest } from './fuzz-generators.js';

export interface Violation {
  /** A short stable name of the broken invariant, for grouping findings. */
  invariant: string;
  detail: string;
}

interface StatusBody {
  kind?: unknown;
  status?: unknown;
  code?: unknown;
  reason?: unknown;
  message?: unknown;
  details?: { name?: unknown; kind?: unknown; causes?: { field?: unknown; message?: unknown }[] };
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The text a refusal says, message and causes together. */
function refusalText(s: StatusBody): string {
  const causes = Array.isArray(s.details?.causes) ? s.details.causes.map((c) => `${String(c.field ?? '')} ${String(c.message ?? '')}`) : [];
  return [String(s.message ?? ''), ...causes].join('\n');
}

/** True when a refusal names what was wrong: a cause with a field, a field path, or a name from the request. */
function namesTheProblem(s: StatusBody, req: FuzzRequest): boolean {
  if (Array.isArray(s.details?.causes) && s.details.causes.some((c) => typeof c.field === 'string' && c.field !== '')) return true;
  const text = refusalText(s);
  if (/\b(metadata|spec|status)(\.[\w\-[\]"]+)+/.test(text)) return true;
  // The envelope's own fields, as kube-apiserver names them ("Object 'Kind' is missing").
  if (/\b(apiVersion|API version|Kind|kind)\b/.test(text)) return true;
  return req.names.some((n) => n.length > 0 && text.includes(n));
}

/** Refusals whose reason is about the target, not a field: they must name the target or the method. */
const TARGET_REASONS = new Set(['NotFound', 'AlreadyExists', 'Conflict', 'MethodNotAllowed', 'Gone', 'Expired', 'Forbidden', 'NotAcceptable']);

/** Checks one answer against the invariants; `changed` says whether the store moved across the request. */
export function checkAnswer(req: FuzzRequest, answer: Answer, changed: boolean): Violation[] {
  const v: Violation[] = [];
  const brief = answer.text.slice(0, 300);
  if (answer.status >= 500) v.push({ invariant: '5xx', detail: `${answer.status}: ${brief}` });
  const refused = answer.status >= 400;
  if (refused) {
    const s = parse(answer.text) as StatusBody | undefined;
    if (req.method === 'HEAD') {
      // A HEAD answer has no body to judge.
    } else if (!s || s.kind !== 'Status' || s.status !== 'Failure' || s.code !== answer.status || typeof s.reason !== 'string' || typeof s.message !== 'string' || s.message === '') {
      v.push({ invariant: 'refusal is not a Status', detail: `${answer.status}: ${brief}` });
    } else if (answer.status < 500 && !TARGET_REASONS.has(s.reason) && !namesTheProblem(s, req)) {
      v.push({ invariant: 'refusal does not name the field', detail: `${answer.status} ${s.reason}: ${String(s.message).slice(0, 300)}` });
    }
    if (changed) v.push({ invariant: 'refused request changed the store', detail: `${answer.status}: ${brief}` });
  } else if (changed && req.dryRun) {
    v.push({ invariant: 'dry run changed the store', detail: `${answer.status}` });
  }
  const oracle = req.expect;
  if (!oracle || answer.status >= 500) return v;
  switch (oracle.kind) {
    case 'refused':
      if (!refused) v.push({ invariant: 'invalid request accepted', detail: `${answer.status} for a request that must be refused (${oracle.why}): ${brief}` });
      break;
    case 'watch':
      if (answer.status === 200 && !answer.streamed && !/^\s*\{"type":/.test(answer.text)) v.push({ invariant: 'watch answered with a list', detail: brief });
      break;
    case 'list':
      if (answer.status === 200 && (answer.streamed || /^\s*\{"type":/.test(answer.text))) v.push({ invariant: 'list answered with a watch', detail: brief });
      break;
    case 'warn-unknown': {
      const warnings = ([] as string[]).concat(answer.headers.warning ?? []).join('\n');
      const missing = oracle.fields.filter((f) => !warnings.includes(f.split('.').pop()!));
      if (answer.status < 300 && missing.length > 0) v.push({ invariant: 'unknown field dropped without a warning', detail: `${missing.join(', ')} (warnings: ${warnings || 'none'})` });
      break;
    }
  }
  return v;
}
