/**
 * The approval gate: the daemon side of every driver's permission hook. A tool call is assessed
 * (which categories it falls in), the ApprovalPolicies of its namespace are consulted, and then:
 * - nothing to approve, or the policy allows every category → the call runs;
 * - the policy denies a category → refused, recorded as an Approval already Rejected by the rule;
 * - otherwise an Approval is created (journalled `approval.requested` in the same transaction), the
 *   run waits in WaitingForApproval, and the call runs only if the Approval ends Approved.
 *
 * Fail closed: when the Approval cannot be stored, or anything else goes wrong on the way, the
 * answer is a refusal; the tool never runs without a recorded decision.
 */
import { CROSS_NODE_DANGEROUS, CROSS_NODE_DISPATCH, isCrossNodeDispatch } from '../../resources/cross-node.js';
import type { Store } from '../../api/store/store.js';
import { sessionKey, type Journal } from '../../api/journal/journal.js';
import type { JournalEventInput } from '../../api/journal/event.js';
import type { Run } from '../../resources/kinds/run.js';
import type { KubeObject } from '../../resources/meta.js';
import { NameLabel, nameLabels } from '../../resources/name-labels.js';
import { RunPhase } from '../../resources/kinds/run.js';
import type { Approval, ApprovalPhase, ApprovalSpec } from '../../resources/kinds/approval.js';
import type { ApprovalPolicy } from '../../resources/kinds/approvalpolicy.js';
import type { ApprovalCategory } from '../../resources/kinds/common.js';
import type { PermissionDecision, ToolCall } from '../../node/drivers/contract.js';
import type { RunWriter } from '../run/run-writer.js';
import { moveRun } from '../run/run-status.js';
import { systemClock, type Clock } from '../runtime/clock.js';
import { StatusWriter } from '../runtime/status-writer.js';
import { allows, approvalStatus, asDeleted, gateActor, isSettled, refusalFor } from './approval-status.js';
import { metaTime } from '../../resources/time.js';

/** What a tool call needs approved: its categories and the request shown to people. */
export interface Assessment {
  categories: ApprovalCategory[];
  request: NonNullable<ApprovalSpec['request']>;
}

/** Judges a tool call in our vocabulary (drivers translate their agents' tool names before the gate). */
export type Assess = (call: ToolCall, ctx: { workspace: string }) => Assessment;

export interface PolicyVerdict {
  action: 'Allow' | 'Deny' | 'Ask';
  /** `<policy>/<rule index>` or `<policy>/defaults` when a policy decided. */
  decidedBy?: string;
  reason: string;
}

export type Evaluate = (
  policies: ApprovalPolicy[],
  ctx: { session: string; run: string; agent: string; workspace?: string },
  category: ApprovalCategory,
  request: Assessment['request'],
  now: Date,
) => PolicyVerdict;

/** Most severe first: the category an Approval is filed under when several apply. */
const SEVERITY: ApprovalCategory[] = ['DestructiveGit', 'FileWrite', 'NetworkAccess', 'McpElicitation', 'PlanApproval', 'UserInput', 'ToolExecution'];

export interface ApprovalGateDeps {
  store: Store;
  journal: Journal;
  writer: RunWriter;
  assess: Assess;
  evaluate: Evaluate;
  /** Commits an approval's status with its events (default: one over `store` and `journal`). */
  status?: StatusWriter;
  clock?: Clock;
  log?: (line: string) => void;
}

export class ApprovalGate {
  /** Callers waiting for an Approval (namespace/name) to be settled. */
  private readonly waiting = new Map<string, (approval: Approval) => void>();
  /**
   * The approvals each run (namespace/name) waits on now: its `pendingApprovals` is this set's
   * size, written whole each time, so a decision that arrives late (for a driver stopped by a
   * pause) can never leave the count off by one.
   */
  private readonly open = new Map<string, Set<string>>();
  private readonly clock: Clock;
  private readonly status: StatusWriter;

  constructor(private readonly d: ApprovalGateDeps) {
    this.clock = d.clock ?? systemClock;
    this.status = d.status ?? new StatusWriter(d.store, d.journal);
  }

