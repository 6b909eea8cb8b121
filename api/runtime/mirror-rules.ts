/**
 * What a runtime node's Mirror writes for one object: the pure rules of authority between the
 * control plane (upstream) and the node's local store, per kind. The control plane owns what
 * people asked for (spec, labels, annotations) and the decisions it makes (approvals, a run lost
 * with its node); the node owns what it observed while executing (run, intervention, agent and
 * repo mount status) and what its own controllers wrote since the control plane last changed.
 *
 * The local copy carries the annotation {@link MIRRORED_ANNOTATION} = `<generation>/<resourceVersion>`
 * of the upstream object it was last brought in line with: an upstream object with the same
 * resourceVersion is not looked at again (a re-list rewrites nothing, and a local write since
 * then stands), and the spec comes down only when the upstream generation moved (a pause the
 * node's intervention controller wrote into the local spec is not undone by a status change
 * upstream).
 */
import type { KubeObject, OwnerReference } from '../../resources/meta.js';
import { canonicalJson, cloneObject } from '../store/object-meta.js';

/** `<upstream generation>/<upstream resourceVersion>` last applied to a local copy. */
export const MIRRORED_ANNOTATION = 'sidekicks.dev/mirrored';

/** Annotations the node's own controllers write on local runs; upstream never has them, so they are kept. */
const NODE_OWNED_ANNOTATIONS = ['sidekicks.dev/interrupted-by'];

/** Which objects of a kind the node mirrors. */
export type MirrorScope = 'all' | 'boundRuns' | 'ofBoundRuns';

/** How one kind is mirrored. */
export interface KindRule {
  plural: string;
  scope: MirrorScope;
  /** The control plane writes the status (sessions, policies, tools, approvals); else the node does. */
  statusDown: boolean;
  /** Kinds an owner reference may name on the local copy (others would dangle there and be collected). */
  ownerKinds: string[];
}

const TOP_KINDS = ['Session', 'Agent', 'RepoMount', 'ApprovalPolicy', 'Tool'];

/** The kinds a node mirrors, in the order a first sync writes them (a run after its session, an approval after its run). */
export const MIRROR_KINDS: readonly KindRule[] = [
  { plural: 'sessions', scope: 'all', statusDown: true, ownerKinds: TOP_KINDS },
  { plural: 'agents', scope: 'all', statusDown: false, ownerKinds: TOP_KINDS },
  { plural: 'repomounts', scope: 'all', statusDown: false, ownerKinds: TOP_KINDS },
  { plural: 'approvalpolicies', scope: 'all', statusDown: true, ownerKinds: TOP_KINDS },
  { plural: 'tools', scope: 'all', statusDown: true, ownerKinds: TOP_KINDS },
  { plural: 'runs', scope: 'boundRuns', statusDown: false, ownerKinds: TOP_KINDS },
  { plural: 'interventions', scope: 'ofBoundRuns', statusDown: false, ownerKinds: [...TOP_KINDS, 'Run'] },
  { plural: 'approvals', scope: 'ofBoundRuns', statusDown: true, ownerKinds: [...TOP_KINDS, 'Run'] },
];

/** The upstream generation and resourceVersion a local copy was last brought in line with. */
export function mirroredMark(local: KubeObject): { generation: number; resourceVersion: string } | undefined {
  const mark = local.metadata.annotations?.[MIRRORED_ANNOTATION];
  const m = mark ? /^(\d+)\/(\d+)$/.exec(mark) : null;
  return m ? { generation: Number(m[1]), resourceVersion: m[2]! } : undefined;
}

function markOf(upstream: KubeObject): string {
  return `${upstream.metadata.generation ?? 0}/${upstream.metadata.resourceVersion ?? ''}`;
}

function ownerRefs(rule: KindRule, upstream: KubeObject): OwnerReference[] | undefined {
  const kept = (upstream.metadata.ownerReferences ?? []).filter((r) => rule.ownerKinds.includes(r.kind));
  return kept.length ? kept : undefined;
}

function annotations(upstream: KubeObject, local: KubeObject | undefined): Record<string, string> {
  const out: Record<string, string> = { ...upstream.metadata.annotations };
  for (const k of NODE_OWNED_ANNOTATIONS) {
    const v = local?.metadata.annotations?.[k];
    if (v !== undefined) out[k] = v;
  }
  out[MIRRORED_ANNOTATION] = markOf(upstream);
  return out;
}

/** Everything but metadata and status: the desired state. */
function desired(obj: KubeObject): Record<string, unknown> {
  const { apiVersion: _a, kind: _k, metadata: _m, status: _s, ...rest } = obj as KubeObject & Record<string, unknown>;
  return rest;
}

function isTerminalRun(status: Record<string, unknown> | undefined): boolean {
  return ['Completed', 'Failed', 'Interrupted', 'Canceled'].includes(String(status?.phase));
}

function isNodeLost(status: Record<string, unknown> | undefined): boolean {
  return status?.phase === 'Failed' && status.reason === 'NodeLost';
}

/**
 * The status a local copy gets when it is created: the control plane's where it owns it; for an
 * intervention, what the node reported before (a fresh local store must not apply it twice); for
 * a run, only a terminal one (a run that ended, or was lost, is not started again).
 */
