/**
 * WorkflowTemplate: an immutable, versioned workflow definition that Workflows instantiate with
 * parameters. The phase graph is declared here; Workflow reuses it for inline templates.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Conditions } from '../meta.js';
import { defineKind, type ObjectOf } from '../scheme.js';
import { closedSet } from './common.js';

export const PhaseType = { Agent: 'Agent', MultiAgent: 'MultiAgent', Automated: 'Automated', Human: 'Human' } as const;
export type PhaseType = (typeof PhaseType)[keyof typeof PhaseType];

export const GateType = { AutoContinue: 'AutoContinue', QualityChecks: 'QualityChecks', HumanApproval: 'HumanApproval' } as const;
export type GateType = (typeof GateType)[keyof typeof GateType];

export const GateFailureAction = { Retry: 'Retry', GoBackTo: 'GoBackTo', Stop: 'Stop' } as const;
export type GateFailureAction = (typeof GateFailureAction)[keyof typeof GateFailureAction];

export const JoinPolicy = { FailFast: 'FailFast', AllSettled: 'AllSettled', AnySuccess: 'AnySuccess' } as const;
export type JoinPolicy = (typeof JoinPolicy)[keyof typeof JoinPolicy];

export const HumanTimeoutBehavior = { Fail: 'Fail', Continue: 'Continue' } as const;
export type HumanTimeoutBehavior = (typeof HumanTimeoutBehavior)[keyof typeof HumanTimeoutBehavior];

/** Phase and parameter names are referenced in templates ({{phases.plan.outputs.x}}), so they are identifiers. */
const identifier = { pattern: '^[a-z][a-z0-9-]*$', maxLength: 63 };
/** A Go-style duration as Argo and Kubernetes users write it: 30s, 10m, 1h30m. */
const duration = { pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$' };

export const WorkflowParam = Type.Object(
  {
    name: Type.String({ ...identifier, description: 'Parameter name, referenced as {{params.<name>}}.' }),
    default: Type.Optional(Type.String({ description: 'Value used when the Workflow does not set it; without one the parameter is required.' })),
    description: Type.Optional(Type.String({ description: 'What the parameter means.' })),
  },
  { description: 'A template parameter.', additionalProperties: false },
);

export const QualityCheck = Type.Object(
  {
    name: Type.Optional(Type.String({ description: 'Label shown in the workflow tree.' })),
    command: Type.Optional(Type.String({ description: 'A command run in the workflow workspace; exit 0 passes.' })),
    agent: Type.Optional(Type.String({ description: 'An Agent that reviews instead of a command; it must answer pass or fail.' })),
    prompt: Type.Optional(Type.String({ description: 'What the reviewing agent is asked (with agent).' })),
  },
  { description: 'One check: a command or an agent.', additionalProperties: false },
);

export const PhaseGate = Type.Object(
  {
    type: closedSet(GateType, 'How the phase result is accepted.', { default: GateType.AutoContinue }),
    checks: Type.Optional(Type.Array(QualityCheck, { description: 'Checks of a QualityChecks gate; all must pass.' })),
    onFailure: closedSet(GateFailureAction, 'What a failed gate does.', { default: GateFailureAction.Stop }),
    goBackTo: Type.Optional(Type.String({ description: 'The phase to return to with onFailure GoBackTo.' })),
  },
  { description: 'The gate after the phase.', additionalProperties: false },
);

export const HumanPhase = Type.Object(
  {
    prompt: Type.String({ minLength: 1, description: 'What the person is asked to provide.' }),
    inputSchema: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'JSON Schema of the expected submission (a form).' }),
    ),
    timeout: Type.Optional(Type.String({ ...duration, description: 'How long to wait for the submission, e.g. 24h.' })),
    timeoutBehavior: closedSet(HumanTimeoutBehavior, 'What a timeout does to the phase.', { default: HumanTimeoutBehavior.Fail }),
  },
  { description: 'A Human phase: a form answered through an Approval of category HumanPhaseContribution.', additionalProperties: false },
);

export const WorkflowPhaseSpec = Type.Object(
  {
    name: Type.String({ ...identifier, description: 'Phase name, unique in the template.' }),
    type: closedSet(PhaseType, 'What the phase does.'),
    agent: Type.Optional(Type.String({ description: 'The Agent of an Agent phase.' })),
    prompt: Type.Optional(Type.String({ description: 'The prompt; may reference {{params.x}} and {{phases.<name>.outputs.<key>}}.' })),
    command: Type.Optional(Type.String({ description: 'The command of an Automated phase.' })),
    channel: Type.Optional(Type.String({ description: 'The Channel of a MultiAgent phase.' })),
    human: Type.Optional(HumanPhase),
    dependsOn: Type.Optional(
      Type.Array(Type.String(), { description: 'Phases that must succeed first; independent phases run in parallel.', uniqueItems: true, 'x-kubernetes-list-type': 'set' }),
    ),
    gate: Type.Optional(PhaseGate),
    retries: Type.Integer({ minimum: 0, maximum: 3, default: 0, description: 'Extra attempts after a failure.' }),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, description: 'Time limit of one attempt.' })),
  },
  { description: 'One phase of the workflow.', additionalProperties: false },
);

export const WorkflowTemplateSpec = Type.Object(
  {
    params: Type.Optional(
      Type.Array(WorkflowParam, { description: 'Parameters the workflow takes.', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'] }),
    ),
    phases: Type.Array(WorkflowPhaseSpec, {
      minItems: 1,
      description: 'The phases, run in dependency order; cycles are rejected.',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    }),
    joinPolicy: closedSet(JoinPolicy, 'How parallel phases settle: FailFast cancels siblings on a failure.', { default: JoinPolicy.FailFast }),
    maxConcurrentPhases: Type.Integer({ minimum: 1, default: 4, description: 'Independent phases run at once.' }),
  },
  { description: 'The workflow definition.', additionalProperties: false },
);

export const WorkflowTemplateStatus = Type.Object(
  {
    digest: Type.Optional(Type.String({ pattern: '^sha256:[0-9a-f]{64}$', description: 'sha256:<hex> of the canonical spec; Workflows pin it.' })),
    observedGeneration: Type.Optional(Type.Integer({ description: 'The spec generation this status reflects.' })),
    conditions: Type.Optional(Conditions),
  },
  { description: 'What controllers observed about the template.' },
);

export const WorkflowTemplate = defineKind({
  kind: 'WorkflowTemplate',
  plural: 'workflowtemplates',
  shortNames: ['wft'],
  categories: ['all', 'sidekicks'],
  description: 'An immutable, versioned workflow definition that Workflows instantiate with parameters.',
  spec: WorkflowTemplateSpec,
  status: WorkflowTemplateStatus,
  immutableFields: ['spec'],
  printerColumns: [
    { name: 'Join Policy', type: 'string', jsonPath: '.spec.joinPolicy' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Digest', type: 'string', jsonPath: '.status.digest', priority: 1 },
  ],
});
export type WorkflowTemplate = ObjectOf<typeof WorkflowTemplate>;
export type WorkflowTemplateSpec = Static<typeof WorkflowTemplateSpec>;
export type WorkflowTemplateStatus = Static<typeof WorkflowTemplateStatus>;
