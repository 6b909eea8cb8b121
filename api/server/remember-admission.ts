/**
 * Admission of a remembered decision. Remembering writes a rule into an ApprovalPolicy, so it is
 * an authorization decision of its own, checked when the decision is written (create, update,
 * patch or apply of an Approval), not later by the controller that appends the rule:
 * - 422 when the remembered approval is over-broad: a pattern for a category that always asks (the
 *   rule must be the request itself), or a ToolExecution pattern that matches every command or
 *   every tool. Each refusal names its rule ({@link RememberRule}).
 * - 403 when the decider may not write the policy the rule goes into: Run scope is the decider's
 *   own run (its creator) or needs the right to write `remembered-run-<run>`; Session and Agent
 *   scopes need the right to write `remembered-session-<session>` / `remembered-agent-<agent>`
 *   (Cedar: `create` when that policy does not exist yet, `update` when it does).
 * A remembered rejection is checked for authority only: a Deny rule can only tighten.
 */
import picomatch from 'picomatch';
import { GROUP, type KubeObject } from '../../resources/meta.js';
import type { Approval } from '../../resources/kinds/approval.js';
import type { Run } from '../../resources/kinds/run.js';
import { ALWAYS_ASK, rememberedPolicyName } from '../../resources/kinds/approvalpolicy.js';
import type { FieldError } from '../../resources/validation.js';
import type { Decision } from '../auth/authorizer.js';
import { CREATED_BY, Verb } from '../auth/model.js';
import { ApiError, invalid, StatusReason } from '../errors.js';
import type { Store } from '../store/store.js';
import type { RequestAuthorizer } from './authorization.js';

/** The rules a remembered approval must follow, named in every refusal. */
export const RememberRule = {
  /** FileWrite, NetworkAccess, DestructiveGit and McpElicitation: only this very request is remembered. */
  AlwaysAskRemembersTheRequest: 'always-ask-remembers-the-request',
  /** A ToolExecution approval of a command names the commands it allows. */
  NamesTheCommand: 'tool-execution-names-the-command',
  /** No field of a remembered ToolExecution approval matches everything. */
  NoMatchEverything: 'no-match-everything',
  /** Remembering beyond one's own run needs the right to write the policy the rule goes into. */
  WithinAuthority: 'remember-within-authority',
} as const;

/** Who may write the ApprovalPolicy a remembered rule goes into (the API server's Cedar authorizer). */
export interface RememberAuthority {
  /** Decides whether the identity `user` may `verb` the ApprovalPolicy `namespace/name`. */
  mayWrite(user: string, verb: typeof Verb.Create | typeof Verb.Update, plural: string, namespace: string, name: string): Promise<Decision>;
  /** Whether `user` holds the Owner role everywhere (decides cross-node dispatches of any session). */
  isOwner?(user: string): boolean;
}

/** The authority of the API server's request authorizer: the same Cedar policies decide. */
export function requestAuthority(authz: RequestAuthorizer): RememberAuthority {
  return {
    isOwner: (name) => authz.authorizer.ownerUnrestricted(authz.identity(name)),
    async mayWrite(name, verb, plural, namespace, objectName) {
      const user = authz.identity(name);
      if (authz.authorizer.ownerUnrestricted(user)) return { allowed: true, denied: false, policies: ['owner'] };
      const resource = authz.authorizer.model.resourceType(GROUP, plural);
      if (!resource) return { allowed: false, denied: false, policies: [], error: `no resource ${plural} in ${GROUP}` };
      // A create is decided on the collection, as kube-apiserver decides it.
      return authz.decide(user, { verb, resource, namespace, name: verb === Verb.Create ? '' : objectName, subresource: '' });
    },
  };
}

/**
 * Values that share no character and include a `/`: a glob matching all of them requires no
 * literal character, so it matches every command, tool, path or host (`*`, `**`, `?*`, `{*,x}`).
 */
const PROBES = ['a', '#', 'Z9/x', ' -'];

/** True when `glob` matches every value, under the most permissive options the matcher uses. */
export function matchesEverything(glob: string): boolean {
  // The prefix keeps a leading `!` literal, as the policy matcher does.
  try {
    return PROBES.every((p) => picomatch.isMatch(`_${p}`, `_${glob}`, { bash: true, dot: true, nonegate: true }));
  } catch {
    return false;
  }
}

/** Categories whose answer is a person's text: nothing is remembered for them. */
const ANSWERED_BY_A_PERSON: ReadonlySet<string> = new Set(['UserInput', 'HumanPhaseContribution']);

type Remember = NonNullable<NonNullable<Approval['spec']['decision']>['remember']>;

/** The `remember` of a decision this write adds; undefined when the decision was already stored (it is final) or remembers nothing. */
export function newlyRemembered(old: KubeObject | undefined, obj: KubeObject): Remember | undefined {
  if ((old as Approval | undefined)?.spec?.decision) return undefined;
  return (obj as Approval).spec?.decision?.remember;
}

