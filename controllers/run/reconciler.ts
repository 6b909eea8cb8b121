/**
 * The Run reconciler: moves a Run one step toward its spec per pass — admit it into a session
 * slot (./admit.ts), prepare its workspace, start its driver, pause/resume it, recover it after a restart,
 * and retire its workspace when it is deleted. Driver events (turns, tool calls, completion) are
 * handled by RunEvents (./run-events.ts); both write through RunWriter so every status change is
 * committed with its journal event.
 */
import type { Store } from '../../api/store/store.js';
import type { EventRecorder } from '../../api/events/recorder.js';
import type { Run } from '../../resources/kinds/run.js';
import { DELETE_BRANCH_ANNOTATION, RunPhase } from '../../resources/kinds/run.js';
import type { Agent } from '../../resources/kinds/agent.js';
import type { RepoMount } from '../../resources/kinds/repomount.js';
import type { ObjectKey, Reconciler, Result } from '../runtime/controller.js';
import { KeyedLock } from '../../api/keyed-lock.js';
import { RunAdmission } from './admit.js';
import { addFinalizer, hasFinalizer, removeFinalizer } from './finalizer.js';
import type { SessionQueue } from './session-queue.js';
import type { RunEvents } from './run-events.js';
import type { ApprovalGate } from '../approval/gate.js';
import { systemClock, type Clock } from '../runtime/clock.js';
import { isTerminalPhase } from './phases.js';
import { agentConfigFor } from './agent-config.js';
import { serverToolsOf } from './server-tools.js';
import { IsolationUnavailableError, requestedPolicy } from '../../node/sandbox/isolation.js';
import { runBudget, runMaxTurns } from './budget.js';
import type { CheckpointStore } from './checkpoints.js';
import type { DriverFleet } from '../../node/fleet.js';
import type { RunWriter } from './run-writer.js';
import type { Workspaces, WorkspaceInfo } from '../../node/ports.js';
import type { PrepareRequest } from '../../node/workspace/workspace.js';
import { runBranch } from '../../node/workspace/layout.js';
import type { DriverLauncher } from '../../node/ports.js';
import type { ModelRelayEndpoint } from '../../node/model-relay.js';
import { workspaceFromStatus } from './workspace-of.js';
import { controllerActor, failRun, moveRun, nowTime, workspaceOf } from './run-status.js';
import type { PermissionDecision, ToolCall } from '../../node/drivers/contract.js';

export interface RunReconcilerDeps {
  store: Store;
  writer: RunWriter;
  fleet: DriverFleet;
  launcher: DriverLauncher;
  checkpoints: CheckpointStore;
  workspaces: Workspaces;
  /** The session queues: admission decides over them. */
  queue: SessionQueue;
  /** Where a started driver's events are handled (its budget and routing are registered first). */
  events: Pick<RunEvents, 'track'>;
  /** Decides gated tool calls, and cancels a run's undecided approvals. */
  gate: Pick<ApprovalGate, 'decide' | 'cancelOpen'>;
  recorder?: EventRecorder;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
  /** On a runtime node: where agents whose key the control plane keeps send their model calls. */
  modelRelay?: ModelRelayEndpoint;
  log?: (line: string) => void;
}

export class RunReconciler implements Reconciler {
  /** Admission reads the session's runs and takes a slot: one decision per session at a time. */
  private readonly sessionLock = new KeyedLock();

  private readonly clock: Clock;
  private readonly admission: RunAdmission;

