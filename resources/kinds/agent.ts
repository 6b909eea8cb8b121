/** Agent: an agent configuration — driver, model, instructions, tools, budgets. */
import { Type, type Static } from '@sinclair/typebox';
import { Conditions } from '../meta.js';
import { defineKind, type ObjectOf } from '../scheme.js';
import { Script, ToolName } from './agent-script.js';
import { Budget, Driver, DriverCapabilities, IsolationPolicyField, closedSet } from './common.js';

export const AgentPhase = { Ready: 'Ready', Unavailable: 'Unavailable' } as const;
export type AgentPhase = (typeof AgentPhase)[keyof typeof AgentPhase];

/**
 * Where an OpenAI-compatible endpoint's API key is kept: on the machine that runs the agent
 * (`Node`, the default: a laptop's Ollama, a key in the node's environment), or on the control
 * plane (`ControlPlane`), whose model proxy makes the calls so the key never reaches a node.
 */
export const EndpointCredentials = { Node: 'Node', ControlPlane: 'ControlPlane' } as const;
export type EndpointCredentials = (typeof EndpointCredentials)[keyof typeof EndpointCredentials];

/** Where a secret value is read from on the machine that runs the agent; never stored in the object. */
export const SecretSource = Type.Object(
  {
    env: Type.Optional(Type.String({ description: 'Name of an environment variable of the daemon or node.' })),
    file: Type.Optional(Type.String({ description: 'Path of a file whose content (trimmed) is the value.' })),
  },
  { description: 'Where a secret is read from: exactly one of env or file.', additionalProperties: false },
);

export const AgentEnvVar = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'Environment variable name.' }),
    value: Type.Optional(Type.String({ description: 'Literal value.' })),
    valueFrom: Type.Optional(SecretSource),
  },
  { description: 'An environment variable for the agent process: value or valueFrom.', additionalProperties: false },
);

export const AgentSpec = Type.Object(
  {
    driver: closedSet(Driver, 'Which driver runs the agent.'),
    model: Type.Optional(Type.String({ description: 'Model name as the provider knows it, e.g. gpt-4.1, claude-sonnet-4, llama3.1:8b.' })),
    instructions: Type.Optional(Type.String({ description: 'System instructions given to the model before the prompt.' })),
    endpoint: Type.Optional(
      Type.Object(
        {
          baseURL: Type.String({ minLength: 1, format: 'uri', description: 'Base URL of an OpenAI-compatible API (OpenAI, Ollama, vLLM, LM Studio, OpenRouter...), e.g. http://127.0.0.1:11434/v1.' }),
          apiKeyFrom: Type.Optional(SecretSource),
          credentials: Type.Optional(
            closedSet(
              EndpointCredentials,
              "Where the API key is kept. Node (default): apiKeyFrom is read on the machine that runs the agent, and the model is called from there. ControlPlane: apiKeyFrom.env names an environment variable of the control plane, whose model proxy calls the endpoint for the node (SSE streamed through), so the key never reaches a node; on a daemon, which is its own control plane, the key is read locally.",
            ),
          ),
        },
        { description: 'The API endpoint (OpenAI driver).', additionalProperties: false },
      ),
    ),
    command: Type.Optional(Type.String({ description: 'Path of the claude or codex binary, when not on PATH.' })),
    tools: Type.Optional(
      Type.Array(closedSet(ToolName, 'A local tool.'), {
        description: 'Local tools offered to the agent; all of them when unset.',
        uniqueItems: true,
        'x-kubernetes-list-type': 'set',
      }),
    ),
    serverTools: Type.Optional(
      Type.Array(Type.String({ minLength: 1, description: 'The name of a Tool in the namespace.' }), {
        description: 'Server-defined Tools (kind Tool, same namespace) offered to the agent besides its local tools; a run fails with reason ToolNotFound when one is missing.',
        uniqueItems: true,
        'x-kubernetes-list-type': 'set',
      }),
    ),
    maxTurns: Type.Integer({ minimum: 1, default: 50, description: 'Model turns a run may take before it fails with BudgetExhausted.' }),
    budget: Type.Optional(Budget),
    env: Type.Optional(
      Type.Array(AgentEnvVar, {
        description: 'Extra environment for the agent process (credentials are stripped unless passthrough is allowed).',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
    ),
    script: Type.Optional(Script),
    isolation: Type.Optional(IsolationPolicyField),
  },
  { description: 'What the agent is.', additionalProperties: false },
);

export const AgentStatus = Type.Object(
  {
    phase: Type.Optional(closedSet(AgentPhase, 'Whether runs can use the agent (binary found, endpoint answers).')),
    message: Type.Optional(Type.String({ description: 'Why the agent is unavailable.' })),
    capabilities: Type.Optional(DriverCapabilities),
    driverVersion: Type.Optional(Type.String({ description: 'Version reported by the driver (CLI version or API model revision).' })),
    observedGeneration: Type.Optional(Type.Integer({ description: 'The spec generation this status reflects.' })),
    conditions: Type.Optional(Conditions),
  },
  { description: 'What controllers observed about the agent.' },
);

export const Agent = defineKind({
  kind: 'Agent',
  plural: 'agents',
  shortNames: ['ag'],
  categories: ['all', 'sidekicks'],
  description: 'An agent configuration: driver, model, instructions, tools, budgets.',
  spec: AgentSpec,
  status: AgentStatus,
  printerColumns: [
    { name: 'Driver', type: 'string', jsonPath: '.spec.driver' },
    { name: 'Model', type: 'string', jsonPath: '.spec.model' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Version', type: 'string', jsonPath: '.status.driverVersion', priority: 1 },
  ],
});
export type Agent = ObjectOf<typeof Agent>;
export type AgentSpec = Static<typeof AgentSpec>;
export type AgentStatus = Static<typeof AgentStatus>;