const given = (v: string | undefined): v is string => v !== undefined && v !== '';

/** Why the remembered approval in `approval` is over-broad (empty when it is not). */
export function overBroadRemember(approval: Approval): FieldError[] {
  const { decision, category, request } = approval.spec;
  const pattern = decision?.remember?.pattern;
  const field = 'spec.decision.remember.pattern';
  if (decision?.verdict !== 'Approved' || !pattern) return [];
  const fields = (['tool', 'command', 'path', 'host'] as const).filter((f) => given(pattern[f]));
  if (fields.length === 0) return [];
  if (ALWAYS_ASK.has(category)) {
    return [{ field, reason: 'FieldValueForbidden', message: `Forbidden: ${category} always asks: a remembered approval allows this request only; omit the pattern (rule ${RememberRule.AlwaysAskRemembersTheRequest})` }];
  }
  if (category !== 'ToolExecution') return [];
  if (given(request?.command)) {
    if (!given(pattern.command)) {
      return [{ field: `${field}.command`, reason: 'FieldValueRequired', message: `Required value: a remembered approval of a command names the commands it allows (rule ${RememberRule.NamesTheCommand})` }];
    }
    if (matchesEverything(pattern.command)) return [matchEverything(`${field}.command`, pattern.command, 'command')];
  }
  const narrowing = fields.filter((f) => !matchesEverything(pattern[f]!));
  if (narrowing.length > 0) return [];
  return fields.map((f) => matchEverything(`${field}.${f}`, pattern[f]!, f));
}

function matchEverything(field: string, value: string, what: string): FieldError {
  return { field, reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: matches every ${what} (rule ${RememberRule.NoMatchEverything})` };
}

/** The policy a remembered decision writes, or undefined when nothing will be remembered (as the approval controller decides). */
async function targetPolicy(store: Store, approval: Approval, scope: Remember['scope']): Promise<{ policy: string; run?: Run } | undefined> {
  // A person's answer is never remembered (controllers/approval/policy.ts, rememberedRule).
  if (ANSWERED_BY_A_PERSON.has(approval.spec.category)) return undefined;
  const ns = approval.metadata.namespace ?? '';
  const run = approval.spec.run ? await store.find<Run>('runs', ns, approval.spec.run) : undefined;
  switch (scope) {
    case 'Run':
      return approval.spec.run ? { policy: rememberedPolicyName('Run', approval.spec.run), run } : undefined;
    case 'Session':
      return { policy: rememberedPolicyName('Session', approval.spec.session), run };
    case 'Agent':
      return run?.spec.agent ? { policy: rememberedPolicyName('Agent', run.spec.agent), run } : undefined;
  }
}

export interface RememberCheck {
  store: Store;
  /** Undefined where no authorizer is wired: then only in-process writers may remember beyond their own run. */
  authority?: RememberAuthority;
  /** The authenticated identity; undefined for in-process writers (controllers), which are trusted. */
  user?: string;
}

/**
 * Admits the remembered part of an Approval write (`old` is the stored object, undefined on
 * create): throws 422 Invalid for an over-broad pattern, 403 Forbidden when the decider may not
 * write the policy the rule goes into.
 */
export async function admitRemember(old: KubeObject | undefined, obj: KubeObject, check: RememberCheck): Promise<void> {
  const remember = newlyRemembered(old, obj);
  if (!remember) return;
  const approval = obj as Approval;
  const name = approval.metadata.name ?? '';
  const broad = overBroadRemember(approval);
  if (broad.length > 0) throw invalid('Approval', name, broad);
  const { user } = check;
  if (user === undefined) return;
  const target = await targetPolicy(check.store, approval, remember.scope);
  if (!target) return;
  if (remember.scope === 'Run' && target.run?.metadata.annotations?.[CREATED_BY] === user) return;
  const ns = approval.metadata.namespace ?? '';
  const exists = (await check.store.find('approvalpolicies', ns, target.policy)) !== undefined;
  const verb = exists ? Verb.Update : Verb.Create;
  const decision: Decision = check.authority
    ? await check.authority.mayWrite(user, verb, 'approvalpolicies', ns, target.policy)
    : { allowed: false, denied: false, policies: [], error: 'no authorizer is configured' };
  if (decision.allowed) return;
  const why = decision.error ? `the authorizer failed: ${decision.error}` : `User "${user}" cannot ${verb} approvalpolicies "${target.policy}" in the namespace "${ns}"`;
  throw new ApiError(
    StatusReason.Forbidden,
    `approvals.sidekicks.dev "${name}" is forbidden: remembering at ${remember.scope} scope writes approvalpolicies "${target.policy}": ${why} (rule ${RememberRule.WithinAuthority})`,
    { name, group: 'sidekicks.dev', kind: 'approvals' },
  );
}