  constructor(private readonly d: RunReconcilerDeps) {
    this.clock = d.clock ?? systemClock;
    this.admission = new RunAdmission(d);
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const run = await this.d.store.find<Run>('runs', key.namespace, key.name);
    if (!run) return {};
    if (run.metadata.deletionTimestamp) return this.finalize(run);
    const phase = run.status?.phase ?? RunPhase.Queued;
    // The finalizer guards a workspace; a queued run has none yet and is taken at admission.
    if (phase !== RunPhase.Queued && !isTerminalPhase(phase) && !hasFinalizer(run)) {
      await addFinalizer(this.d.store, run);
      return {};
    }
    if (isTerminalPhase(phase)) {
      await this.d.fleet.stop(run.metadata.uid!);
      return {};
    }
    const orphaned = run.spec.parent !== undefined ? await this.admission.parentEnded(run) : undefined;
    if (orphaned) {
      await this.fail(run, { category: 'Policy', reason: 'ParentEnded', message: orphaned, event: 'INTERRUPT' });
      return {};
    }
    switch (phase) {
      case RunPhase.Queued:
        return this.sessionLock.run(`${run.metadata.namespace}/${run.spec.session}`, () => this.admission.admit(run));
      case RunPhase.Starting:
        return this.start(run);
      case RunPhase.Paused:
        // Level-based: whatever the pause left open (a failed pass, a late request) is canceled.
        await this.d.gate.cancelOpen(run, `run ${run.metadata.name} was paused`);
        return run.spec.suspend ? {} : this.resume(run);
      default:
        return this.supervise(run);
    }
  }

  /** Starting: workspace (idempotent), then the driver. Any failure fails the run; nothing falls back. */
  private async start(run: Run): Promise<Result> {
    const ns = run.metadata.namespace!;
    const name = run.metadata.name!;
    let ws: WorkspaceInfo;
    let req: PrepareRequest | undefined;
    try {
      req = await this.workspaceRequest(run);
      ws = await this.d.workspaces.prepare(req);
    } catch (err) {
      const reason = (err as { reason?: string }).reason ?? 'WorkspaceFailed';
      await this.fail(run, { category: 'Workspace', reason, message: (err as Error).message, event: 'START_FAILED' });
      return {};
    }
    await this.d.writer.commit(ns, name, (r) => {
      if (r.status?.phase !== RunPhase.Starting || r.status.workspace?.path === ws.path) return null;
      r.status.workspace = workspaceOf(ws);
      moveRun(r, { condition: { type: 'WorkspaceReady', status: 'True', reason: reasonForMode(ws.mode), message: describeWorkspace(ws) } });
      return [{ type: 'workspace.ready', actor: controllerActor, payload: { ...workspaceOf(ws) } }];
    });
    this.d.recorder?.normal(run, reasonForMode(ws.mode), describeWorkspace(ws));
    const taken = branchTaken(req, ws);
    if (taken) this.d.recorder?.normal(run, 'BranchTaken', `branch ${taken} exists (left by an earlier run): this run commits to ${ws.branch}`);
    return this.launch(run, ws, 'DRIVER_STARTED');
  }