function statusOnCreate(rule: KindRule, upstream: KubeObject): unknown {
  const status = upstream.status as Record<string, unknown> | undefined;
  if (rule.statusDown || rule.plural === 'interventions') return status;
  if (rule.plural === 'runs' && isTerminalRun(status)) return status;
  return undefined;
}

/** The local object to create for an upstream object the node has no copy of (identity kept). */
export function localCopy(rule: KindRule, upstream: KubeObject): KubeObject {
  const m = upstream.metadata;
  const meta: KubeObject['metadata'] = {
    name: m.name,
    ...(m.namespace ? { namespace: m.namespace } : {}),
    uid: m.uid,
    generation: m.generation,
    creationTimestamp: m.creationTimestamp,
    ...(m.labels ? { labels: { ...m.labels } } : {}),
    annotations: annotations(upstream, undefined),
  };
  const refs = ownerRefs(rule, upstream);
  if (refs) meta.ownerReferences = refs;
  const copy: KubeObject = { apiVersion: upstream.apiVersion, kind: upstream.kind, metadata: meta, ...cloneObject(desired(upstream)) };
  const status = statusOnCreate(rule, upstream);
  if (status !== undefined) copy.status = cloneObject(status) as KubeObject['status'];
  return copy;
}

/** True when a local approval carries a decision the control plane has not heard of yet (a local rule decided). */
function localDecisionAhead(local: KubeObject, upstream: KubeObject): boolean {
  const spec = (o: KubeObject) => (o as KubeObject & { spec?: { decision?: unknown } }).spec;
  return spec(local)?.decision !== undefined && spec(upstream)?.decision === undefined;
}

/** The writes that bring an existing local copy in line with its upstream object. */
export interface LocalChange {
  /** The object for `update` (metadata and desired state), or undefined when they are in line. */
  object?: KubeObject;
  /** The status for `updateStatus`, or undefined when it stays. */
  status?: { value: unknown };
}

/**
 * What to write on `local` (same uid as `upstream`) so it follows `upstream` per `rule`; an
 * empty change when the local copy already reflects this upstream version.
 */
export function localChange(rule: KindRule, upstream: KubeObject, local: KubeObject): LocalChange {
  const mark = mirroredMark(local);
  if (mark?.resourceVersion === upstream.metadata.resourceVersion) return {};
  const ahead = rule.plural === 'approvals' && localDecisionAhead(local, upstream);
  const next = cloneObject(local);
  next.metadata.labels = upstream.metadata.labels ? { ...upstream.metadata.labels } : undefined;
  next.metadata.annotations = annotations(upstream, local);
  next.metadata.ownerReferences = ownerRefs(rule, upstream);
  const specMoved = mark === undefined || mark.generation !== upstream.metadata.generation;
  if (specMoved && !ahead) {
    for (const k of Object.keys(desired(next))) delete (next as unknown as Record<string, unknown>)[k];
    Object.assign(next, cloneObject(desired(upstream)));
    next.metadata.generation = upstream.metadata.generation;
  }
  for (const k of Object.keys(next.metadata) as (keyof KubeObject['metadata'])[]) if (next.metadata[k] === undefined) delete next.metadata[k];
  const change: LocalChange = {};
  if (differs(next, local, mark?.generation === upstream.metadata.generation)) change.object = next;
  const status = statusChange(rule, upstream, local, ahead);
  if (status) change.status = status;
  return change;
}

/**
 * True when `next` must be written over `local`. A new upstream resourceVersion alone (the ingest
 * applied the node's own status upstream) is no reason: writing just the mark would make the
 * node publish its run again for every status it sent.
 */
function differs(next: KubeObject, local: KubeObject, sameGeneration: boolean): boolean {
  const comparable = (o: KubeObject) => {
    const a = { ...o.metadata.annotations };
    if (sameGeneration) delete a[MIRRORED_ANNOTATION];
    return canonicalJson({ ...o, status: undefined, metadata: { ...o.metadata, annotations: a } });
  };
  return comparable(next) !== comparable(local);
}

function statusChange(rule: KindRule, upstream: KubeObject, local: KubeObject, ahead: boolean): { value: unknown } | undefined {
  const up = upstream.status as Record<string, unknown> | undefined;
  const cur = local.status as Record<string, unknown> | undefined;
  if (rule.statusDown) {
    if (ahead || canonicalJson(up) === canonicalJson(cur)) return undefined;
    return { value: up };
  }
  // A run the control plane failed as lost (its node was away too long): the node stops it too.
  if (rule.plural === 'runs' && isNodeLost(up) && !isTerminalRun(cur)) {
    const { phase, reason, message, finishedAt } = up!;
    return { value: { ...cur, phase, reason, ...(message !== undefined ? { message } : {}), ...(finishedAt !== undefined ? { finishedAt } : {}) } };
  }
  return undefined;
}

/** The run an approval or intervention belongs to, as `namespace/name`, or undefined (a workflow gate). */
export function runKeyOf(obj: KubeObject): string | undefined {
  const run = (obj as KubeObject & { spec?: { run?: unknown } }).spec?.run;
  return typeof run === 'string' && run ? `${obj.metadata.namespace ?? 'default'}/${run}` : undefined;
}

/**
 * True when a local object without an upstream counterpart may be deleted: always, except an
 * approval the node raised that the control plane has not received yet (it was never mirrored).
 */
export function mayDeleteOrphan(rule: KindRule, local: KubeObject): boolean {
  return rule.plural !== 'approvals' || mirroredMark(local) !== undefined;
}
