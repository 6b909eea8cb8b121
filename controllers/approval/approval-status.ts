/** Small shared facts about Approvals: when one is settled, what a refusal says, who acts. */
import type { Actor } from '../../api/journal/event.js';
import type { Approval } from '../../resources/kinds/approval.js';
import type { StatusTarget } from '../runtime/status-writer.js';

export const gateActor: Actor = { kind: 'controller', name: 'approval-controller' };

/** Where an Approval's status and events go (through the StatusWriter): its session's journal, each event naming its run. */
export const approvalStatus: StatusTarget<Approval> = {
  plural: 'approvals',
  sessionOf: (approval) => approval.spec.session,
  eventDefaults: (approval) => runFields(approval),
};

/**
 * The run an approval's events name, with its uid (from the owner reference the gate set), so
 * the history of a run re-created under the same name does not include this one's.
 */
export function runFields(approval: Approval): { run?: string; runUid?: string } {
  if (!approval.spec.run) return {};
  const owner = approval.metadata.ownerReferences?.find((o) => o.kind === 'Run' && o.name === approval.spec.run);
  return { run: approval.spec.run, ...(owner?.uid ? { runUid: owner.uid } : {}) };
}

/** Settled: nothing more will happen to it (the gate may act on it). */
export function isSettled(approval: Approval): boolean {
  const phase = approval.status?.phase;
  return phase === 'Approved' || phase === 'Rejected' || phase === 'Expired' || phase === 'Canceled';
}

/** How an approval deleted while undecided counts for whoever waits on it: Canceled. */
export function asDeleted(approval: Approval): Approval {
  if (isSettled(approval)) return approval;
  return { ...approval, status: { ...approval.status, phase: 'Canceled', message: 'the approval was deleted' } } as Approval;
}

/** Whether a settled approval lets the action run (an expiry decides per `onExpiry`). */
export function allows(approval: Approval): boolean {
  const phase = approval.status?.phase;
  return phase === 'Approved' || (phase === 'Expired' && approval.spec.onExpiry === 'Approve');
}

/** The tool result the agent receives for a refused call: who refused, and why. */
export function refusalFor(approval: Approval): string {
  const s = approval.status ?? {};
  const why = approval.spec.decision?.reason ?? s.message;
  switch (s.phase) {
    case 'Rejected':
      return `rejected by ${s.decidedBy ?? 'a reviewer'}${why ? `: ${why}` : ''}`;
    case 'Expired':
      return `the approval ${approval.metadata.name} expired without a decision`;
    case 'Canceled':
      return `the approval ${approval.metadata.name} was canceled${why ? `: ${why}` : ''}`;
    default:
      return 'not approved';
  }
}
