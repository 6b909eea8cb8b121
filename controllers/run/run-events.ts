/**
 * Handles a run's driver events, one at a time: journals messages and tool calls, reflects
 * turns, usage and requests into status, saves checkpoints, and finishes the run — commit with
 * trailers, Diff artifact, diff stats — when the driver completes. Each status change commits
 * with its journal events (RunWriter).
 */
import type { Store } from '../../api/store/store.js';
import type { EventRecorder } from '../../api/events/recorder.js';
import type { JournalEventInput } from '../../api/journal/event.js';
import type { Run } from '../../resources/kinds/run.js';
import { RunPhase } from '../../resources/kinds/run.js';
import type { RepoMount } from '../../resources/kinds/repomount.js';
import type { DriverEvent } from '../../node/drivers/contract.js';
import type { CheckpointStore } from './checkpoints.js';
import { DriverFleet, type FleetEntry } from '../../node/fleet.js';
import type { RunWriter } from './run-writer.js';
import { createOrUpdate } from '../runtime/create-or-update.js';
import type { ArtifactContent, DriverLauncher, Workspaces, WorkspaceInfo } from '../../node/ports.js';
import { workspaceFromStatus } from './workspace-of.js';
import type { Session } from '../../resources/kinds/session.js';
import { NameLabel, nameLabels } from '../../resources/name-labels.js';
import { systemClock, type Clock } from '../runtime/clock.js';
import { controllerActor, failRun, moveRun, nowTime } from './run-status.js';
import { isTerminalPhase } from './phases.js';
import { addUsage, checkBudget, sessionBudget, totalUsage, turnWarning, usageOf, type Budget, type Usage } from './budget.js';

/** Tool output kept in the journal; the rest is summarized (the full text went to the model). */
const JOURNAL_OUTPUT_CAP = 16 * 1024;

export interface RunEventsDeps {
  store: Store;
  writer: RunWriter;
  /** Starts the drivers whose events this handles (the fleet is built here, with its handler). */
  launcher: DriverLauncher;
  checkpoints: CheckpointStore;
  workspaces: Workspaces;
  artifacts: ArtifactContent;
  recorder?: EventRecorder;
  /**
   * Files the question a run waits on as a UserInput approval; the answer goes back to the driver
   * through `deliver` (the approval gate).
   */
  askUser?(run: Run, requestId: string, question: string, deliver: (text: string) => Promise<void>): void;
  /** The session a run belongs to and its runs, as last seen (for the session budget). */
  session(namespace: string, name: string): { session?: Session; runs: Run[] };
  clock?: Clock;
  log?: (line: string) => void;
}

/** What a run may use: its token and cost budget and the agent's turn limit. */
export interface RunLimits {
  budget: Budget;
  maxTurns: number;
}

interface TrackedRun extends RunLimits {
  namespace: string;
  name: string;
  uid: string;
  session: string;
  agent: string;
}

function cap(text: string): string {
  return text.length <= JOURNAL_OUTPUT_CAP ? text : `${text.slice(0, JOURNAL_OUTPUT_CAP)}\n… (${text.length - JOURNAL_OUTPUT_CAP} more characters)`;
}

export class RunEvents {
  /** Run uid → where its events go, for runs started by this daemon. */
  private readonly runs = new Map<string, TrackedRun>();
  /** The live drivers, whose events come here. */
  readonly fleet: DriverFleet;

  constructor(private readonly d: RunEventsDeps) {
    this.fleet = new DriverFleet(d.launcher, this.handle, d.log, undefined, () => (d.clock ?? systemClock).now());
  }

  /** Tells the handler which run a driver belongs to and its budget (before its first event). */
  track(run: Run, limits: RunLimits): void {
    this.runs.set(run.metadata.uid!, { namespace: run.metadata.namespace!, name: run.metadata.name!, uid: run.metadata.uid!, session: run.spec.session, agent: run.spec.agent, ...limits });
  }

