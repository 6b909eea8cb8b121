/**
 * The Workflow reconciler. Each pass: load the workflow and its template (a missing or changed
 * template fails it), observe what the children of the running attempts say (runs, command steps,
 * approvals, channels), let the planner (./plan.ts) decide, commit the new status together with
 * its journal events, then make the world match: create the children of running attempts (once,
 * by derived name) and stop every child whose attempt is over. A restarted daemon reads the same
 * children and the same journal, so it reaches the same status and starts nothing twice.
 */
import type { Store } from '../../api/store/store.js';
import { isReason } from '../../api/errors.js';
import type { EventRecorder } from '../../api/events/recorder.js';
import type { Journal } from '../../api/journal/journal.js';
import type { RepoMount } from '../../resources/kinds/repomount.js';
import type { Session } from '../../resources/kinds/session.js';
import type { Workflow, WorkflowStatus } from '../../resources/kinds/workflow.js';
import type { WorkflowTemplate } from '../../resources/kinds/workflowtemplate.js';
import { systemClock, type Clock } from '../runtime/clock.js';
import type { ObjectKey, Reconciler, Result } from '../runtime/controller.js';
import { StatusWriter, type StatusTarget } from '../runtime/status-writer.js';
import { AttemptConverger } from './converge.js';
import { RETRY_ANNOTATION, workflowActor } from './names.js';
import { AttemptObserver } from './observe.js';
import type { Pass } from './pass.js';
import { endPlan, isWorkflowTerminal, MAX_DURATION_MS, planWorkflow, type Plan } from './plan.js';
import type { CommandSteps } from './steps.js';
import { resolveTemplate } from './template.js';

/**
 * Held by every workflow until the controller has recorded its end: a workflow deleted while it
 * runs is journalled `workflow.cancelled` (its children then go with it, by owner reference).
 */
export const WORKFLOW_FINALIZER = 'sidekicks.dev/workflow';

/** How often a workflow whose session is not ready yet looks again. */
const SESSION_POLL_MS = 1000;
const CONFLICT_RETRIES = 8;

/** Where a Workflow's status and events go: its session's journal. */
const workflowStatus: StatusTarget<Workflow> = { plural: 'workflows', sessionOf: (wf) => wf.spec.session };

export interface WorkflowReconcilerDeps {
  store: Store;
  journal: Journal;
  steps: CommandSteps;
  recorder?: EventRecorder;
  /** Commits status with its events (default: one over `store` and `journal`). */
  status?: StatusWriter;
  clock?: Clock;
}

export class WorkflowReconciler implements Reconciler {
  private readonly observer: AttemptObserver;
  private readonly converger: AttemptConverger;
  private readonly clock: Clock;
  private readonly status: StatusWriter;

  constructor(private readonly d: WorkflowReconcilerDeps) {
    this.clock = d.clock ?? systemClock;
    this.status = d.status ?? new StatusWriter(d.store, d.journal);
    this.observer = new AttemptObserver({ store: d.store, steps: d.steps });
    this.converger = new AttemptConverger({ store: d.store, journal: d.journal, steps: d.steps, clock: this.clock });
  }

  private now(): Date {
    return new Date(this.clock.now());
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const wf = await this.d.store.find<Workflow>('workflows', key.namespace, key.name);
    if (!wf || wf.metadata.deletionTimestamp) {
      // Its runs, approvals and channels go with it (owner references); its commands stop here.
      this.d.steps.stopStray(`${key.namespace}/${key.name}`, new Set(), 'the workflow was deleted');
      return wf ? this.finalize(wf) : {};
    }
    if (!wf.metadata.finalizers?.includes(WORKFLOW_FINALIZER)) {
      // The update wakes the next pass.
      await this.d.store.update('workflows', { ...wf, metadata: { ...wf.metadata, finalizers: [...(wf.metadata.finalizers ?? []), WORKFLOW_FINALIZER] } });
      return {};
    }
    const session = await this.d.store.find<Session>('sessions', key.namespace, wf.spec.session);
    // The session's journal opens with session.created: nothing is journalled before it.
    if (!session?.status?.phase) return { requeueAfterMs: SESSION_POLL_MS };
    const template = wf.spec.templateRef ? await this.d.store.find<WorkflowTemplate>('workflowtemplates', key.namespace, wf.spec.templateRef.name) : undefined;
    const resolved = resolveTemplate(wf, template);
    if (!resolved.ok) {
      const written = await this.commit(wf, endPlan(wf.metadata.name!, wf.status, { phase: 'Failed', reason: resolved.reason, message: resolved.message }, this.now()));
      if (written) await this.converger.stopStray(written, new Set(), new Set());
      return {};
    }
    const mount = wf.spec.repoMount ? await this.d.store.find<RepoMount>('repomounts', key.namespace, wf.spec.repoMount) : undefined;
    const pass: Pass = { wf, spec: resolved.spec, params: resolved.params, mount };
    const retry = wf.metadata.annotations?.[RETRY_ANNOTATION];
    const plan = planWorkflow({
      name: wf.metadata.name!,
      template: resolved.spec,
      digest: resolved.digest,
      status: wf.status,
      suspend: wf.spec.suspend ?? false,
      observed: await this.observer.observe(pass),
      now: this.now(),
      ...(retry !== undefined ? { retry } : {}),
    });
    const written = await this.commit(wf, plan);
    // Deleted meanwhile: the deletion wakes the next pass.
    if (!written) return {};
    if (retry !== undefined) {
      if (plan.retryIgnored) this.d.recorder?.warning(written, 'RetryIgnored', plan.retryIgnored);
      await this.dropRetryAnnotation(written);
    }
    await this.converger.converge({ ...pass, wf: written });
    return this.nextLook(written, pass);
  }

