/**
 * Admission of a decision on a cross-node dispatch (resources/cross-node.ts): an approval of a
 * dangerous category raised by a run on another person's machine is decided by an Owner of the
 * session — a member with role Owner, or an identity with the Owner role everywhere — never by a
 * Collaborator, whatever Cedar lets them write. Refused with 403, nothing stored.
 */
import type { Approval } from '../../resources/kinds/approval.js';
import type { Session } from '../../resources/kinds/session.js';
import type { KubeObject } from '../../resources/meta.js';
import { CROSS_NODE_DANGEROUS, isCrossNodeDispatch } from '../../resources/cross-node.js';
import { ApiError, StatusReason } from '../errors.js';
import type { Store } from '../store/store.js';
import type { RememberAuthority } from './remember-admission.js';

export interface CrossNodeCheck {
  store: Store;
  authority?: RememberAuthority;
  /** The requester; undefined for the daemon's owner on its socket. */
  user?: string;
}

export async function admitCrossNodeDecision(old: KubeObject | undefined, obj: KubeObject, check: CrossNodeCheck): Promise<void> {
  const approval = obj as Approval;
  if (!isCrossNodeDispatch(approval) || !CROSS_NODE_DANGEROUS.has(approval.spec.category)) return;
  const decided = approval.spec.decision !== undefined && (old as Approval | undefined)?.spec.decision === undefined;
  const { user } = check;
  if (!decided || user === undefined || check.authority?.isOwner?.(user)) return;
  const ns = approval.metadata.namespace ?? '';
  const session = await check.store.find<Session>('sessions', ns, approval.spec.session);
  if (session?.spec.members?.some((m) => m.participant === user && m.role === 'Owner')) return;
  const name = approval.metadata.name ?? '';
  throw new ApiError(
    StatusReason.Forbidden,
    `approvals.sidekicks.dev "${name}" is forbidden: ${approval.spec.category} on another person's node (cross-node dispatch) is decided by an Owner of session "${approval.spec.session}"; User "${user}" is not one`,
    { name, group: 'sidekicks.dev', kind: 'approvals' },
  );
}