  /**
   * The permission hook: resolves once the call may run or must not. Never rejects. A refusal's
   * reason is a clause ("denied by policy …", "rejected by alice: …"): the tool result that shows it
   * says `refused: <reason>` itself, so a reason never starts with "refused".
   */
  async decide(run: Run, call: ToolCall): Promise<PermissionDecision> {
    try {
      return await this.gate(run, call);
    } catch (err) {
      this.d.log?.(`approval gate: ${run.metadata.namespace}/${run.metadata.name} ${call.tool}: ${(err as Error).message}`);
      return { allow: false, reason: `the approval could not be recorded (${(err as Error).message})` };
    }
  }

  /** Tells the gate an Approval changed (from the approvals informer). */
  observe(approval: Approval): void {
    if (!isSettled(approval)) return;
    const key = `${approval.metadata.namespace}/${approval.metadata.name}`;
    const resolve = this.waiting.get(key);
    if (!resolve) return;
    this.waiting.delete(key);
    resolve(approval);
  }

  /**
   * A run asks its user a question: filed as a UserInput approval (run already WaitingForInput).
   * The answer — the decision's reason, written by `sidekick respond` — is delivered to the driver
   * and the run continues; a refusal is delivered as such. Does not block the caller.
   */
  askUser(run: Run, requestId: string, question: string, deliver: (text: string) => Promise<void>): void {
    const call: ToolCall = { callId: requestId, tool: 'AskUser', input: { question } };
    void (async () => {
      const approval = await this.file(run, call, 'UserInput', { tool: 'AskUser', summary: firstLine(question), details: question });
      const settled = this.listen(approval);
      await this.look(approval);
      const result = await settled;
      if (result.status?.phase === 'Canceled') return;
      const answer = allows(result) ? (result.spec.decision?.reason ?? '') : `(the user declined to answer: ${refusalFor(result)})`;
      await deliver(answer);
      await this.d.writer.commit(run.metadata.namespace!, run.metadata.name!, (r) => {
        if (r.status?.phase !== RunPhase.WaitingForInput) return null;
        moveRun(r, { event: 'RESOLVED' });
        return [{ type: 'run.Running', actor: gateActor, payload: { answered: approval.metadata.name } }];
      });
    })().catch((err: unknown) => this.d.log?.(`approval gate: question of ${run.metadata.namespace}/${run.metadata.name}: ${(err as Error).message}`));
  }

  private async gate(run: Run, call: ToolCall): Promise<PermissionDecision> {
    const ns = run.metadata.namespace!;
    // The run the driver was launched with may predate its workspace: read it as it is now.
    run = (await this.d.store.find<Run>('runs', ns, run.metadata.name!)) ?? run;
    const workspace = run.status?.workspace?.path ?? '';
    const { categories, request } = this.d.assess(call, { workspace });
    if (categories.length === 0) return { allow: true };

    const policies = (await this.d.store.list<ApprovalPolicy>('approvalpolicies', { namespace: ns })).items;
    const ctx = { session: run.spec.session, run: run.metadata.name!, agent: run.spec.agent, workspace };
    const now = new Date(this.clock.now());
    const crossNode = isCrossNodeDispatch(run);
    const verdicts = ordered(categories).map((category) => crossNodeVerdict(crossNode, category, { category, ...this.d.evaluate(policies, ctx, category, request, now) }));
    const denied = verdicts.find((v) => v.action === 'Deny');
    if (denied) {
      await this.file(run, call, denied.category, request, { phase: 'Rejected', verdict: denied });
      return { allow: false, reason: `denied by policy ${denied.decidedBy ?? ''}: ${denied.reason}`.replace('policy :', 'policy:') };
    }
    // A rule that explicitly allows the request under a graver category (a remembered network
    // install, say) also covers running it: ToolExecution does not ask again for the same call.
    const ruled = verdicts.some((v) => v.action === 'Allow' && v.decidedBy && !v.decidedBy.endsWith('/defaults'));
    const asking = verdicts.find((v) => v.action === 'Ask' && !(ruled && v.category === 'ToolExecution'));
    if (!asking) {
      const rule = verdicts.find((v) => v.decidedBy && !v.decidedBy.endsWith('/defaults'));
      // A remembered rule decided: that is a decision worth its record. Plain defaults are not.
      if (rule) await this.file(run, call, rule.category, request, { phase: 'Approved', verdict: rule });
      return allowed(categories);
    }
    const details = categories.length > 1 ? `${request.details ? `${request.details}\n` : ''}categories: ${ordered(categories).join(', ')}` : request.details;
    const approval = await this.file(run, call, asking.category, { ...request, ...(details ? { details } : {}) });
    const settled = await this.awaitDecision(run, approval);
    return allows(settled) ? allowed(categories) : { allow: false, reason: refusalFor(settled) };
  }