  /**
   * Commits the planned status with its journal events in one write, on top of the copy the plan
   * was made from (a workflow changed meanwhile is planned again: the Conflict re-queues it).
   * Returns the workflow as stored, or undefined when it is gone.
   */
  private async commit(wf: Workflow, plan: Plan): Promise<Workflow | undefined> {
    const ns = wf.metadata.namespace!;
    const written = await this.status.commit(
      workflowStatus,
      ns,
      wf.metadata.name!,
      (draft) => {
        const status: WorkflowStatus = { ...plan.status, observedGeneration: wf.metadata.generation };
        if (plan.events.length === 0 && JSON.stringify(wf.status ?? {}) === JSON.stringify(status)) return null;
        draft.status = { ...plan.status };
        return plan.events.map((e) => ({ type: e.type, actor: workflowActor, payload: e.payload, correlationId: wf.metadata.uid }));
      },
      { planned: wf },
    );
    if (!written) return undefined;
    for (const e of plan.events) {
      if (e.type === 'workflow.completed') this.d.recorder?.normal(written, 'Completed', String(e.payload.message ?? 'completed'));
      if (e.type === 'workflow.failed') this.d.recorder?.warning(written, String(e.payload.reason ?? 'Failed'), String(e.payload.message ?? 'failed'));
    }
    return written;
  }

  /** Deleting: record the end of a workflow that had not ended (Cancelled), then let it go. */
  private async finalize(wf: Workflow): Promise<Result> {
    if (!wf.metadata.finalizers?.includes(WORKFLOW_FINALIZER)) return {};
    const session = await this.d.store.find<Session>('sessions', wf.metadata.namespace!, wf.spec.session);
    if (session?.status?.phase) {
      await this.commit(wf, endPlan(wf.metadata.name!, wf.status, { phase: 'Cancelled', reason: 'Deleted', message: 'the workflow was deleted' }, this.now()));
    }
    for (let attempt = 0; ; attempt++) {
      const current = await this.d.store.find<Workflow>('workflows', wf.metadata.namespace!, wf.metadata.name!);
      if (!current?.metadata.finalizers?.includes(WORKFLOW_FINALIZER)) return {};
      try {
        await this.d.store.update('workflows', { ...current, metadata: { ...current.metadata, finalizers: current.metadata.finalizers.filter((f) => f !== WORKFLOW_FINALIZER) } });
        return {};
      } catch (err) {
        if (isReason(err, 'NotFound')) return {};
        if (!isReason(err, 'Conflict') || attempt >= CONFLICT_RETRIES) throw err;
      }
    }
  }

  private async dropRetryAnnotation(wf: Workflow): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.d.store.find<Workflow>('workflows', wf.metadata.namespace!, wf.metadata.name!);
      if (!current || current.metadata.annotations?.[RETRY_ANNOTATION] === undefined) return;
      const { [RETRY_ANNOTATION]: _done, ...rest } = current.metadata.annotations;
      try {
        await this.d.store.update('workflows', { ...current, metadata: { ...current.metadata, annotations: rest } });
        return;
      } catch (err) {
        if (isReason(err, 'NotFound')) return;
        if (!isReason(err, 'Conflict') || attempt >= CONFLICT_RETRIES) throw err;
      }
    }
  }

  /** When to look again without a change to wake us: the next attempt timeout or the 24 h limit. */
  private nextLook(wf: Workflow, pass: Pass): Result {
    if (isWorkflowTerminal(wf.status) || wf.status?.phase === 'Suspended') return {};
    const now = this.now().getTime();
    const deadlines: number[] = [];
    if (wf.status?.startedAt) deadlines.push(Date.parse(wf.status.startedAt) + MAX_DURATION_MS);
    for (const p of pass.spec.phases) {
      const ps = wf.status?.phases?.[p.name];
      if (ps?.phase === 'Running' && p.timeoutSeconds && ps.startedAt) deadlines.push(Date.parse(ps.startedAt) + p.timeoutSeconds * 1000);
    }
    if (deadlines.length === 0) return {};
    return { requeueAfterMs: Math.max(10, Math.min(...deadlines) - now + 10) };
  }
}
