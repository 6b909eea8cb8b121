/**
 * Seed 001's rule for runs on another person's machine: membership never allows execution there on
 * its own. The scheduler marks a run it dispatched to a node whose owner did not create the run;
 * on such a run the dangerous categories always ask — no remembered or default rule allows them —
 * and only an Owner of the session (or of the whole control plane) may decide those approvals.
 */
import type { ApprovalCategory } from './kinds/common.js';

/** On a Run (set by the scheduler) and on the Approvals it raises: `"true"` for cross-person dispatch. */
export const CROSS_NODE_DISPATCH = 'sidekicks.dev/cross-node-dispatch';

/** Shell commands (and server tools), network egress, destructive git, MCP elicitation. */
export const CROSS_NODE_DANGEROUS: ReadonlySet<ApprovalCategory> = new Set<ApprovalCategory>(['ToolExecution', 'NetworkAccess', 'DestructiveGit', 'McpElicitation']);

export function isCrossNodeDispatch(obj: { metadata: { annotations?: Record<string, string> } }): boolean {
  return obj.metadata.annotations?.[CROSS_NODE_DISPATCH] === 'true';
}
