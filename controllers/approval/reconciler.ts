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
import { isReason } from '../../api/errors.js';
import { sessionKey, type Journal } from '../../api/journal/journal.js';
import type { JournalEventInput } from '../../api/journal/event.js';
import type { Approval, ApprovalStatus } from '../../resources/kinds/approval.js';
import type { ApprovalPolicy } from '../../resources/kinds/approvalpolicy.js';
import type { Run } from '../../resources/kinds/run.js';
import type { KubeObject } from '../../resources/meta.js';
import type { ObjectKey, Reconciler, Result } from '../runtime/controller.js';
import { isTerminalPhase } from '../run/phases.js';
import { gateActor, isSettled } from './approval-status.js';
import { sameRule } from './policy.js';

/** Where a remembered decision goes: the policy to append to (created if missing) and the rule. */
export type Remember = (approval: Approval, run: Run | undefined) => { policy: string; session?: string; rule: NonNullable<ApprovalPolicy['spec']['rules']>[number] } | undefined;

export interface ApprovalReconcilerDeps {
  store: Store;
  journal: Journal;
  remember: Remember;
  now?: () => Date;
}

export class ApprovalReconciler implements Reconciler {
  private readonly now: () => Date;

  constructor(private readonly d: ApprovalReconcilerDeps) {
    this.now = d.now ?? (() => new Date());
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
    if (expiresAt !== undefined && expiresAt <= this.now().getTime()) {
      const message = `expired at ${approval.spec.expiresAt} without a decision; onExpiry: ${approval.spec.onExpiry ?? 'Reject'}`;
      await this.settle(approval, { phase: 'Expired', message }, 'approval.expired', { onExpiry: approval.spec.onExpiry ?? 'Reject' });
      return {};
    }
    if (approval.status?.phase !== 'Pending') await this.writeStatus(approval, { phase: 'Pending' }, []);
    return expiresAt !== undefined ? { requeueAfterMs: Math.max(10, expiresAt - this.now().getTime() + 10) } : {};
  }

  private async decide(approval: Approval): Promise<Result> {
    const decision = approval.spec.decision!;
    const phase = decision.verdict === 'Approved' ? 'Approved' : 'Rejected';
    const by = decision.by ?? 'unknown';
    const at = this.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
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
      remembered ? [{ type: 'approval.remembered', actor: gateActor, ...(approval.spec.run ? { run: approval.spec.run } : {}), payload: { approval: approval.metadata.name, policy: remembered.policy, rule: remembered.rule, scope: decision.remember!.scope, by } }] : [],
    );
    return {};
  }

  /** Appends a remembered rule to its policy, creating the policy when it does not exist. */
  private async appendRule(approval: Approval, r: NonNullable<ReturnType<Remember>>): Promise<void> {
    const ns = approval.metadata.namespace!;
    for (let attempt = 0; attempt < 5; attempt++) {
      const policy = await this.d.store.find<ApprovalPolicy>('approvalpolicies', ns, r.policy);
      try {
        if (!policy) {
          await this.d.store.create<KubeObject>('approvalpolicies', {
            apiVersion: 'sidekicks.dev/v1alpha1',
            kind: 'ApprovalPolicy',
            metadata: { name: r.policy, namespace: ns, labels: { 'sidekicks.dev/remembered': 'true' } },
            spec: { ...(r.session ? { session: r.session } : {}), rules: [r.rule] },
          });
          return;
        }
        const rules = policy.spec.rules ?? [];
        // A retry of this pass (or the same rule remembered twice) finds the rule already there.
        if (rules.some((x) => sameRule(x, r.rule))) return;
        await this.d.store.update('approvalpolicies', { ...policy, spec: { ...policy.spec, rules: [...rules, r.rule] } });
        return;
      } catch (err) {
        if (!isReason(err, 'Conflict') && !isReason(err, 'AlreadyExists')) throw err;
      }
    }
  }

  private async settle(approval: Approval, status: ApprovalStatus, type: string, payload: Record<string, unknown>, more: JournalEventInput[] = []): Promise<void> {
    const base = { approval: approval.metadata.name, category: approval.spec.category, ...(approval.spec.request?.summary ? { summary: approval.spec.request.summary } : {}) };
    const events: JournalEventInput[] = [{ type, actor: gateActor, ...(approval.spec.run ? { run: approval.spec.run } : {}), payload: { ...base, ...payload } }, ...more];
    await this.writeStatus(approval, status, events);
  }

  private async writeStatus(approval: Approval, status: ApprovalStatus, events: JournalEventInput[]): Promise<void> {
    const next = { ...approval, status: { ...status, observedGeneration: approval.metadata.generation } };
    try {
      await this.d.store.updateStatus('approvals', next, {
        extraWrites: async (tx) => {
          if (events.length) await this.d.journal.append(sessionKey(approval.metadata.namespace!, approval.spec.session), events, tx);
        },
      });
    } catch (err) {
      // Changed meanwhile (a decision arrived): the update event brings it back here.
      if (!isReason(err, 'Conflict') && !isReason(err, 'NotFound')) throw err;
    }
  }
}
