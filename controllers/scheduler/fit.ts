/**
 * Whether a run fits a node, predicate by predicate, and the kubectl-like message that says why
 * none did ("0/3 nodes are available: 1 node(s) didn't have the repository, 2 node(s) were not
 * ready."). Pure: the scheduler gathers the facts, these decide.
 */
import type { NodeSelector, RepoMount } from '../../resources/kinds/repomount.js';
import type { RuntimeNode } from '../../resources/kinds/runtimenode.js';
import { isNodeReady, isRevoked, offeredDrivers } from '../nodelifecycle/readiness.js';

/** The Run condition the scheduler (and the lifecycle controller, when it takes a binding back) owns. */
export const RUN_SCHEDULED = 'Scheduled';

/** What a run asks of a node. */
export interface RunNeeds {
  namespace: string;
  session: string;
  /** Who created the run (`sidekicks.dev/created-by`); undefined when the API server did not stamp one. */
  creator?: string;
  /** The Agent's driver. */
  driver: string;
  /** The RepoMount the run works in (the run's, or its session's default); undefined for a scratch run. */
  mount?: RepoMount;
}

/** Why a node does not fit, the first failing predicate in this order. */
export const Misfit = {
  Revoked: 'Revoked',
  NotReady: 'NotReady',
  Unschedulable: 'Unschedulable',
  NotAllowed: 'NotAllowed',
  NoDriver: 'NoDriver',
  NoRepository: 'NoRepository',
  Full: 'Full',
} as const;
export type Misfit = (typeof Misfit)[keyof typeof Misfit];

/** How the node's owner lets the run in: it is theirs, or they granted its session. */
export type Admission = 'owner' | 'grant';

/** Seed 001's rule: a run executes on a person's machine only if it is theirs or they allowed its session there. */
export function ownerAdmits(node: RuntimeNode, needs: RunNeeds): Admission | undefined {
  if (needs.creator !== undefined && node.spec.owner === needs.creator) return 'owner';
  const grants = node.spec.sessions ?? [];
  return grants.includes(`${needs.namespace}/${needs.session}`) || grants.includes(`${needs.namespace}/*`) ? 'grant' : undefined;
}

/** Kubernetes' LabelSelector semantics: every matchLabels pair and every expression must hold; empty matches all. */
export function selectorMatches(selector: NodeSelector, labels: Record<string, string> = {}): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const inValues = has && (e.values ?? []).includes(labels[e.key]!);
    const holds = e.operator === 'In' ? inValues : e.operator === 'NotIn' ? !inValues : e.operator === 'Exists' ? has : !has;
    if (!holds) return false;
  }
  return true;
}

/** Whether the node holds the run's repository: the mount's nodeName and nodeSelector, when set, must both agree. */
export function holdsRepository(node: RuntimeNode, mount: RepoMount | undefined): boolean {
  if (!mount) return true;
  if (mount.spec.nodeName !== undefined && mount.spec.nodeName !== node.metadata.name) return false;
  return !mount.spec.nodeSelector || selectorMatches(mount.spec.nodeSelector, node.spec.labels);
}

/** The first reason the node cannot take the run, or undefined when it fits; `bound` counts its unfinished runs. */
export function misfit(node: RuntimeNode, needs: RunNeeds, bound: number): Misfit | undefined {
  if (isRevoked(node)) return Misfit.Revoked;
  if (!isNodeReady(node)) return Misfit.NotReady;
  if (node.spec.unschedulable) return Misfit.Unschedulable;
  if (!ownerAdmits(node, needs)) return Misfit.NotAllowed;
  if (!offeredDrivers(node).includes(needs.driver)) return Misfit.NoDriver;
  if (!holdsRepository(node, needs.mount)) return Misfit.NoRepository;
  if (bound >= node.spec.maxRuns) return Misfit.Full;
  return undefined;
}

function misfitText(m: Misfit, needs: RunNeeds): string {
  switch (m) {
    case Misfit.Revoked:
      return 'were revoked';
    case Misfit.NotReady:
      return 'were not ready';
    case Misfit.Unschedulable:
      return 'were unschedulable';
    case Misfit.NotAllowed:
      return `belonged to someone else and did not allow session ${needs.namespace}/${needs.session}`;
    case Misfit.NoDriver:
      return `didn't offer the ${needs.driver} driver`;
    case Misfit.NoRepository:
      return needs.mount ? `didn't have the repository of repomount ${needs.mount.metadata.name}` : "didn't have the repository";
    case Misfit.Full:
      return 'had no free run slots';
  }
}

/** kube-scheduler's FailedScheduling message: the count per reason, reasons sorted, after "0/N nodes are available". */
export function unschedulableMessage(total: number, misfits: Iterable<Misfit>, needs: RunNeeds): string {
  const counts = new Map<Misfit, number>();
  for (const m of misfits) counts.set(m, (counts.get(m) ?? 0) + 1);
  const parts = [...counts].map(([m, n]) => `${n} node(s) ${misfitText(m, needs)}`).sort();
  return `0/${total} nodes are available${parts.length ? `: ${parts.join(', ')}` : ''}.`;
}

/** The node with the most free run slots; ties go to the first name. */
export function pickNode<N extends { node: RuntimeNode; free: number }>(fits: readonly N[]): N | undefined {
  return [...fits].sort((a, b) => b.free - a.free || (a.node.metadata.name! < b.node.metadata.name! ? -1 : 1))[0];
}