  /** Starts the driver process and moves the run to Running (from Starting or Paused). */
  private async launch(run: Run, ws: WorkspaceInfo, event: 'DRIVER_STARTED' | 'RESUME' | 'RECOVER'): Promise<Result> {
    const ns = run.metadata.namespace!;
    const agent = await this.d.store.find<Agent>('agents', ns, run.spec.agent);
    if (!agent) {
      await this.fail(run, { category: 'Provider', reason: 'AgentNotFound', message: `agent "${run.spec.agent}" not found`, event: 'FAIL' });
      return {};
    }
    let config;
    try {
      config = await agentConfigFor(agent, this.d.env, this.d.modelRelay);
      const serverTools = await serverToolsOf(this.d.store, agent);
      if (serverTools.length > 0) config = { ...config, serverTools };
    } catch (err) {
      await this.fail(run, { category: 'Provider', reason: (err as { reason?: string }).reason ?? 'AgentConfigInvalid', message: (err as Error).message, event: 'FAIL' });
      return {};
    }
    config = { ...config, maxTurns: runMaxTurns(run, config.maxTurns, agent) };
    const checkpoint = event === 'DRIVER_STARTED' ? undefined : await this.d.checkpoints.load(run.metadata.uid!);
    const interruptedCalls = event === 'RECOVER' ? await this.d.writer.interruptedToolCalls(run) : [];
    this.d.events.track(run, { budget: runBudget(run, agent), maxTurns: config.maxTurns });
    const mount = run.spec.repoMount ? await this.d.store.find<RepoMount>('repomounts', ns, run.spec.repoMount) : undefined;
    let entry;
    try {
      entry = await this.d.fleet.launch(
        run.metadata.uid!,
        {
          run: { namespace: ns, name: run.metadata.name!, uid: run.metadata.uid!, session: run.spec.session },
          prompt: run.spec.prompt,
          agent: config,
          workspace: { path: ws.path, readOnly: ws.readOnly },
          ...(checkpoint ? { checkpoint } : {}),
          ...(interruptedCalls.length ? { interruptedCalls } : {}),
          ...optional('isolation', requestedPolicy([agent.spec.isolation, mount?.spec.isolation])),
        },
        // The call's own events (tool.invoked) are still in the run's event pump when its
        // permission is asked: let them land first, so the journal has the call before its approval.
        async (call) => {
          await this.d.fleet.drain(run.metadata.uid!);
          return this.d.gate.decide(run, call);
        },
      );
    } catch (err) {
      if (!(err instanceof IsolationUnavailableError)) throw err;
      await this.fail(run, { category: 'Policy', reason: err.reason, message: err.message, event: 'FAIL' });
      return {};
    }
    const isolation = entry.handle.isolation;
    await this.d.writer.commit(ns, run.metadata.name!, (r) => {
      if (isolation) r.status = { ...r.status, isolation };
      if (event === 'RECOVER') {
        // The approval or answer the stopped driver waited on was canceled: the run works again.
        if (r.status?.phase === RunPhase.WaitingForApproval || r.status?.phase === RunPhase.WaitingForInput) moveRun(r, { event: 'RESOLVED' });
        delete r.status!.pendingApprovals;
        return [{ type: 'run.recovered', actor: controllerActor, payload: { fromTurn: checkpoint?.turns ?? 0, ...(checkpoint ? {} : { fromStart: true }) } }];
      }
      if (event === 'DRIVER_STARTED' && r.status?.phase !== RunPhase.Starting) return null;
      if (event === 'RESUME' && r.status?.phase !== RunPhase.Paused) return null;
      moveRun(r, { event, condition: { type: 'DriverRunning', status: 'True', reason: 'DriverStarted', message: `${config.driver} driver process started` } });
      r.status!.startedAt ??= nowTime(this.clock);
      return [{ type: 'run.Running', actor: controllerActor, payload: { driver: config.driver, ...(isolation ? { isolation } : {}), ...(event === 'RESUME' ? { resumed: true } : {}) } }];
    });
    return {};
  }

  /** Running / waiting: pause on request; a run with no live driver (daemon restart) recovers. */
  private async supervise(run: Run): Promise<Result> {
    const uid = run.metadata.uid!;
    const live = this.d.fleet.get(uid);
    if (run.spec.suspend) {
      await this.d.fleet.stop(uid, 'interrupt');
      // The driver's last checkpoint may still be in the event pump: Paused promises it is saved
      // (a resume right after, or a kill -9, must not start from an older one).
      await this.d.fleet.drain(uid);
      await this.d.writer.commit(run.metadata.namespace!, run.metadata.name!, (r) => {
        const phase = r.status?.phase;
        if (phase === RunPhase.WaitingForApproval || phase === RunPhase.WaitingForInput) moveRun(r, { event: 'RESOLVED' });
        if (r.status?.phase !== RunPhase.Running) return null;
        moveRun(r, { event: 'PAUSE', condition: { type: 'DriverRunning', status: 'False', reason: 'Paused', message: 'paused by spec.suspend; the transcript is saved' } });
        // What the stopped driver asked is void: after resuming, the agent asks again if it must.
        delete r.status!.pendingApprovals;
        return [{ type: 'run.Paused', actor: controllerActor }];
      });
      await this.d.gate.cancelOpen(run, `run ${run.metadata.name} was paused`);
      return {};
    }
    if (live) return this.checkIdle(run, live.lastOutputAt);
    // A driver that has just exited may still have events in the pump (its last checkpoint, its
    // run.completed): let them land first, or a finished run would be "recovered" from an older
    // checkpoint and ask its model again.
    await this.d.fleet.drain(uid);
    const current = await this.d.store.find<Run>('runs', run.metadata.namespace!, run.metadata.name!);
    if (!current || current.status?.phase !== run.status?.phase || this.d.fleet.has(uid)) return {};
    return this.recover(current);
  }

