/**
 * Builds the local controllers (Session, Agent, RepoMount, Run) with their informers and the
 * wiring between them: which change wakes which keys. Everything returned is a Runnable for the
 * Manager; the daemon and `sidekick serve` share this.
 */
import type { Store } from '../api/store/store.js';
import type { Journal } from '../api/journal/journal.js';
import type { EventRecorder } from '../api/events/recorder.js';
import type { Run } from '../resources/kinds/run.js';
import type { Agent } from '../resources/kinds/agent.js';
import type { RepoMount } from '../resources/kinds/repomount.js';
import { sessionLimits, type Session } from '../resources/kinds/session.js';
import { isActivePhase } from '../resources/kinds/run.js';
import { waitingRuns } from './run/admission.js';
import type { KubeObject } from '../resources/meta.js';
import { Controller, type Reconciler } from './runtime/controller.js';
import { Informer, objectKey } from './runtime/informer.js';
import type { Runnable } from './runtime/manager.js';
import { SessionReconciler } from './session/reconciler.js';
import { AgentReconciler } from './agent/reconciler.js';
import type { DriverProbe } from './agent/probe.js';
import { RepoMountReconciler, type MountInspector } from './repomount/reconciler.js';
import { RunReconciler } from './run/reconciler.js';
import { RunEvents } from './run/run-events.js';
import { RunWriter } from './run/run-writer.js';
import { StatusWriter } from './runtime/status-writer.js';
import { CheckpointStore } from './run/checkpoints.js';
import { DriverFleet } from '../node/fleet.js';
import type { ArtifactContent, DriverLauncher, Workspaces, WorkspaceInfo } from '../node/ports.js';
import type { Approval } from '../resources/kinds/approval.js';
import { ApprovalGate } from './approval/gate.js';
import { asDeleted } from './approval/approval-status.js';
import { ApprovalReconciler } from './approval/reconciler.js';
import { classifyToolCall } from './approval/classify.js';
import { evaluatePolicies, rememberedRule } from './approval/policy.js';
import { buildInterventionController } from './intervention/controller.js';
import { buildChannelController } from './channel/controller.js';
import { buildWorkflowController } from './workflow/controller.js';

export interface ControllerSetOptions {
  store: Store;
  journal: Journal;
  recorder?: EventRecorder;
  workspaces: Workspaces;
  artifacts: ArtifactContent;
  launcher: DriverLauncher;
  inspector: MountInspector;
  probe: DriverProbe;
  env?: NodeJS.ProcessEnv;
  /** Informer resync period (default 5 min). */
  resyncMs?: number;
  log?: (line: string) => void;
}

export interface ControllerSet {
  runnables: Runnable[];
  fleet: DriverFleet;
  runs: Informer<Run>;
  /** Stops every driver process (runs keep their phase and recover at the next start). */
  stopDrivers(): Promise<void>;
}

/** A Runnable that runs an informer. */
function informerRunnable(informer: Informer): Runnable {
  return { name: `informer/${informer.plural}`, start: (signal) => informer.run(signal) };
}

/**
 * A queued run whose status alone changed (its position or the reason it waits) asks nothing of
 * the run controller: re-deciding admission for it on each of those writes would make every
 * position rewrite cost a full admission pass.
 */
function queueMoveOnly(old: Run, r: Run): boolean {
  const queued = (x: Run) => (x.status?.phase ?? 'Queued') === 'Queued';
  return (
    old.status?.phase === 'Queued' &&
    queued(r) &&
    old.metadata.generation === r.metadata.generation &&
    old.metadata.deletionTimestamp === r.metadata.deletionTimestamp &&
    JSON.stringify(old.metadata.finalizers) === JSON.stringify(r.metadata.finalizers) &&
    JSON.stringify(old.metadata.annotations) === JSON.stringify(r.metadata.annotations)
  );
}

