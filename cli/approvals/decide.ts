/**
 * Writing a decision on an Approval: what `sidekick approve`, `deny` and `respond` share. The
 * decision is a merge patch of `spec.decision`; the server records who decided (the authenticated
 * identity) and refuses a second decision, so the CLI needs no read-modify-write.
 */
import type { ApiClient } from '../../api/client/client.js';
import type { ResourceRef } from '../../api/client/types.js';
import type { KubeObject } from '../../resources/meta.js';

export const APPROVALS: ResourceRef = { group: 'sidekicks.dev', version: 'v1alpha1', plural: 'approvals', kind: 'Approval', namespaced: true };

/** Names an Approval may be given by: NAME, approval/NAME, approvals.sidekicks.dev/NAME, … */
export const APPROVAL_TYPES = ['approval', 'approvals', 'apr', 'approval.sidekicks.dev', 'approvals.sidekicks.dev'];

export interface Decision {
  verdict: 'Approved' | 'Rejected';
  reason?: string;
  remember?: 'Run' | 'Session' | 'Agent';
}

/** Patches the decision onto the approval and returns the approval as written. */
export function writeDecision(client: ApiClient, namespace: string, name: string, d: Decision): Promise<KubeObject> {
  const decision = { verdict: d.verdict, ...(d.reason ? { reason: d.reason } : {}), ...(d.remember ? { remember: { scope: d.remember } } : {}) };
  return client.patch(APPROVALS, namespace, name, 'merge', { spec: { decision } }, { fieldManager: 'sidekick' });
}

/** What `approve`/`deny` (and an answer given in place by `logs -f`/`run`) print after deciding. */
export function decisionLine(name: string, d: Pick<Decision, 'verdict' | 'remember'>): string {
  const done = d.verdict === 'Approved' ? 'approved' : 'denied';
  return `approval.sidekicks.dev/${name} ${done}${d.remember ? ` (remembered for this ${d.remember.toLowerCase()})` : ''}`;
}

/** Answers a run's question (a UserInput approval): the text goes to the agent as the user's reply. */
export function answerQuestion(client: ApiClient, namespace: string, approval: string, text: string): Promise<KubeObject> {
  return writeDecision(client, namespace, approval, { verdict: 'Approved', reason: text });
}

/** `--remember run|session|agent` → the scope of the rule, or undefined for a one-off decision. */
export function rememberScope(value: string | undefined): Decision['remember'] | 'invalid' {
  if (value === undefined) return undefined;
  const scope = { run: 'Run', session: 'Session', agent: 'Agent' }[value.toLowerCase()] as Decision['remember'];
  return scope ?? 'invalid';
}
