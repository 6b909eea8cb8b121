/** The classifier's vocabulary: a tool call as the gate hands it over, and what classifying it answers. */
import type { Static } from '@sinclair/typebox';
import type { ApprovalRequest as ApprovalRequestSchema } from '../../../resources/kinds/approval.js';
import type { ApprovalCategory } from '../../../resources/kinds/common.js';

export type ApprovalRequest = Static<typeof ApprovalRequestSchema>;

/** A tool call in our vocabulary, as a driver hands it to the gate. */
export interface ToolCallInput {
  tool: string;
  input: Record<string, unknown>;
}

/** Where the call would run. */
export interface ClassifyContext {
  /** The run's workspace root, absolute. Anything else makes every write count as outside. */
  workspace: string;
}

/** What a tool call needs approved, and the request people are shown. */
export interface Classification {
  /** The tool, as called. */
  tool: string;
  /** What needs approving; empty when the call may simply run. */
  categories: ApprovalCategory[];
  request: ApprovalRequest;
}

