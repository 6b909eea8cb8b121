/**
 * The objects a workflow's attempts are made of — a Run per Agent phase (and per agent check), an
 * Approval per Human phase and HumanApproval gate, a Channel per MultiAgent phase — and the Cancel
 * intervention that stops a run whose attempt ended. Each is built with its derived name, the
 * workflow's labels and a controller owner reference, and created once (createOrUpdate without a
 * mutation): an existing child means an earlier pass (or an earlier daemon) already made it. Each
 * is written as a person would write it; admission fills in the kind's defaults.
 */
import type { Store } from '../../api/store/store.js';
import { sessionKey, type Journal } from '../../api/journal/journal.js';
import type { ApprovalSpec } from '../../resources/kinds/approval.js';
import type { Channel } from '../../resources/kinds/channel.js';
import type { Run } from '../../resources/kinds/run.js';
import type { Workflow } from '../../resources/kinds/workflow.js';
import type { KubeObject } from '../../resources/meta.js';
import { NameLabel, nameLabels } from '../../resources/name-labels.js';
import { createOrUpdate, WriteOutcome } from '../runtime/create-or-update.js';
import { cancelName, childLabels, ownerRef, workflowActor } from './names.js';

const API_VERSION = 'sidekicks.dev/v1alpha1';

/** Where a child belongs: its workflow, phase and attempt, and its derived name. */
export interface ChildOf {
  wf: Workflow;
  phase: string;
  attempt: number;
  name: string;
}

function meta(c: ChildOf): KubeObject['metadata'] {
  return { name: c.name, namespace: c.wf.metadata.namespace, labels: childLabels(c.wf, c.phase, c.attempt), ownerReferences: [ownerRef(c.wf)] };
}

/**
 * The Run of an Agent phase attempt (or an agent check), as a person would write it: admission
 * fills in the defaults. `baseRef` starts its worktree from the head of the phase's line.
 */
export function runFor(c: ChildOf, r: { agent: string; prompt: string; baseRef?: string }): KubeObject {
  const { wf } = c;
  return {
    apiVersion: API_VERSION,
    kind: 'Run',
    metadata: meta(c),
    spec: {
      session: wf.spec.session,
      agent: r.agent,
      prompt: r.prompt,
      ...(wf.spec.repoMount ? { repoMount: wf.spec.repoMount } : {}),
      ...(wf.spec.repoMount && r.baseRef ? { baseRef: r.baseRef } : {}),
      channel: 'main',
    },
  };
}

/** An Approval a workflow asks for, as it writes it (admission defaults `onExpiry` to Reject). */
export interface ApprovalManifest extends KubeObject {
  spec: Omit<ApprovalSpec, 'onExpiry'>;
}

/** The Approval of a Human phase (HumanPhaseContribution) or a HumanApproval gate (Gate). */
export function approvalFor(c: ChildOf, a: { category: 'Gate' | 'HumanPhaseContribution'; summary: string; details: string; expiresAt?: string }): ApprovalManifest {
  const spec: ApprovalManifest['spec'] = {
    session: c.wf.spec.session,
    workflow: c.wf.metadata.name!,
    phase: c.phase,
    category: a.category,
    request: { summary: a.summary, details: a.details },
    ...(a.expiresAt ? { expiresAt: a.expiresAt } : {}),
  };
  return { apiVersion: API_VERSION, kind: 'Approval', metadata: meta(c), spec, status: { phase: 'Pending' } };
}

/** The Channel of a MultiAgent phase attempt: the phase's `channel` is the template it copies. */
export function channelFor(c: ChildOf, base: Channel, topic: string | undefined): KubeObject {
  const s = base.spec;
  return {
    apiVersion: API_VERSION,
    kind: 'Channel',
    metadata: meta(c),
    spec: {
      session: c.wf.spec.session,
      ...(s.turnPolicy ? { turnPolicy: s.turnPolicy } : {}),
      ...(s.agents ? { agents: [...s.agents] } : {}),
      ...(s.maxTurns !== undefined ? { maxTurns: s.maxTurns } : {}),
      ...((topic ?? s.topic) ? { topic: topic ?? s.topic } : {}),
    },
  };
}

/** The Cancel intervention that ends a run whose attempt is over (the Intervention controller carries it out). */
export function cancelFor(wf: Workflow, run: Run, reason: string): KubeObject {
  return {
    apiVersion: API_VERSION,
    kind: 'Intervention',
    metadata: { name: cancelName(run.metadata.name!), namespace: wf.metadata.namespace, labels: nameLabels({ [NameLabel.Workflow]: wf.metadata.name! }), ownerReferences: [ownerRef(wf)] },
    spec: { run: run.metadata.name!, type: 'Cancel', reason },
  };
}

/** Creates children; each create is once-only by name. */
export class Children {
  constructor(
    private readonly store: Store,
    private readonly journal: Journal,
  ) {}

  /** Creates the object unless it exists; true when this call created it. */
  async ensure(plural: string, obj: KubeObject): Promise<boolean> {
    return (await createOrUpdate(this.store, plural, obj)).outcome === WriteOutcome.Created;
  }

  /** Creates the Approval with its `approval.requested` event in one transaction (fail closed: no event, no approval). */
  async ensureApproval(approval: ApprovalManifest): Promise<void> {
    const ns = approval.metadata.namespace!;
    const s = approval.spec;
    await createOrUpdate(this.store, 'approvals', approval, {
      createOptions: {
        extraWrites: async (tx) => {
          const payload = { approval: approval.metadata.name, category: s.category, summary: s.request?.summary, workflow: s.workflow, phase: s.phase };
          await this.journal.append(sessionKey(ns, s.session), [{ type: 'approval.requested', actor: workflowActor, payload }], tx);
        },
      },
    });
  }
}

/** Milliseconds of a Go-style duration (`90s`, `1h30m`, `500ms`), or undefined when it does not parse. */
export function parseDuration(text: string): number | undefined {
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = text.trim();
  if (rest === '') return undefined;
  while (rest !== '') {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * unit[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return total;
}
