/**
 * Every kind of the sidekicks.dev/v1alpha1 API (and Kubernetes' Lease, which the control plane's
 * leader election holds) and the scheme that registers them. Import kinds from here; the
 * registration order is the order of `api-resources` and of the generated manifests.
 */
import { Scheme } from './scheme.js';
import { Agent } from './kinds/agent.js';
import { Approval } from './kinds/approval.js';
import { ApprovalPolicy } from './kinds/approvalpolicy.js';
import { Artifact } from './kinds/artifact.js';
import { Channel } from './kinds/channel.js';
import { Event } from './kinds/event.js';
import { Intervention } from './kinds/intervention.js';
import { Invite } from './kinds/invite.js';
import { Lease } from './kinds/lease.js';
import { NotificationSink } from './kinds/notificationsink.js';
import { Participant } from './kinds/participant.js';
import { RepoMount } from './kinds/repomount.js';
import { Run } from './kinds/run.js';
import { RuntimeNode } from './kinds/runtimenode.js';
import { Session } from './kinds/session.js';
import { Tool } from './kinds/tool.js';
import { Workflow } from './kinds/workflow.js';
import { WorkflowTemplate } from './kinds/workflowtemplate.js';

/** The registry of every kind the API serves. */
export const scheme = new Scheme().register(
  Session,
  Agent,
  RepoMount,
  Run,
  Approval,
  ApprovalPolicy,
  Tool,
  Intervention,
  Workflow,
  WorkflowTemplate,
  Channel,
  Artifact,
  NotificationSink,
  RuntimeNode,
  Participant,
  Invite,
  Event,
  Lease,
);

export * from './meta.js';
export * from './scheme.js';
export * from './kinds/common.js';
export * from './kinds/agent-script.js';
export * from './kinds/session.js';
export * from './kinds/agent.js';
export * from './kinds/repomount.js';
export * from './kinds/run.js';
export * from './kinds/approval.js';
export * from './kinds/approvalpolicy.js';
export * from './kinds/intervention.js';
export * from './kinds/workflow.js';
export * from './kinds/workflowtemplate.js';
export * from './kinds/channel.js';
export * from './kinds/artifact.js';
export * from './kinds/notificationsink.js';
export * from './kinds/runtimenode.js';
export * from './kinds/participant.js';
export * from './kinds/invite.js';
export * from './kinds/event.js';
export * from './kinds/lease.js';
export * from './kinds/tool.js';
