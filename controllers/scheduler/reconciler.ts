/**
 * The scheduler (the control plane's kube-scheduler): a Run with no `spec.nodeName` that has not
 * ended is bound to the RuntimeNode that fits it (fit.ts) with the most free run slots, ties by
 * name; the `Scheduled` condition, a journal event and an Event say where. When none fits the run
 * waits with `Scheduled=False` reason Unschedulable and a FailedScheduling Warning that says why,
 * and is looked at again when nodes, runs or what it names change.
 *
 * It does nothing where no RuntimeNode holds a Lease in `sidekick-node-lease`: a daemon (which
 * runs the cluster controllers too) executes runs with no node itself, and a run must never be
 * taken from it.
 */
import type { Store } from '../../api/store/store.js';
import type { EventRecorder } from '../../api/events/recorder.js';
import type { Actor } from '../../api/journal/event.js';
import { CREATED_BY } from '../../api/auth/model.js';
import { NODE_LEASE_NAMESPACE } from '../../api/runtime/protocol.js';
import { isConditionTrue, findCondition } from '../../resources/conditions.js';
import type { Agent } from '../../resources/kinds/agent.js';
import type { Lease } from '../../resources/kinds/lease.js';
import type { RepoMount } from '../../resources/kinds/repomount.js';
import { isTerminalPhase, type Run } from '../../resources/kinds/run.js';
import type { RuntimeNode } from '../../resources/kinds/runtimenode.js';
import type { Session } from '../../resources/kinds/session.js';
import { metaTime } from '../../resources/time.js';
import type { ObjectKey, Reconciler, Result } from '../runtime/controller.js';
import { systemClock, type Clock } from '../runtime/clock.js';
import type { RunWriter } from '../run/run-writer.js';
import { moveRun } from '../run/run-status.js';
import { setRunNode } from './bind.js';
import { misfit, ownerAdmits, pickNode, RUN_SCHEDULED, unschedulableMessage, type Misfit, type RunNeeds } from './fit.js';
import type { Lister } from './lister.js';

/** The reason of a run no node can take (condition and status), as a pod's. */
export const UNSCHEDULABLE = 'Unschedulable';

/** How long a binding this scheduler made counts against its node before the cache must show it (kube-scheduler's assume TTL). */
const ASSUME_TTL_MS = 30_000;
/** How often an unschedulable run is tried again even if nothing it watches changed. */
const DEFAULT_RETRY_MS = 60_000;

const actor: Actor = { kind: 'controller', name: 'scheduler' };

export interface SchedulerDeps {
  store: Store;
  writer: RunWriter;
  /** Lists nodes, leases and runs (the informers' caches in a controller set). */
  list: Lister;
  recorder?: EventRecorder;
  clock?: Clock;
  retryMs?: number;
}

export class SchedulerReconciler implements Reconciler {
  private readonly clock: Clock;
  /** Runs bound by this scheduler that the cache may not show yet: run key → node and when. */
  private readonly assumed = new Map<string, { node: string; at: number }>();

  constructor(private readonly d: SchedulerDeps) {
    this.clock = d.clock ?? systemClock;
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const run = await this.d.store.find<Run>('runs', key.namespace, key.name);
    if (!run || run.metadata.deletionTimestamp || isTerminalPhase(run.status?.phase)) return {};
    const nodes = await this.d.list<RuntimeNode>('runtimenodes');
    if (!(await this.nodesRunHere(nodes))) return {};
    if (run.spec.nodeName) return this.reportBound(run, run.spec.nodeName);
    const needs = await this.needsOf(run);
    if (typeof needs === 'string') return this.unschedulable(run, needs);
    const bound = await this.boundPerNode();
    const fits: { node: RuntimeNode; free: number }[] = [];
    const misfits: Misfit[] = [];
    for (const node of nodes) {
      const used = bound.get(node.metadata.name!) ?? 0;
      const m = misfit(node, needs, used);
      if (m) misfits.push(m);
      else fits.push({ node, free: node.spec.maxRuns - used });
    }
    const chosen = pickNode(fits);
    if (!chosen) return this.unschedulable(run, unschedulableMessage(nodes.length, misfits, needs));
    return this.bind(run, chosen.node, ownerAdmits(chosen.node, needs) === 'grant');
  }

  /** True on a control plane with runtime nodes: some RuntimeNode has a Lease. */
  private async nodesRunHere(nodes: RuntimeNode[]): Promise<boolean> {
    if (!nodes.length) return false;
    const names = new Set(nodes.map((n) => n.metadata.name!));
    return (await this.d.list<Lease>('leases', (l) => l.metadata.namespace === NODE_LEASE_NAMESPACE && names.has(l.metadata.name!))).length > 0;
  }