  /**
   * Creates the Approval (owned by the run, journalled in the same transaction). With `decided`,
   * it is born settled by a policy rule; otherwise it is Pending and the run waits for it.
   */
  private async file(
    run: Run,
    call: ToolCall,
    category: ApprovalCategory,
    request: Assessment['request'],
    decided?: { phase: ApprovalPhase; verdict: PolicyVerdict },
  ): Promise<Approval> {
    const ns = run.metadata.namespace!;
    const at = metaTime(this.clock.now());
    // As a person would write it: admission fills in the defaults (onExpiry) on create.
    const draft: KubeObject = {
      apiVersion: 'sidekicks.dev/v1alpha1',
      kind: 'Approval',
      metadata: {
        generateName: `${run.metadata.name}-`,
        namespace: ns,
        labels: nameLabels({ [NameLabel.Run]: run.metadata.name!, [NameLabel.Session]: run.spec.session }),
        annotations: { 'sidekicks.dev/tool-call': call.callId, ...(isCrossNodeDispatch(run) ? { [CROSS_NODE_DISPATCH]: 'true' } : {}) },
        ownerReferences: [{ apiVersion: run.apiVersion, kind: 'Run', name: run.metadata.name!, uid: run.metadata.uid!, controller: true, blockOwnerDeletion: true }],
      },
      spec: { session: run.spec.session, run: run.metadata.name!, category, request },
      status: decided
        ? { phase: decided.phase, decidedBy: `policy ${decided.verdict.decidedBy}`, decidedAt: at, rule: decided.verdict.decidedBy, message: decided.verdict.reason }
        : { phase: 'Pending' },
    };
    const events = (name: string): JournalEventInput[] => {
      const base = { approval: name, category, callId: call.callId, tool: call.tool, summary: request.summary };
      if (!decided) return [{ type: 'approval.requested', actor: gateActor, run: run.metadata.name, runUid: run.metadata.uid, payload: base }];
      const type = decided.phase === 'Approved' ? 'approval.approved' : 'approval.rejected';
      return [{ type, actor: gateActor, run: run.metadata.name, runUid: run.metadata.uid, payload: { ...base, by: `policy ${decided.verdict.decidedBy}`, rule: decided.verdict.decidedBy, reason: decided.verdict.reason } }];
    };
    const created = await this.d.store.create('approvals', draft, {
      extraWrites: async (tx, obj) => {
        await this.d.journal.append(sessionKey(ns, run.spec.session), events(obj.metadata.name!), tx);
      },
    });
    // As stored: admitted, so every default is there.
    return created as Approval;
  }

  /** Resolves once `approval` is settled (see observe). Call before `look`, so nothing falls between. */
  private listen(approval: Approval): Promise<Approval> {
    return new Promise<Approval>((resolve) => this.waiting.set(`${approval.metadata.namespace}/${approval.metadata.name}`, resolve));
  }

  /** Settled (or deleted) before we started listening — a fast decision, an informer restart: look. */
  private async look(approval: Approval): Promise<void> {
    const current = await this.d.store.find<Approval>('approvals', approval.metadata.namespace!, approval.metadata.name!);
    this.observe(current ?? asDeleted(approval));
  }

