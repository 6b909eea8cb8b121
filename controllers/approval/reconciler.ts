/**
 * The Approval reconciler: rebuilds an Approval's status from its spec and the world, and journals
 * each outcome in the same transaction as the status that records it.
 * - `spec.decision` set (by `sidekick approve|deny`, `kubectl patch`, or `sidekick respond`) →
 *   Approved or Rejected, decided by whom the API server recorded; a `remember` also appends a
 *   rule to the ApprovalPolicy so the next matching request is decided the same way.
 * - its run is gone or has ended → Canceled.
 * - `spec.expiresAt` has passed → Expired (what that means is `spec.onExpiry`).
 * - otherwise Pending, looked at again when it would expire.
 */
import type { Store } from '../../api/store/store.js';
import type { Journal } from '../../api/journal/journal.js';
import type { JournalEventInput } from '../../api/journal/event.js';
import type { Approval, ApprovalStatus } from '../../resources/kinds/approval.js';
import type { ApprovalPolicy } from '../../resources/kinds/approvalpolicy.js';
import type { Run } from '../../resources/kinds/run.js';
import type { KubeObject } from '../../resources/meta.js';
import type { ObjectKey, Reconciler, Result } from '../runtime/controller.js';
import { systemClock, type Clock } from '../runtime/clock.js';
import { createOrUpdate } from '../runtime/create-or-update.js';
import { StatusWriter } from '../runtime/status-writer.js';
import { isTerminalPhase } from '../run/phases.js';
import { approvalStatus, gateActor, isSettled, runFields } from './approval-status.js';
import { sameRule } from './policy.js';
import { metaTime } from '../../resources/time.js';

/** Where a remembered decision goes: the policy to append to (created if missing) and the rule. */
export type Remember = (approval: Approval, run: Run | undefined) => { policy: string; session?: string; rule: NonNullable<ApprovalPolicy['spec']['rules']>[number] } | undefined;

export interface ApprovalReconcilerDeps {
  store: Store;
  journal: Journal;
  remember: Remember;
  /** Commits status with its events (default: one over `store` and `journal`). */
  status?: StatusWriter;
  clock?: Clock;
}

export class ApprovalReconciler implements Reconciler {
  private readonly clock: Clock;
  private readonly status: StatusWriter;

  constructor(private readonly d: ApprovalReconcilerDeps) {
    this.clock = d.clock ?? systemClock;
    this.status = d.status ?? new StatusWriter(d.store, d.journal);
  }

  async reconcile(key: ObjectKey): Promise<Result> {
    const approval = await this.d.store.find<Approval>('approvals', key.namespace, key.name);
    if (!approval || isSettled(approval)) return {};
    const decision = approval.spec.decision;
    if (decision) return this.decide(approval);
    const run = approval.spec.run ? await this.d.store.find<Run>('runs', key.namespace, approval.spec.run) : undefined;
    if (approval.spec.run && (!run || run.metadata.deletionTimestamp || isTerminalPhase(run.status?.phase))) {
      const why = !run || run.metadata.deletionTimestamp ? `run ${approval.spec.run} was deleted` : `run ${approval.spec.run} ended ${run.status!.phase}`;
      await this.settle(approval, { phase: 'Canceled', message: why }, 'approval.canceled', { reason: why });
      return {};
    }
    const expiresAt = approval.spec.expiresAt ? Date.parse(approval.spec.expiresAt) : undefined;
    if (expiresAt !== undefined && expiresAt <= this.clock.now()) {
      const message = `expired at ${approval.spec.expiresAt} without a decision; onExpiry: ${approval.spec.onExpiry ?? 'Reject'}`;
      await this.settle(approval, { phase: 'Expired', message }, 'approval.expired', { onExpiry: approval.spec.onExpiry ?? 'Reject' });
      return {};
    }
    if (approval.status?.phase !== 'Pending') await this.writeStatus(approval, { phase: 'Pending' }, []);
    return expiresAt !== undefined ? { requeueAfterMs: Math.max(10, expiresAt - this.clock.now() + 10) } : {};
  }

  private async decide(approval: Approval): Promise<Result> {
    const decision = approval.spec.decision!;
    const phase = decision.verdict === 'Approved' ? 'Approved' : 'Rejected';
    const by = decision.by ?? 'unknown';
    const at = metaTime(this.clock.now());
    const run = approval.spec.run ? await this.d.store.find<Run>('runs', approval.metadata.namespace!, approval.spec.run) : undefined;
    const found = decision.remember ? this.d.remember(approval, run) : undefined;
    // Who made the rule (participant) comes from the decision; when, from this pass.
    const remembered = found && { ...found, rule: { ...found.rule, rememberedAt: at } };
    if (remembered) await this.appendRule(approval, remembered);
    const type = phase === 'Approved' ? 'approval.approved' : 'approval.rejected';
    await this.settle(
      approval,
      { phase, decidedBy: by, decidedAt: at, ...(decision.reason ? { message: decision.reason } : {}) },
      type,
      { by, ...(decision.reason ? { reason: decision.reason } : {}) },
      remembered ? [{ type: 'approval.remembered', actor: gateActor, ...runFields(approval), payload: { approval: approval.metadata.name, policy: remembered.policy, rule: remembered.rule, scope: decision.remember!.scope, by } }] : [],
    );
    return {};
  }

  /** Appends a remembered rule to its policy, creating the policy when it does not exist. */
  private async appendRule(approval: Approval, r: NonNullable<ReturnType<Remember>>): Promise<void> {
    const policy: KubeObject = {
      apiVersion: 'sidekicks.dev/v1alpha1',
      kind: 'ApprovalPolicy',
      metadata: { name: r.policy, namespace: approval.metadata.namespace!, labels: { 'sidekicks.dev/remembered': 'true' } },
      spec: { ...(r.session ? { session: r.session } : {}), rules: [r.rule] },
    };
    await createOrUpdate<ApprovalPolicy>(this.d.store, 'approvalpolicies', policy, {
      mutate: (existing) => {
        const rules = existing.spec.rules ?? [];
        // A retry of this pass (or the same rule remembered twice) finds the rule already there.
        if (rules.some((x) => sameRule(x, r.rule))) return false;
        existing.spec.rules = [...rules, r.rule];
        return true;
      },
    });
  }

  private async settle(approval: Approval, status: ApprovalStatus, type: string, payload: Record<string, unknown>, more: JournalEventInput[] = []): Promise<void> {
    const base = { approval: approval.metadata.name, category: approval.spec.category, ...(approval.spec.request?.summary ? { summary: approval.spec.request.summary } : {}) };
    const events: JournalEventInput[] = [{ type, actor: gateActor, ...runFields(approval), payload: { ...base, ...payload } }, ...more];
    await this.writeStatus(approval, status, events);
  }

  /**
   * Commits the status this pass decided, with its events. An approval that meanwhile settled or
   * got a new spec (a decision arrived) is left alone: that change brings it back here.
   */
  private async writeStatus(approval: Approval, status: ApprovalStatus, events: JournalEventInput[]): Promise<void> {
    await this.status.commit(approvalStatus, approval.metadata.namespace!, approval.metadata.name!, (draft) => {
      if (isSettled(draft) || draft.metadata.generation !== approval.metadata.generation) return null;
      draft.status = { ...status };
      return events;
    });
  }
}