  private checkIdle(run: Run, lastOutputAt: number): Result {
    const timeout = run.spec.timeoutSeconds;
    if (!timeout) return {};
    const idleMs = this.clock.now() - lastOutputAt;
    if (idleMs < timeout * 1000) return { requeueAfterMs: timeout * 1000 - idleMs + 10 };
    // Not awaited (the pass returns now), so a store fault here must be caught: as an unhandled
    // rejection it would end the daemon. It is logged; the run, driver stopped, is recovered on
    // its next pass.
    void this.d.fleet
      .stop(run.metadata.uid!, 'interrupt')
      .then(() => this.fail(run, { category: 'Timeout', reason: 'Timeout', message: `no driver output for ${timeout}s`, event: 'FAIL' }))
      .catch((err: unknown) => this.d.log?.(`run ${run.metadata.namespace}/${run.metadata.name}: timing out failed: ${(err as Error).message}`));
    return {};
  }

  /**
   * After a restart: resume from the checkpoint where the driver can. A run that had saved no
   * checkpoint yet (killed at its first approval or during its first tool call) starts again from
   * its prompt — its conversation so far is in the journal — as long as no tool call of it had
   * finished (those would run twice); the call that was in flight follows the recovery rules
   * (re-run only if idempotent). Otherwise it fails RecoveryNeeded.
   */
  private async recover(run: Run): Promise<Result> {
    const agent = await this.d.store.find<Agent>('agents', run.metadata.namespace!, run.spec.agent);
    const caps = agent ? this.d.launcher.capabilitiesOf(agent.spec.driver) : undefined;
    const checkpoint = caps?.resume ? await this.d.checkpoints.load(run.metadata.uid!) : undefined;
    const ws = run.status?.workspace;
    const fromStart = caps?.resume && !checkpoint && ws?.path && (await this.d.writer.toolCallsOf(run)).finished === 0;
    if (!caps?.resume || (!checkpoint && !fromStart) || !ws?.path) {
      await this.fail(run, {
        category: 'Persistence',
        reason: 'RecoveryNeeded',
        message: !caps
          ? 'the agent is gone'
          : !caps.resume
            ? `the ${agent!.spec.driver} driver cannot resume a run`
            : !ws?.path
              ? 'the run has no workspace to resume in'
              : 'no checkpoint was saved before the restart, and tool calls had already finished',
        event: 'FAIL',
      });
      return {};
    }
    // What the stopped driver asked is void: the resumed agent asks again if it must.
    await this.d.gate.cancelOpen(run, `the daemon restarted while run ${run.metadata.name} waited`);
    return this.launch(run, await workspaceFromStatus(this.d.store, run), 'RECOVER');
  }

  private async resume(run: Run): Promise<Result> {
    if (this.d.fleet.has(run.metadata.uid!)) return {};
    return this.launch(run, await workspaceFromStatus(this.d.store, run), 'RESUME');
  }

  /** Deleting: stop the driver, retire the workspace per the mount's cleanup policy, drop the finalizer. */
  private async finalize(run: Run): Promise<Result> {
    if (!hasFinalizer(run)) return {};
    await this.d.fleet.stop(run.metadata.uid!);
    const ws = run.status?.workspace;
    if (ws?.path) {
      const mount = run.spec.repoMount ? await this.d.store.find<RepoMount>('repomounts', run.metadata.namespace!, run.spec.repoMount) : undefined;
      // The mount may be gone before its runs: its default policy (OnDelete) still retires them.
      const { retired } = await this.d.workspaces.retire(await workspaceFromStatus(this.d.store, run), mount?.spec.cleanup ?? 'OnDelete', 'RunDeleted');
      if (retired) await this.d.writer.record(run, [{ type: 'workspace.retired', actor: controllerActor, run: run.metadata.name, payload: { path: ws.path, mode: ws.mode ?? 'Scratch' } }]).catch(() => undefined);
      if (run.metadata.annotations?.[DELETE_BRANCH_ANNOTATION] === 'true') await this.deleteBranch(run, mount);
    }
    await this.d.checkpoints.remove(run.metadata.uid!);
    await removeFinalizer(this.d.store, run);
    return {};
  }