  /** The fleet's event handler. */
  handle = async (runUid: string, event: DriverEvent, entry: FleetEntry): Promise<void> => {
    const ref = this.runs.get(runUid);
    if (!ref) return;
    if (event.type === 'checkpoint') return this.d.checkpoints.save(runUid, event.checkpoint);
    if (event.type === 'raw') return;
    // Events of a driver we are stopping on purpose (pause, cancel) change nothing.
    if (entry.stopping && event.type === 'run.failed') return this.ignored(ref, event, 'the driver was being stopped (pause, interrupt or cancel)');
    const { namespace, name } = ref;
    const actor: JournalEventInput['actor'] = { kind: 'agent', name: ref.agent };
    switch (event.type) {
      case 'assistant.message':
      case 'assistant.thinking':
        await this.journalOnly(ref, { type: event.type, actor, payload: { text: event.text } });
        return;
      case 'driver.warning':
        await this.journalOnly(ref, { type: event.type, actor, payload: { kind: event.kind, message: event.message } });
        return;
      case 'tool.invoked':
      case 'tool.replayed':
      case 'tool.skipped_during_recovery':
        await this.journalOnly(ref, { type: event.type, actor, payload: { callId: event.callId, tool: event.tool, input: event.input } });
        return;
      case 'tool.result':
        await this.journalOnly(ref, {
          type: event.ok ? 'tool.result' : 'tool.error',
          actor,
          payload: {
            callId: event.callId,
            tool: event.tool,
            ok: event.ok,
            output: cap(event.output),
            ...(event.exitCode !== undefined ? { exitCode: event.exitCode } : {}),
            ...(event.durationMs !== undefined ? { durationMs: event.durationMs } : {}),
            ...(event.truncated ? { truncated: true } : {}),
          },
        });
        return;
      case 'turn': {
        let previous = 0;
        const run = await this.d.writer.commit(namespace, name, (r) => {
          previous = r.status?.turns ?? 0;
          return r.status?.turns === event.turn ? null : ((r.status!.turns = event.turn), []);
        });
        if (!run) return;
        const warning = turnWarning(event.turn, previous, ref.maxTurns);
        if (warning) this.d.recorder?.warning(run, 'BudgetWarning', warning);
        // The run's own turn limit is its driver's; the session's turn budget is checked here.
        const before = { ...usageOf(run), turns: previous };
        return this.checkSession(ref, run, before, usageOf(run));
      }
      case 'usage':
        return this.usage(ref, event);
      case 'request.input': {
        let phase: string | undefined;
        const run = await this.d.writer.commit(namespace, name, (r) => {
          phase = r.status?.phase;
          if (phase !== RunPhase.Running) return null;
          moveRun(r, { event: 'INPUT_REQUESTED' });
          return [{ type: 'run.WaitingForInput', actor: controllerActor, payload: { requestId: event.requestId, question: event.question } }];
        });
        if (run && phase === RunPhase.Running) this.d.askUser?.(run, event.requestId, event.question, async (text) => {
          await this.fleet.get(runUid)?.handle.send(text, 'user');
        });
        else if (run) await this.ignored(ref, event, `the run is ${phase}`);
        return;
      }
      case 'run.completed':
        return this.complete(runUid, ref, event);
      case 'run.failed': {
        let ended: string | undefined;
        const run = await this.d.writer.commit(namespace, name, (r) => {
          if (isTerminalPhase(r.status?.phase)) ended = r.status!.phase;
          return failRun(r, { at: nowTime(this.d.clock), category: event.category, reason: event.reason, message: event.message, event: 'FAIL' });
        });
        if (ended) await this.ignored(ref, event, `the run had already ended ${ended}`);
        else if (run) this.d.recorder?.warning(run, event.reason, event.message);
        void this.fleet.stop(runUid);
        return;
      }
    }
  };

  /**
   * Journals a driver event that could not be applied in the run's phase, with the reason: nothing
   * a driver reports is dropped without a trace.
   */
  private async ignored(ref: TrackedRun, event: DriverEvent, reason: string): Promise<void> {
    this.d.log?.(`run ${ref.namespace}/${ref.name}: driver event ${event.type} not applied: ${reason}`);
    await this.journalOnly(ref, { type: 'driver.event_ignored', actor: controllerActor, payload: { event: event.type, reason } });
  }

  private async journalOnly(ref: TrackedRun, event: JournalEventInput): Promise<void> {
    await this.d.writer.record(ref, [{ ...event, run: ref.name }]);
  }

