/** Workflow: a multi-phase process (agent phases, automated checks, human phases, gates). */
import { Type, type Static } from '@sinclair/typebox';
import { Conditions } from '../meta.js';
import { defineKind, type ObjectOf } from '../scheme.js';
import { StringMap, closedSet } from './common.js';
import { WorkflowTemplateSpec } from './workflowtemplate.js';

export const WorkflowPhase = {
  Pending: 'Pending',
  Running: 'Running',
  Suspended: 'Suspended',
  Completed: 'Completed',
  Failed: 'Failed',
  Cancelled: 'Cancelled',
} as const;
export type WorkflowPhase = (typeof WorkflowPhase)[keyof typeof WorkflowPhase];

/** Where one phase of a workflow is. */
export const PhaseState = {
  Pending: 'Pending',
  Running: 'Running',
  Succeeded: 'Succeeded',
  Failed: 'Failed',
  Skipped: 'Skipped',
  Cancelled: 'Cancelled',
} as const;
export type PhaseState = (typeof PhaseState)[keyof typeof PhaseState];

export const GateState = { Pending: 'Pending', Running: 'Running', Passed: 'Passed', Failed: 'Failed' } as const;
export type GateState = (typeof GateState)[keyof typeof GateState];

export const WorkflowSpec = Type.Object(
  {
    session: Type.String({ minLength: 1, description: 'The Session the workflow runs in.' }),
    templateRef: Type.Optional(
      Type.Object(
        {
          name: Type.String({ minLength: 1, description: 'The WorkflowTemplate name.' }),
          digest: Type.Optional(Type.String({ pattern: '^sha256:[0-9a-f]{64}$', description: 'Pins the template version; the workflow fails if the template differs.' })),
        },
        { description: 'The template to run (or give template inline).', additionalProperties: false },
      ),
    ),
    template: Type.Optional(WorkflowTemplateSpec),
    params: Type.Optional(StringMap('Parameter values by name (-p name=value).')),
    repoMount: Type.Optional(Type.String({ description: 'The RepoMount the phases work in.' })),
    suspend: Type.Boolean({ default: false, description: 'true suspends the workflow after running phases finish; false resumes it.' }),
  },
  { description: 'What the user wants from the workflow: exactly one of templateRef or template.', additionalProperties: false },
);

export const WorkflowPhaseStatus = Type.Object(
  {
    phase: Type.Optional(closedSet(PhaseState, 'Where the phase is.')),
    attempts: Type.Optional(Type.Integer({ minimum: 0, description: 'Attempts so far; a retry is a new attempt.' })),
    runs: Type.Optional(Type.Array(Type.String(), { description: 'Runs created for the phase, oldest first.' })),
    gate: Type.Optional(
      Type.Object(
        {
          state: Type.Optional(closedSet(GateState, 'Where the gate is.')),
          result: Type.Optional(Type.String({ description: 'Outcome detail, e.g. the failing check.' })),
        },
        { description: 'The gate after the phase.' },
      ),
    ),
    outputs: Type.Optional(StringMap('Outputs of the latest attempt, referenced as {{phases.<name>.outputs.<key>}}.')),
    startedAt: Type.Optional(Type.String({ format: 'date-time', description: 'When the current attempt started.' })),
    finishedAt: Type.Optional(Type.String({ format: 'date-time', description: 'When the phase settled.' })),
    message: Type.Optional(Type.String({ description: 'Human-readable detail.' })),
  },
  { description: 'The state of one phase.' },
);

export const WorkflowStatus = Type.Object(
  {
    phase: Type.Optional(closedSet(WorkflowPhase, 'Where the workflow is.')),
    message: Type.Optional(Type.String({ description: 'Human-readable detail.' })),
    templateDigest: Type.Optional(Type.String({ description: 'Digest of the template version being run.' })),
    phases: Type.Optional(Type.Record(Type.String(), WorkflowPhaseStatus, { description: 'Per-phase state by phase name.' })),
    transitions: Type.Optional(Type.Integer({ minimum: 0, description: 'Phase transitions so far (limit 100).' })),
    startedAt: Type.Optional(Type.String({ format: 'date-time', description: 'When the first phase started.' })),
    finishedAt: Type.Optional(Type.String({ format: 'date-time', description: 'When the workflow settled.' })),
    observedGeneration: Type.Optional(Type.Integer({ description: 'The spec generation this status reflects.' })),
    conditions: Type.Optional(Conditions),
  },
  { description: 'What controllers observed about the workflow.' },
);

export const Workflow = defineKind({
  kind: 'Workflow',
  plural: 'workflows',
  shortNames: ['wf'],
  categories: ['all', 'sidekicks'],
  description: 'A multi-phase process (agent phases, automated checks, human phases, gates).',
  spec: WorkflowSpec,
  status: WorkflowStatus,
  immutableFields: ['spec.session', 'spec.templateRef', 'spec.template', 'spec.params', 'spec.repoMount'],
  printerColumns: [
    { name: 'Session', type: 'string', jsonPath: '.spec.session' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Template', type: 'string', jsonPath: '.spec.templateRef.name', priority: 1 },
    { name: 'Message', type: 'string', jsonPath: '.status.message', priority: 1 },
  ],
});
export type Workflow = ObjectOf<typeof Workflow>;
export type WorkflowSpec = Static<typeof WorkflowSpec>;
export type WorkflowStatus = Static<typeof WorkflowStatus>;
