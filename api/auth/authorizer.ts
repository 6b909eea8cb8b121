/**
 * The Cedar authorizer: one decision per request against a policy set parsed once (Cedar's
 * preparsed, cached policy set and schema), with the two entities a request needs built per call
 * — the user and the resource. Decisions take tens of microseconds (`npm run bench:authz`).
 */
import { createHash } from 'node:crypto';
import { cedar, type Cedar } from './cedar.js';
import { Role, type Identity } from './roles.js';
import { type AuthzModel, type ResourceType, USER_TYPE, Verb } from './model.js';
import { compilePolicies, readPolicySources, SHIPPED_POLICIES_DIR, type PolicySource } from './policies.js';

/** One resource request to decide: kube-apiserver's authorizer attributes plus ownership. */
export interface ResourceRequest {
  user: Identity;
  verb: Verb;
  resource: ResourceType;
  /** '' for cluster-scoped kinds and requests across all namespaces. */
  namespace: string;
  /** '' for collections (list, watch, deletecollection; create without a name). */
  name: string;
  /** '' for the object itself. */
  subresource: string;
  /** Who created the object (or, on create, who will have). */
  owner?: string;
  /** Who created the run the object points at (kinds with `spec.run`). */
  runOwner?: string;
}

/** A decision and why. */
export interface Decision {
  allowed: boolean;
  /** True when a forbid policy matched (an explicit no), not merely no permit. */
  denied: boolean;
  /** The ids of the policies that decided (permits when allowed, forbids when denied). */
  policies: string[];
  /** Set when evaluation failed; such a request is denied (fail closed). */
  error?: string;
}

type EntityUid = { type: string; id: string };

function user(id: string): EntityUid {
  return { type: USER_TYPE, id };
}

/** Where a compiled policy set lives inside Cedar. */
interface Prepared {
  policySetId: string;
  schemaName: string;
}

/**
 * Policy sets already validated and preparsed in this process, by content. Validation is the
 * slow part of loading (tens to hundreds of milliseconds in wasm); a process that starts several
 * daemons (tests) does it once per distinct set. Cedar keeps preparsed sets for the life of the
 * process, so sharing them also keeps that cache from growing.
 */
const prepared = new Map<string, Prepared>();

function prepare(schema: string, sources: PolicySource[]): Prepared {
  const key = createHash('sha256').update(JSON.stringify([schema, sources.map((s) => [s.file, s.text])])).digest('hex');
  const cached = prepared.get(key);
  if (cached) return cached;
  const { policies } = compilePolicies(sources, schema);
  const ids: Prepared = { policySetId: `sidekicks-${key}`, schemaName: `sidekicks-schema-${key}` };
  const parsed = cedar().preparsePolicySet(ids.policySetId, { staticPolicies: policies });
  if (parsed.type === 'failure') throw new Error(`cedar: ${parsed.errors.map((e) => e.message).join('; ')}`);
  const parsedSchema = cedar().preparseSchema(ids.schemaName, schema);
  if (parsedSchema.type === 'failure') throw new Error(`cedar schema: ${parsedSchema.errors.map((e) => e.message).join('; ')}`);
  prepared.set(key, ids);
  return ids;
}

/** Decides requests with a loaded, validated policy set. Build with {@link CedarAuthorizer.load}. */
export class CedarAuthorizer {
  private prepared: Prepared | undefined;
  private readonly sources: PolicySource[];

  /** Compiles `sources` (throws PolicyError) and caches the set inside Cedar. */
  /**
   * True when the user added policies of their own. Without them the shipped set is in force, and
   * it permits the Owner everything (roles.cedar), so an Owner's request needs no evaluation.
   */
  readonly hasUserPolicies: boolean;

  constructor(readonly model: AuthzModel, sources: PolicySource[]) {
    this.sources = sources;
    this.hasUserPolicies = sources.some((s) => !s.file.startsWith(SHIPPED_POLICIES_DIR));
    // User policies are compiled now, so a broken file stops the start (fail closed). The shipped
    // set alone (validated by the test suite) waits for its first use: compiled, it holds some
    // 60 MiB of wasm memory, and a single-user daemon whose owner needs no evaluation never uses it.
    if (this.hasUserPolicies) this.ids();
  }

  private ids(): Prepared {
    return (this.prepared ??= prepare(this.model.schemaText(), this.sources));
  }

  /** An Owner's request under the shipped policies alone: allowed without asking Cedar. */
  ownerUnrestricted(user: Identity): boolean {
    return user.role === Role.Owner && !this.hasUserPolicies;
  }

  /** Loads the shipped policies plus those in `userDir`; a broken file throws PolicyError. */
  static async load(model: AuthzModel, userDir: string | undefined): Promise<CedarAuthorizer> {
    return new CedarAuthorizer(model, await readPolicySources(userDir));
  }

  /** Decides a resource request. */
  authorize(req: ResourceRequest): Decision {
    const principal = user(req.user.name);
    const resource = { type: req.resource.type, id: `${req.namespace}/${req.name}` };
    const attrs: Record<string, Cedar.CedarValueJson> = { namespace: req.namespace, name: req.name };
    if (req.owner) attrs.owner = { __entity: user(req.owner) };
    if (req.runOwner && req.resource.runScoped) attrs.runOwner = { __entity: user(req.runOwner) };
    return this.decide(principal, req.verb, resource, { subresource: req.subresource }, [
      { uid: principal, attrs: { role: req.user.role ?? '' }, parents: [] },
      { uid: resource, attrs, parents: [] },
    ]);
  }

  /** Decides whether `by` may act as `target` (`auth can-i --as`). */
  mayImpersonate(by: Identity, target: Identity): Decision {
    const principal = user(by.name);
    const resource = user(target.name);
    const entities: Cedar.EntityJson[] = [{ uid: principal, attrs: { role: by.role ?? '' }, parents: [] }];
    if (target.name !== by.name) entities.push({ uid: resource, attrs: { role: target.role ?? '' }, parents: [] });
    return this.decide(principal, Verb.Impersonate, resource, {}, entities);
  }

  private decide(principal: EntityUid, verb: Verb, resource: EntityUid, context: Cedar.Context, entities: Cedar.EntityJson[]): Decision {
    const answer = cedar().statefulIsAuthorized({
      principal,
      action: { type: 'Action', id: verb },
      resource,
      context,
      entities,
      preparsedPolicySetId: this.ids().policySetId,
      preparsedSchemaName: this.ids().schemaName,
      validateRequest: true,
    });
    if (answer.type === 'failure') {
      return { allowed: false, denied: false, policies: [], error: answer.errors.map((e) => e.message).join('; ') };
    }
    const { decision, diagnostics } = answer.response;
    // Cedar skips a policy whose evaluation errs; a skipped forbid would let a request through.
    // Validated policies cannot err on our entities, so any error is a bug: deny.
    if (diagnostics.errors.length > 0) {
      return { allowed: false, denied: false, policies: [], error: diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`).join('; ') };
    }
    const allowed = decision === 'allow';
    // A deny with reasons was decided by forbid policies; a deny without is "no permit matched".
    return { allowed, denied: !allowed && diagnostics.reason.length > 0, policies: diagnostics.reason };
  }
}