  /** Adds usage to the run, warns at 80% of the run's or the session's budget, and ends the run at 100%. */
  private async usage(ref: TrackedRun, u: Extract<DriverEvent, { type: 'usage' }>): Promise<void> {
    const { namespace, name } = ref;
    let before: Usage = { tokens: 0, usd: 0, turns: 0 };
    const run = await this.d.writer.commit(namespace, name, (r) => {
      before = usageOf(r);
      const usage = (r.status!.usage ??= {});
      usage.inputTokens = (usage.inputTokens ?? 0) + u.inputTokens;
      usage.outputTokens = (usage.outputTokens ?? 0) + u.outputTokens;
      // Stored, not computed per table: the column is a JSONPath, for kubectl's CRD printer columns too.
      usage.totalTokens = usage.inputTokens + usage.outputTokens;
      if (u.costUSD !== undefined) usage.costUSD = Math.round(((usage.costUSD ?? 0) + u.costUSD) * 1e6) / 1e6;
      return [{ type: 'usage.tokens', actor: controllerActor, payload: { inputTokens: u.inputTokens, outputTokens: u.outputTokens, ...(u.costUSD !== undefined ? { costUSD: u.costUSD } : {}), total: usage.totalTokens } }];
    });
    if (!run) return;
    const own = checkBudget('run', ref.budget, before, usageOf(run));
    for (const warning of own.warnings) this.d.recorder?.warning(run, 'BudgetWarning', warning);
    if (own.exhausted) return this.exhaust(ref, run, own.exhausted);
    return this.checkSession(ref, run, before, usageOf(run));
  }

  /** Warns at 80% of the session's budget and ends the run at 100% (the session's other runs as last seen, plus this one as just committed). */
  private async checkSession(ref: TrackedRun, run: Run, before: Usage, after: Usage): Promise<void> {
    const { session, runs } = this.d.session(ref.namespace, ref.session);
    const others = totalUsage(runs.filter((r) => r.metadata.uid !== run.metadata.uid));
    const shared = checkBudget(`session "${ref.session}"`, sessionBudget(session), addUsage(others, before), addUsage(others, after));
    for (const warning of shared.warnings) this.d.recorder?.warning(session ?? run, 'BudgetWarning', warning);
    if (shared.exhausted) await this.exhaust(ref, run, shared.exhausted);
  }

  private async exhaust(ref: TrackedRun, run: Run, exhausted: string): Promise<void> {
    const { namespace, name } = ref;
    await this.fleet.stop(run.metadata.uid!, 'interrupt');
    await this.d.writer.commit(namespace, name, (r) => failRun(r, { at: nowTime(this.d.clock), category: 'Budget', reason: 'BudgetExhausted', message: exhausted, event: 'FAIL' }));
    this.d.recorder?.warning(run, 'BudgetExhausted', exhausted);
  }