  /** `delete --delete-branch`: the run's worktree branch goes too, if it is still only the run's work. */
  private async deleteBranch(run: Run, mount: RepoMount | undefined): Promise<void> {
    const ws = run.status?.workspace;
    const mountRoot = mount?.status?.root ?? mount?.spec.path;
    if (ws?.mode !== 'Worktree' || !ws.branch || !mountRoot) return;
    const target = { mountRoot, branch: ws.branch, runUid: run.metadata.uid!, ...(ws.baseCommit ? { baseCommit: ws.baseCommit } : {}) };
    const { deleted, kept } = await this.d.workspaces.deleteBranch(target);
    if (deleted) this.d.recorder?.normal(run, 'BranchDeleted', `branch ${ws.branch} deleted with the run`);
    else this.d.recorder?.warning(run, 'BranchKept', `${kept ?? `branch ${ws.branch} kept`}: not deleted`);
  }

  private async fail(run: Run, f: Parameters<typeof failRun>[1]): Promise<void> {
    await this.d.fleet.stop(run.metadata.uid!);
    await this.d.writer.commit(run.metadata.namespace!, run.metadata.name!, (r) => failRun(r, { ...f, at: nowTime(this.clock) }));
    this.d.recorder?.warning(run, f.reason, f.message);
  }

  private async workspaceRequest(run: Run): Promise<PrepareRequest> {
    const ref = { namespace: run.metadata.namespace!, name: run.metadata.name!, uid: run.metadata.uid!, session: run.spec.session };
    if (!run.spec.repoMount) return { run: ref, mode: 'Scratch' };
    const mount = await this.d.store.find<RepoMount>('repomounts', run.metadata.namespace!, run.spec.repoMount);
    if (!mount) throw Object.assign(new Error(`repomount "${run.spec.repoMount}" not found`), { reason: 'RepoMountNotFound' });
    const mode = run.spec.mode ?? mount.spec.mode ?? 'Worktree';
    // A run whose status records its branch goes on on it (a restart, a resume); only a new run's
    // branch is derived (and suffixed when an earlier run's branch holds the name).
    const recorded = mode === 'Worktree' ? run.status?.workspace?.branch : undefined;
    return {
      run: ref,
      mode,
      ...(recorded ? { branch: recorded } : {}),
      mount: {
        path: mount.spec.path,
        ...((run.spec.baseRef ?? mount.spec.baseRef) ? { baseRef: run.spec.baseRef ?? mount.spec.baseRef } : {}),
        ...(mount.spec.branch ? { branch: mount.spec.branch } : {}),
        branchPrefix: mount.spec.branchPrefix ?? 'sidekicks/',
        copyFiles: mount.spec.copyFiles ?? [],
      },
    };
  }
}

/** The derived branch a new worktree run found taken (it got a suffixed one instead), or undefined. */
function branchTaken(req: PrepareRequest, ws: WorkspaceInfo): string | undefined {
  if (ws.mode !== 'Worktree' || !ws.branch || req.branch || !req.mount) return undefined;
  const derived = runBranch(req.run, req.mount.branchPrefix);
  return ws.branch !== derived ? derived : undefined;
}

function reasonForMode(mode: WorkspaceInfo['mode']): string {
  return { Worktree: 'WorktreeCreated', EphemeralClone: 'CloneCreated', Branch: 'BranchCheckedOut', ReadOnly: 'ReadOnlyMounted', Scratch: 'ScratchCreated' }[mode];
}

function describeWorkspace(ws: WorkspaceInfo): string {
  const at = ws.baseCommit ? `@${ws.baseCommit.slice(0, 7)}` : '';
  return ws.branch ? `${ws.mode.toLowerCase()} at ${ws.path} on ${ws.branch} from ${at || 'HEAD'}` : `${ws.mode.toLowerCase()} at ${ws.path}`;
}

/** `{ [key]: value }` when value is set, else `{}` (for optional fields under exactOptionalPropertyTypes-style spreads). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}
