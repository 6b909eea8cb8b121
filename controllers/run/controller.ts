/**
 * Registers the Run controller: its reconciler, the driver events handler (which owns the driver
 * fleet), and what wakes a run — its own changes (not a queued run's position rewrites), its
 * parent's end, a slot freed in its session (the session queue says who is next), its session's
 * new phase or limits, and its agent or repo mount becoming ready.
 */
import type { Run } from '../../resources/kinds/run.js';
import type { Session } from '../../resources/kinds/session.js';
import type { KubeObject } from '../../resources/meta.js';
import type { DriverFleet } from '../../node/fleet.js';
import type { ControllerContext } from '../context.js';
import type { Controller } from '../runtime/controller.js';
import { controllerFor, type Change } from '../runtime/builder.js';
import { objectKey } from '../runtime/informer.js';
import { isWaiting } from '../../resources/run-queue.js';
import { CheckpointStore } from './checkpoints.js';
import { RunEvents } from './run-events.js';
import { RunReconciler } from './reconciler.js';
import { SessionQueue } from './session-queue.js';

export interface RunController {
  controller: Controller;
  fleet: DriverFleet;
}

/**
 * A queued run whose status alone changed (its position or the reason it waits) asks nothing of
 * the run controller: re-deciding admission for it on each of those writes would make every
 * position rewrite cost a full admission pass.
 */
export function queueMoveOnly(old: Run, r: Run): boolean {
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

/** Whether a run's phase changed, or it started going, or went. */
export function phaseOrDeletionChanged(c: Change<Run>): boolean {
  if (c.type === 'add') return false;
  if (c.type === 'delete') return true;
  return c.old.status?.phase !== c.obj.status?.phase || (!c.old.metadata.deletionTimestamp && !!c.obj.metadata.deletionTimestamp);
}

export function registerRunController(c: ControllerContext): RunController {
  const runs = c.informers.of<Run>('runs');
  const sessions = c.informers.of<Session>('sessions');
  const checkpoints = new CheckpointStore(c.store, c.clock);
  const events = new RunEvents({
    store: c.store,
    writer: c.writer,
    launcher: c.launcher,
    checkpoints,
    workspaces: c.workspaces,
    artifacts: c.artifacts,
    recorder: c.recorder,
    askUser: (run, requestId, question, deliver) => c.gate.askUser(run, requestId, question, deliver),
    session: (namespace, name) => ({ session: sessions.get(`${namespace}/${name}`), runs: [...c.queue.runsOf(namespace, name).runs.values()] }),
    clock: c.clock,
    log: c.log,
  });
  const reconciler = new RunReconciler({
    store: c.store,
    writer: c.writer,
    fleet: events.fleet,
    launcher: c.launcher,
    checkpoints,
    workspaces: c.workspaces,
    queue: c.queue,
    events,
    gate: c.gate,
    recorder: c.recorder,
    clock: c.clock,
    env: c.env,
    ...(c.modelRelay ? { modelRelay: c.modelRelay } : {}),
    log: c.log,
  });

  // A parent that fails, is interrupted or goes takes its child runs with it.
  const childrenOf = (r: Run): string[] => runs.list((x) => x.metadata.namespace === r.metadata.namespace && x.spec.parent === r.metadata.name).map(objectKey);
  // Queued runs that name the object may now be ready: the front of each of their sessions decides
  // (waking every one of hundreds of waiting runs would mean as many full admission passes).
  // A new phase, or a new message in the same phase (a mount path that now exists but is no git
  // repository), changes what the waiting runs say.
  const readiness = (o: KubeObject) => {
    const st = o.status as { phase?: string; message?: string } | undefined;
    return `${st?.phase ?? ''}\u0000${st?.message ?? ''}`;
  };
  const WAITS_FOR = { agent: 'AgentNotReady', repoMount: 'RepoMountNotReady' } as const;
  const naming = (field: 'agent' | 'repoMount') => (ch: Change<KubeObject>): string[] => {
    const obj = ch.obj;
    if (ch.type === 'delete' || (ch.type === 'update' && readiness(ch.old) === readiness(obj))) return [];
    const ns = obj.metadata.namespace!;
    const named = runs.list((r) => r.metadata.namespace === ns && r.spec[field] === obj.metadata.name);
    const keys = named.filter((r) => (r.status?.phase ?? 'Queued') !== 'Queued').map(objectKey);
    for (const session of new Set(named.filter(isWaiting).map((r) => r.spec.session))) keys.push(...c.queue.front(ns, session));
    // The runs that say they wait for this very object re-decide too, wherever they are in the
    // queue: otherwise one behind a full session's front would keep saying RepoMountNotReady
    // (or AgentNotReady) after the mount was fixed.
    keys.push(...named.filter((r) => isWaiting(r) && r.status?.reason === WAITS_FOR[field]).map(objectKey));
    return [...new Set(keys)];
  };

  const controller = controllerFor<Run>('Run', 'runs', c.informers, c.log)
    .workers(4)
    .when((ch) => ch.type === 'add' || (ch.type === 'update' && !queueMoveOnly(ch.old, ch.obj)))
    .watches<Run>('runs', (ch) => [
      ...(phaseOrDeletionChanged(ch) ? childrenOf(ch.obj) : []),
      ...(SessionQueue.freesSlot({ run: ch.obj, ...(ch.type === 'update' ? { old: ch.old } : {}), deleted: ch.type === 'delete' }) ? c.queue.front(ch.obj.metadata.namespace!, ch.obj.spec.session) : []),
    ])
    // A new phase, or new limits (a larger queue, a raised budget), can let queued runs move.
    .watches<Session>('sessions', (ch) =>
      ch.type === 'update' && (ch.old.status?.phase !== ch.obj.status?.phase || ch.old.metadata.generation !== ch.obj.metadata.generation) ? c.queue.front(ch.obj.metadata.namespace!, ch.obj.metadata.name!) : [],
    )
    .watches<KubeObject>('agents', naming('agent'))
    .watches<KubeObject>('repomounts', naming('repoMount'))
    .reconcile(reconciler);

  return {
    controller,
    fleet: events.fleet,
  };
}