  /**
   * Commits the work, publishes the Diff artifact and ends the run Completed. Safe to repeat. A
   * completion that arrives while the run waits for an approval or an answer completes it too
   * (the agent finished without it; its open approvals are canceled as the run ends); one that
   * arrives while the run is paused or over is journalled as not applied.
   */
  private async complete(runUid: string, ref: TrackedRun, event: Extract<DriverEvent, { type: 'run.completed' }>): Promise<void> {
    const { namespace, name } = ref;
    const summary = event.summary;
    const run = await this.d.store.get<Run>('runs', namespace, name);
    if (!completable(run.status?.phase)) return this.ignored(ref, event, `the run is ${run.status?.phase}`);
    const ws = await workspaceFromStatus(this.d.store, run);
    let finished;
    try {
      finished = ws.mode === 'ReadOnly' || ws.mode === 'Scratch' ? undefined : await this.d.workspaces.finish(ws, { runUid, agentName: run.spec.agent, message: commitMessage(run, summary) });
    } catch (err) {
      await this.d.writer.commit(namespace, name, (r) => failRun(r, { at: nowTime(this.d.clock), category: 'Workspace', reason: 'CommitFailed', message: (err as Error).message, event: 'FAIL' }));
      void this.fleet.stop(runUid);
      return;
    }
    let artifactName: string | undefined;
    let digest: string | undefined;
    if (finished && finished.diff.length > 0) {
      const stored = await this.d.artifacts.put(finished.diff);
      digest = stored.digest;
      artifactName = `${name}-diff`;
      await this.publishArtifact(run, artifactName, stored);
    }
    const done = await this.d.writer.commit(namespace, name, (r) => {
      if (!completable(r.status?.phase)) return null;
      if (r.status!.phase !== RunPhase.Running) moveRun(r, { event: 'RESOLVED' });
      delete r.status!.pendingApprovals;
      moveRun(r, { event: 'COMPLETE', condition: { type: 'Succeeded', status: 'True', reason: 'AgentFinished', message: summary ?? 'the agent finished' } });
      moveRun(r, { condition: { type: 'DriverRunning', status: 'False', reason: 'Completed', message: 'the driver process exited' } });
      if (summary) r.status!.summary = summary;
      r.status!.finishedAt = nowTime(this.d.clock);
      const events: JournalEventInput[] = [];
      if (finished) {
        r.status!.diff = { ...finished.stats, ...(artifactName ? { artifact: artifactName } : {}) };
        if (finished.headCommit) r.status!.workspace = { ...r.status!.workspace, headCommit: finished.headCommit };
        events.push({ type: 'diff.created', actor: controllerActor, payload: { ...finished.stats, baseCommit: finished.baseCommit, headCommit: finished.headCommit, ...(finished.commit ? { commit: finished.commit } : {}) } });
        if (artifactName) events.push({ type: 'artifact.published', actor: controllerActor, payload: { artifact: artifactName, type: 'Diff', digest } });
      }
      events.push({ type: 'run.Completed', actor: controllerActor, payload: { ...(summary ? { summary } : {}) } });
      return events;
    });
    await this.fleet.stop(runUid);
    if (!done) return;
    const stats = finished ? `${finished.stats.files} file${finished.stats.files === 1 ? '' : 's'} changed, +${finished.stats.insertions} -${finished.stats.deletions}` : 'no workspace changes';
    this.d.recorder?.normal(done, 'Completed', stats);
    await this.retireOnComplete(done, ws);
  }

  private async publishArtifact(run: Run, name: string, stored: { digest: string; size: number }): Promise<void> {
    await createOrUpdate(this.d.store, 'artifacts', {
      apiVersion: 'sidekicks.dev/v1alpha1',
      kind: 'Artifact',
      metadata: {
        name,
        namespace: run.metadata.namespace,
        labels: nameLabels({ [NameLabel.Run]: run.metadata.name!, [NameLabel.Session]: run.spec.session }),
        ownerReferences: [{ apiVersion: run.apiVersion, kind: 'Run', name: run.metadata.name!, uid: run.metadata.uid!, controller: true, blockOwnerDeletion: true }],
      },
      spec: { session: run.spec.session, run: run.metadata.name!, type: 'Diff', mediaType: 'text/x-diff', visibility: 'LocalOnly' },
      status: { digest: `sha256:${stored.digest}`, size: stored.size, phase: 'Published' },
    });
  }

  private async retireOnComplete(run: Run, ws: WorkspaceInfo): Promise<void> {
    const mount = run.spec.repoMount ? await this.d.store.get<RepoMount>('repomounts', run.metadata.namespace!, run.spec.repoMount).catch(() => undefined) : undefined;
    const { retired } = await this.d.workspaces.retire(ws, mount?.spec.cleanup ?? 'OnDelete', 'RunCompleted');
    if (retired) await this.d.writer.record(run, [{ type: 'workspace.retired', actor: controllerActor, run: run.metadata.name, payload: { path: ws.path, mode: ws.mode } }]);
  }
}

/** Phases a driver's completion ends the run from: running, or waiting on something the agent no longer needs. */
function completable(phase: string | undefined): boolean {
  return phase === RunPhase.Running || phase === RunPhase.WaitingForApproval || phase === RunPhase.WaitingForInput;
}

function commitMessage(run: Run, summary: string | undefined): string {
  const subject = (summary ?? run.spec.prompt).split('\n')[0].slice(0, 72);
  return `${subject}\n\nRun ${run.metadata.namespace}/${run.metadata.name}: ${run.spec.prompt}`;
}