  /**
   * Waits in WaitingForApproval until the Approval is settled; the run is Running again once none
   * is left. A run that is no longer active when it asks (it was paused or ended meanwhile) gets
   * its approval canceled at once.
   */
  private async awaitDecision(run: Run, approval: Approval): Promise<Approval> {
    const ns = run.metadata.namespace!;
    const runKey = `${ns}/${run.metadata.name}`;
    const open = this.open.get(runKey) ?? new Set<string>();
    this.open.set(runKey, open.add(approval.metadata.name!));
    const settled = this.listen(approval);
    let phase: string | undefined;
    try {
      await this.d.writer.commit(ns, run.metadata.name!, (r) => {
        phase = r.status!.phase;
        if (phase !== RunPhase.Running && phase !== RunPhase.WaitingForApproval) return null;
        r.status!.pendingApprovals = open.size;
        if (phase !== RunPhase.Running) return [];
        moveRun(r, { event: 'APPROVAL_REQUESTED' });
        return [{ type: 'run.WaitingForApproval', actor: gateActor, payload: { approval: approval.metadata.name } }];
      });
      if (phase !== RunPhase.Running && phase !== RunPhase.WaitingForApproval) this.observe(await this.cancel(approval, `run ${run.metadata.name} is ${phase ?? 'gone'}`));
      else await this.look(approval);
      return await settled;
    } finally {
      open.delete(approval.metadata.name!);
      if (open.size === 0 && this.open.get(runKey) === open) this.open.delete(runKey);
      await this.d.writer.commit(ns, run.metadata.name!, (r) => {
        const now = r.status!.phase;
        // Paused or ended: whoever moved the run reset its count and canceled the rest.
        if (now !== RunPhase.Running && now !== RunPhase.WaitingForApproval) return null;
        if (open.size > 0) r.status!.pendingApprovals = open.size;
        else delete r.status!.pendingApprovals;
        if (open.size > 0 || now !== RunPhase.WaitingForApproval) return [];
        moveRun(r, { event: 'RESOLVED' });
        return [{ type: 'run.Running', actor: gateActor, payload: { approval: approval.metadata.name } }];
      });
    }
  }

  /**
   * Cancels the run's undecided approvals — it left its active phase (paused, ended, restarted),
   * so nobody will act on them — journalling each, and releases whoever waits on them (the call
   * is refused). A decision that arrived first stands. Safe to repeat.
   */
  async cancelOpen(run: Run, why: string): Promise<void> {
    const ns = run.metadata.namespace!;
    const mine = (a: Approval): boolean => a.spec.run === run.metadata.name && (a.metadata.ownerReferences ?? []).some((o) => o.uid === run.metadata.uid);
    const undecided = (await this.d.store.list<Approval>('approvals', { namespace: ns })).items.filter((a) => mine(a) && !isSettled(a) && !a.spec.decision);
    for (const approval of undecided) this.observe(await this.cancel(approval, why));
  }

  /** Settles one approval Canceled, journalled in the same transaction; a decision that won the race is kept. */
  private async cancel(approval: Approval, why: string): Promise<Approval> {
    const written = await this.status.commit(approvalStatus, approval.metadata.namespace!, approval.metadata.name!, (draft) => {
      if (isSettled(draft) || draft.spec.decision) return null;
      draft.status = { phase: 'Canceled', message: why };
      const summary = draft.spec.request?.summary;
      return [{ type: 'approval.canceled', actor: gateActor, payload: { approval: draft.metadata.name, category: draft.spec.category, ...(summary ? { summary } : {}), reason: why } }];
    });
    return written ?? asDeleted(approval);
  }
}

function firstLine(text: string): string {
  const line = text.split('\n')[0]!;
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

/**
 * On a run dispatched to another person's node, a dangerous category asks whatever a rule says
 * (a Deny still refuses): the session's owner signs off each such call (resources/cross-node.ts).
 */
function crossNodeVerdict<V extends { category: ApprovalCategory; action: string; reason: string; decidedBy?: string }>(crossNode: boolean, category: ApprovalCategory, v: V): V {
  if (!crossNode || !CROSS_NODE_DANGEROUS.has(category) || v.action !== 'Allow') return v;
  return { ...v, action: 'Ask', decidedBy: undefined, reason: `cross-node dispatch: a session Owner decides ${category}` };
}

function ordered(categories: ApprovalCategory[]): ApprovalCategory[] {
  return [...new Set(categories)].sort((a, b) => rank(a) - rank(b));
}

function rank(c: ApprovalCategory): number {
  const i = SEVERITY.indexOf(c);
  return i < 0 ? SEVERITY.length : i;
}

/**
 * An allowed call's decision. A call classified NetworkAccess and allowed (by a person or a rule)
 * is granted the network: the sandbox opens it for that command only.
 */
function allowed(categories: readonly ApprovalCategory[]): PermissionDecision {
  return categories.includes('NetworkAccess') ? { allow: true, network: true } : { allow: true };
}
