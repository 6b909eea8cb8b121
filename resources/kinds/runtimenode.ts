/** RuntimeNode: a machine that executes runs (the local daemon itself, or `sidekick serve` nodes). */
import { Type, type Static } from '@sinclair/typebox';
import { Conditions } from '../meta.js';
import { defineKind, type ObjectOf } from '../scheme.js';
import { Driver, DriverCapabilities, StringMap, closedSet } from './common.js';

export const RuntimeNodePhase = {
  Registering: 'Registering',
  Online: 'Online',
  Degraded: 'Degraded',
  Offline: 'Offline',
  Revoked: 'Revoked',
} as const;
export type RuntimeNodePhase = (typeof RuntimeNodePhase)[keyof typeof RuntimeNodePhase];

export const RuntimeNodeSpec = Type.Object(
  {
    owner: Type.String({ minLength: 1, description: 'The Participant whose machine this is; runs of others are never scheduled here without their membership.' }),
    drivers: Type.Optional(
      Type.Array(closedSet(Driver, 'A driver.'), { description: 'Drivers the node offers.', uniqueItems: true, 'x-kubernetes-list-type': 'set' }),
    ),
    maxRuns: Type.Integer({ minimum: 0, default: 5, description: 'Runs executing on the node at once; 0 stops new scheduling.' }),
    labels: Type.Optional(StringMap('Scheduling labels, matched by runs and sessions.')),
  },
  { description: 'What the node offers.', additionalProperties: false },
);

export const NodeDriverStatus = Type.Object(
  {
    driver: closedSet(Driver, 'The driver.'),
    version: Type.Optional(Type.String({ description: 'Version of the driver binary or API.' })),
    available: Type.Optional(Type.Boolean({ description: 'The binary was found or the endpoint answered.' })),
    capabilities: Type.Optional(DriverCapabilities),
  },
  { description: 'A driver as observed on the node.' },
);

export const RuntimeNodeStatus = Type.Object(
  {
    phase: Type.Optional(closedSet(RuntimeNodePhase, 'Whether the node heartbeats and takes runs.')),
    message: Type.Optional(Type.String({ description: 'Human-readable detail.' })),
    lastHeartbeatTime: Type.Optional(Type.String({ format: 'date-time', description: 'When the node last reported.' })),
    runs: Type.Optional(Type.Integer({ minimum: 0, description: 'Runs executing on the node.' })),
    capabilities: Type.Optional(Type.Array(NodeDriverStatus, { description: 'Drivers found on the node and what they can do.' })),
    version: Type.Optional(Type.String({ description: 'The sidekick version the node runs.' })),
    observedGeneration: Type.Optional(Type.Integer({ description: 'The spec generation this status reflects.' })),
    conditions: Type.Optional(Conditions),
  },
  { description: 'What the node and the node-lifecycle controller observed.' },
);

export const RuntimeNode = defineKind({
  kind: 'RuntimeNode',
  plural: 'runtimenodes',
  shortNames: ['node'],
  categories: ['sidekicks'],
  namespaced: false,
  description: 'A machine that executes runs (the local daemon itself, or `sidekick serve` nodes).',
  spec: RuntimeNodeSpec,
  status: RuntimeNodeStatus,
  immutableFields: ['spec.owner'],
  printerColumns: [
    { name: 'Owner', type: 'string', jsonPath: '.spec.owner' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Runs', type: 'integer', jsonPath: '.status.runs' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Max Runs', type: 'integer', jsonPath: '.spec.maxRuns', priority: 1 },
    { name: 'Last Heartbeat', type: 'date', jsonPath: '.status.lastHeartbeatTime', priority: 1 },
  ],
});
export type RuntimeNode = ObjectOf<typeof RuntimeNode>;
export type RuntimeNodeSpec = Static<typeof RuntimeNodeSpec>;
export type RuntimeNodeStatus = Static<typeof RuntimeNodeStatus>;