  /** What the run asks of a node, or why it cannot be placed at all (what it names is missing). */
  private async needsOf(run: Run): Promise<RunNeeds | string> {
    const ns = run.metadata.namespace!;
    const agent = await this.d.store.find<Agent>('agents', ns, run.spec.agent);
    if (!agent) return `agent "${run.spec.agent}" not found`;
    const session = await this.d.store.find<Session>('sessions', ns, run.spec.session);
    const mountName = run.spec.repoMount ?? session?.spec.defaults?.repoMount;
    const mount = mountName ? await this.d.store.find<RepoMount>('repomounts', ns, mountName) : undefined;
    if (mountName && !mount) return `repomount "${mountName}" not found`;
    const creator = run.metadata.annotations?.[CREATED_BY];
    return { namespace: ns, session: run.spec.session, driver: agent.spec.driver, ...(creator !== undefined ? { creator } : {}), ...(mount ? { mount } : {}) };
  }

  /** Unfinished runs per node, counting this scheduler's bindings the cache does not show yet. */
  private async boundPerNode(): Promise<Map<string, number>> {
    const runs = await this.d.list<Run>('runs');
    const byKey = new Map(runs.map((r) => [`${r.metadata.namespace}/${r.metadata.name}`, r]));
    const counts = new Map<string, number>();
    const add = (node: string) => counts.set(node, (counts.get(node) ?? 0) + 1);
    for (const r of runs) if (r.spec.nodeName && !isTerminalPhase(r.status?.phase)) add(r.spec.nodeName);
    const now = this.clock.now();
    for (const [key, a] of this.assumed) {
      const cached = byKey.get(key);
      if (!cached || cached.spec.nodeName !== undefined || isTerminalPhase(cached.status?.phase) || now - a.at > ASSUME_TTL_MS) this.assumed.delete(key);
      else add(a.node);
    }
    return counts;
  }

  private async bind(run: Run, node: RuntimeNode, crossDispatch: boolean): Promise<Result> {
    const ns = run.metadata.namespace!;
    const name = run.metadata.name!;
    const target = node.metadata.name!;
    const bound = await setRunNode(this.d.store, ns, name, target, { crossDispatch, still: (r) => !r.spec.nodeName && !isTerminalPhase(r.status?.phase) });
    if (!bound) return {};
    this.assumed.set(`${ns}/${name}`, { node: target, at: this.clock.now() });
    await this.reportBound(bound, target, crossDispatch);
    return {};
  }

  /** Sets `Scheduled=True` on a bound run (also one bound by hand), with its journal event and Event, once. */
  private async reportBound(run: Run, node: string, crossDispatch = false): Promise<Result> {
    const message = `Successfully assigned ${run.metadata.namespace}/${run.metadata.name} to ${node}`;
    const current = findCondition(run.status?.conditions, RUN_SCHEDULED);
    if (current?.status === 'True' && current.message === message) return {};
    const written = await this.d.writer.commit(run.metadata.namespace!, run.metadata.name!, (draft) => {
      if (draft.spec.nodeName !== node || (isConditionTrue(draft.status?.conditions, RUN_SCHEDULED) && findCondition(draft.status?.conditions, RUN_SCHEDULED)?.message === message)) return null;
      moveRun(draft, { condition: { type: RUN_SCHEDULED, status: 'True', reason: 'Scheduled', message }, at: metaTime(this.clock.now()) });
      if (draft.status!.reason === UNSCHEDULABLE) {
        delete draft.status!.reason;
        delete draft.status!.message;
      }
      return [{ type: 'run.scheduled', actor, payload: { node, ...(crossDispatch ? { crossNodeDispatch: true } : {}) } }];
    });
    if (written) this.d.recorder?.normal(written, 'Scheduled', message);
    return {};
  }

  /** The run waits: `Scheduled=False` reason Unschedulable with why, a FailedScheduling Warning, and a later retry. */
  private async unschedulable(run: Run, message: string): Promise<Result> {
    await this.d.writer.commit(run.metadata.namespace!, run.metadata.name!, (draft) => {
      if (draft.spec.nodeName || isTerminalPhase(draft.status?.phase)) return null;
      const before = JSON.stringify(draft.status ?? {});
      moveRun(draft, { condition: { type: RUN_SCHEDULED, status: 'False', reason: UNSCHEDULABLE, message }, at: metaTime(this.clock.now()) });
      draft.status!.reason = UNSCHEDULABLE;
      draft.status!.message = message;
      return JSON.stringify(draft.status) === before ? null : [];
    });
    this.d.recorder?.warning(run, 'FailedScheduling', message);
    return { requeueAfterMs: this.d.retryMs ?? DEFAULT_RETRY_MS };
  }
}