export function buildControllers(o: ControllerSetOptions): ControllerSet {
  const log = o.log ?? (() => undefined);
  const informer = <T extends KubeObject>(plural: string): Informer<T> => new Informer<T>(o.store, plural, { resyncMs: o.resyncMs ?? 300_000, log });
  const runs = informer<Run>('runs');
  const sessions = informer<Session>('sessions');
  const agents = informer<Agent>('agents');
  const mounts = informer<RepoMount>('repomounts');
  const approvals = informer<Approval>('approvals');

  const controller = (name: string, reconciler: Reconciler, workers = 2): Controller => new Controller(reconciler, { name, workers, log });
  const writer = new RunWriter(new StatusWriter(o.store, o.journal));
  const checkpoints = new CheckpointStore(o.store);
  const gate = new ApprovalGate({ store: o.store, journal: o.journal, writer, assess: classifyToolCall, evaluate: evaluatePolicies, log });

  const runsOf = (namespace: string, pick: (r: Run) => boolean): string[] =>
    runs.list((r) => r.metadata.namespace === namespace && pick(r)).map((r) => objectKey(r));
  // A slot freed (or limits changed): the session controller re-places the queue, and the runs at
  // its front get to decide; a front run that admits others wakes them (wakeRuns). Waking every
  // queued run instead would cost a full admission pass per run per freed slot.
  const wakeSession = (namespace: string, session: string): void => {
    sessionController.enqueue(`${namespace}/${session}`);
    const limits = sessionLimits(sessions.get(`${namespace}/${session}`));
    const mine = runs.list((r) => r.metadata.namespace === namespace && r.spec.session === session);
    const active = mine.filter((r) => isActivePhase(r.status?.phase)).length;
    for (const r of waitingRuns(mine).slice(0, Math.max(1, limits.maxActiveRuns - active))) runController.enqueue(objectKey(r));
  };
  const wakeRuns = (namespace: string, names: string[]): void => {
    for (const name of names) runController.enqueue(`${namespace}/${name}`);
  };

  // The event handler needs the reconciler's view of a workspace and the reconciler needs the
  // fleet, which needs the handler: build them in that order and close over what comes later.
  let runReconciler!: RunReconciler;
  let fleet!: DriverFleet;
  const events = new RunEvents({
    store: o.store,
    writer,
    fleet: () => fleet,
    checkpoints,
    workspaces: o.workspaces,
    artifacts: o.artifacts,
    recorder: o.recorder,
    wakeSession,
    workspaceOf: (run: Run): Promise<WorkspaceInfo> => runReconciler.workspaceFromStatus(run),
    askUser: (run, requestId, question) =>
      gate.askUser(run, requestId, question, async (text) => {
        await fleet.get(run.metadata.uid!)?.handle.send(text, 'user');
      }),
    session: (namespace, name) => ({
      session: sessions.get(`${namespace}/${name}`),
      runs: runs.list((r) => r.metadata.namespace === namespace && r.spec.session === name),
    }),
    log,
  });
  fleet = new DriverFleet(o.launcher, events.handle, log);
  runReconciler = new RunReconciler({
    store: o.store,
    writer,
    fleet,
    checkpoints,
    workspaces: o.workspaces,
    launcher: o.launcher,
    recorder: o.recorder,
    // The call's own events (tool.invoked) are still in the run's event pump when its permission is
    // asked: let them land first, so the journal has the call before its approval.
    permission: async (run, call) => {
      await fleet.drain(run.metadata.uid!);
      return gate.decide(run, call);
    },
    cancelApprovals: (run, why) => gate.cancelOpen(run, why),
    track: (run, limits) => events.track(run, limits),
    wakeSession,
    wakeRuns,
    env: o.env,
    log,
  });

  const runController = controller('run-controller', runReconciler, 4);
  const sessionController = controller('session-controller', new SessionReconciler({ store: o.store, journal: o.journal, writer, runsOf: (ns, session) => runs.list((r) => r.metadata.namespace === ns && r.spec.session === session) }));
  const agentController = controller('agent-controller', new AgentReconciler({ store: o.store, probe: o.probe, capabilitiesOf: (d) => o.launcher.capabilitiesOf(d) }));
  const mountController = controller('repomount-controller', new RepoMountReconciler({ store: o.store, inspector: o.inspector }));
  const approvalController = controller('approval-controller', new ApprovalReconciler({ store: o.store, journal: o.journal, remember: rememberedRule }));
  const interventions = buildInterventionController({ store: o.store, journal: o.journal, writer, fleet, launcher: o.launcher, runs, wakeSession, recorder: o.recorder, resyncMs: o.resyncMs, log });
  const channels = buildChannelController({ store: o.store, journal: o.journal, runs, agents, sessions, resyncMs: o.resyncMs, log });
  const workflows = buildWorkflowController({ store: o.store, journal: o.journal, workspaces: o.workspaces, runs, approvals, recorder: o.recorder, env: o.env, resyncMs: o.resyncMs, log });

  runs.addHandlers({
    onAdd: (r) => {
      runController.enqueue(objectKey(r));
      sessionController.enqueue(`${r.metadata.namespace}/${r.spec.session}`);
    },
    onUpdate: (old, r) => {
      if (!queueMoveOnly(old, r)) runController.enqueue(objectKey(r));
      if (old.status?.phase !== r.status?.phase || (!old.metadata.deletionTimestamp && r.metadata.deletionTimestamp)) {
        sessionController.enqueue(`${r.metadata.namespace}/${r.spec.session}`);
        wakeApprovalsOf(r);
        wakeChildrenOf(r);
      }
    },
    onDelete: (r) => {
      wakeSession(r.metadata.namespace!, r.spec.session);
      wakeApprovalsOf(r);
      wakeChildrenOf(r);
    },
  });
  // A parent that fails, is interrupted or goes takes its child runs with it.
  const wakeChildrenOf = (r: Run): void => {
    for (const key of runsOf(r.metadata.namespace!, (c) => c.spec.parent === r.metadata.name)) runController.enqueue(key);
  };
  // A run that ends (or goes) takes its pending approvals with it: their controller cancels them.
  const wakeApprovalsOf = (r: Run): void => {
    for (const a of approvals.list((a) => a.metadata.namespace === r.metadata.namespace && a.spec.run === r.metadata.name)) approvalController.enqueue(objectKey(a));
  };
  approvals.addHandlers({
    onAdd: (a) => {
      approvalController.enqueue(objectKey(a));
      gate.observe(a);
    },
    onUpdate: (_old, a) => {
      approvalController.enqueue(objectKey(a));
      gate.observe(a);
    },
    // Deleted undecided (with its run, or by hand): whoever waits on it is refused.
    onDelete: (a) => gate.observe(asDeleted(a)),
  });
  sessions.addHandlers({
    onAdd: (s) => sessionController.enqueue(objectKey(s)),
    onUpdate: (old, s) => {
      sessionController.enqueue(objectKey(s));
      // A new phase, or new limits (a larger queue, a raised budget), can let queued runs move.
      if (old.status?.phase !== s.status?.phase || old.metadata.generation !== s.metadata.generation) wakeSession(s.metadata.namespace!, s.metadata.name!);
    },
  });
  // Queued runs that name the object may now be ready: each of their sessions' queue front decides
  // (waking every one of hundreds of waiting runs would mean as many full admission passes).
  const wakeRunsNaming = (field: 'agent' | 'repoMount') => (obj: KubeObject) => {
    const ns = obj.metadata.namespace!;
    const naming = runs.list((r) => r.metadata.namespace === ns && r.spec[field] === obj.metadata.name);
    for (const r of naming) if ((r.status?.phase ?? 'Queued') !== 'Queued') runController.enqueue(objectKey(r));
    for (const session of new Set(waitingRuns(naming).map((r) => r.spec.session))) wakeSession(ns, session);
  };
  agents.addHandlers({
    onAdd: (a) => {
      agentController.enqueue(objectKey(a));
      wakeRunsNaming('agent')(a);
    },
    onUpdate: (old, a) => {
      if (old.metadata.generation !== a.metadata.generation || old === a) agentController.enqueue(objectKey(a));
      if (old.status?.phase !== a.status?.phase) wakeRunsNaming('agent')(a);
    },
  });
  mounts.addHandlers({
    onAdd: (m) => {
      mountController.enqueue(objectKey(m));
      wakeRunsNaming('repoMount')(m);
    },
    onUpdate: (old, m) => {
      if (old.metadata.generation !== m.metadata.generation || old === m) mountController.enqueue(objectKey(m));
      if (old.status?.phase !== m.status?.phase) wakeRunsNaming('repoMount')(m);
    },
  });

  return {
    runnables: [runs, sessions, agents, mounts, approvals].map(informerRunnable).concat([runController, sessionController, agentController, mountController, approvalController]).concat(interventions.runnables).concat(channels.runnables).concat(workflows.runnables),
    fleet,
    runs,
    stopDrivers: () => fleet.stopAll(),
  };
}
