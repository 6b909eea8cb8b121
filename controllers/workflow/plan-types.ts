/**
 * The types a workflow plan is made of, shared by the planner (plan.ts) and its rules (rules.ts),
 * which import each other's values in one direction only.
 */
import type { WorkflowStatus } from '../../resources/kinds/workflow.js';

export type PhaseStatus = NonNullable<WorkflowStatus['phases']>[string];

export interface WorkflowEvent {
  type: string;
  payload: Record<string, unknown>;
}

export interface Plan {
  status: WorkflowStatus;
  events: WorkflowEvent[];
  /** Why the retry annotation was not acted on (unknown phase); undefined when acted on or absent. */
  retryIgnored?: string;
}
