/**
 * Test support for the scheduler's and the node-lifecycle controller's tests (not used by
 * production code): runtime nodes, their Leases and the runs, agents and mounts they weigh,
 * arranged in the raw store as registration, heartbeats and the API would leave them.
 */
import { EventRecorder } from '../../api/events/recorder.js';
import { NODE_LEASE_NAMESPACE } from '../../api/runtime/protocol.js';
import { CREATED_BY } from '../../api/auth/model.js';
import { setCondition } from '../../resources/conditions.js';
import type { Event } from '../../resources/kinds/event.js';
import type { Lease } from '../../resources/kinds/lease.js';
import type { RepoMount } from '../../resources/kinds/repomount.js';
import type { Run } from '../../resources/kinds/run.js';
import type { RuntimeNode } from '../../resources/kinds/runtimenode.js';
import type { KubeObject } from '../../resources/meta.js';
import type { ObjectStore } from '../../api/store/object-store.js';
import type { ManualClock } from '../runtime/clock.js';

const apiVersion = 'sidekicks.dev/v1alpha1';
export const ns = 'default';

/** An Event recorder on the raw store, on the test's clock, with no background sweep. */
export function testRecorder(raw: ObjectStore, clock: ManualClock): EventRecorder {
  return new EventRecorder({ store: raw, component: 'test', sweepIntervalMs: 0, now: () => new Date(clock.now()) });
}

/** The Events recorded about an object, as `[reason, message]`, once the recorder has written them. */
export async function eventsAbout(raw: ObjectStore, recorder: EventRecorder, name: string): Promise<[string, string][]> {
  await recorder.flush();
  const { items } = await raw.list<Event>('events', {});
  return items.filter((e) => e.involvedObject.name === name).map((e) => [e.reason ?? '', e.message ?? '']);
}

/** How many times an Event of this reason was recorded about an object (repeats aggregate into one Event's count). */
export async function eventCount(raw: ObjectStore, recorder: EventRecorder, name: string, reason: string): Promise<number> {
  await recorder.flush();
  const { items } = await raw.list<Event>('events', {});
  return items.filter((e) => e.involvedObject.name === name && e.reason === reason).reduce((n, e) => n + (e.count ?? 1), 0);
}

export interface NodeArrangement {
  owner?: string;
  maxRuns?: number;
  drivers?: RuntimeNode['spec']['drivers'];
  labels?: Record<string, string>;
  sessions?: string[];
  unschedulable?: boolean;
  /** Writes the Ready condition as the lifecycle controller would (default true); false writes it False. */
  ready?: boolean;
  status?: RuntimeNode['status'];
}

/** A RuntimeNode as registration left it, with the Ready condition the lifecycle controller would have written. */
export async function arrangeNode(raw: ObjectStore, name: string, a: NodeArrangement = {}): Promise<RuntimeNode> {
  const created = await raw.create<RuntimeNode>('runtimenodes', {
    apiVersion,
    kind: 'RuntimeNode',
    metadata: { name },
    spec: {
      owner: a.owner ?? 'alice',
      maxRuns: a.maxRuns ?? 5,
      drivers: a.drivers ?? ['Scripted'],
      ...(a.labels ? { labels: a.labels } : {}),
      ...(a.sessions ? { sessions: a.sessions } : {}),
      ...(a.unschedulable ? { unschedulable: true } : {}),
    },
  } as RuntimeNode);
  const ready = a.ready ?? true;
  const conditions = setCondition(undefined, { type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'LeaseRenewed' : 'NodeStatusUnknown' }, 1);
  return raw.updateStatus<RuntimeNode>('runtimenodes', { ...created, status: { ...a.status, conditions } });
}

/** Creates or renews a node's Lease at the clock's now (MicroTime, as nodes write it). */
export async function renewLease(raw: ObjectStore, node: string, clock: ManualClock): Promise<Lease> {
  const renewTime = new Date(clock.now()).toISOString().replace('Z', '000Z');
  const existing = await raw.find<Lease>('leases', NODE_LEASE_NAMESPACE, node);
  if (existing) return raw.update<Lease>('leases', { ...existing, spec: { ...existing.spec, renewTime } });
  return raw.create<Lease>('leases', {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: node, namespace: NODE_LEASE_NAMESPACE },
    spec: { holderIdentity: node, leaseDurationSeconds: 40, renewTime },
  } as Lease);
}

/** An Agent with the given driver. */
export async function arrangeAgent(raw: ObjectStore, name: string, driver = 'Scripted'): Promise<void> {
  await raw.create<KubeObject>('agents', { apiVersion, kind: 'Agent', metadata: { name, namespace: ns }, spec: { driver, script: [] } } as KubeObject);
}

/** A Session, optionally with a default RepoMount. */
export async function arrangeSession(raw: ObjectStore, name: string, defaultMount?: string): Promise<void> {
  await raw.create<KubeObject>('sessions', { apiVersion, kind: 'Session', metadata: { name, namespace: ns }, spec: defaultMount ? { defaults: { repoMount: defaultMount } } : {} } as KubeObject);
}

/** A RepoMount with placement fields. */
export async function arrangeMount(raw: ObjectStore, name: string, placement: Pick<RepoMount['spec'], 'nodeName' | 'nodeSelector'>): Promise<void> {
  await raw.create<RepoMount>('repomounts', {
    apiVersion,
    kind: 'RepoMount',
    metadata: { name, namespace: ns },
    spec: { session: 's', path: '/repo', mode: 'Worktree', branchPrefix: 'sidekicks/', cleanup: 'OnDelete', ...placement },
  } as RepoMount);
}

/** A Run created by `creator` (the annotation the API server stamps), optionally bound and with a status. */
export async function arrangeRun(raw: ObjectStore, name: string, o: { creator?: string; session?: string; agent?: string; repoMount?: string; nodeName?: string; status?: Run['status'] } = {}): Promise<Run> {
  const run = await raw.create<Run>('runs', {
    apiVersion,
    kind: 'Run',
    metadata: { name, namespace: ns, annotations: { [CREATED_BY]: o.creator ?? 'alice' } },
    spec: {
      session: o.session ?? 's',
      agent: o.agent ?? 'a',
      prompt: 'go',
      channel: 'main',
      priority: 0,
      suspend: false,
      ...(o.repoMount ? { repoMount: o.repoMount } : {}),
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
    },
  } as unknown as Run);
  return o.status ? raw.updateStatus<Run>('runs', { ...run, status: o.status }) : run;
}
