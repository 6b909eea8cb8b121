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

/**
 * What `get nodes` prints in STATUS, like kubectl's: Ready or NotReady by the node's Lease, with
 * `,SchedulingDisabled` when cordoned; Revoked once its credential is; Unknown before any Lease.
 */
export const RuntimeNodeState = {
  Ready: 'Ready',
  NotReady: 'NotReady',
  ReadySchedulingDisabled: 'Ready,SchedulingDisabled',
  NotReadySchedulingDisabled: 'NotReady,SchedulingDisabled',
  Revoked: 'Revoked',
  Unknown: 'Unknown',
} as const;
export type RuntimeNodeState = (typeof RuntimeNodeState)[keyof typeof RuntimeNodeState];

/** A session a node's owner lets run on the node: `namespace/name`, or `namespace/*` for every session of the namespace. */
export const SESSION_GRANT_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?/(\\*|[a-z0-9]([-a-z0-9.]*[a-z0-9])?)$';

export const RuntimeNodeSpec = Type.Object(
  {
    owner: Type.String({ minLength: 1, description: 'The Participant whose machine this is; runs of others are never scheduled here without their membership.' }),
    drivers: Type.Optional(
      Type.Array(closedSet(Driver, 'A driver.'), { description: 'Drivers the node offers.', uniqueItems: true, 'x-kubernetes-list-type': 'set' }),
    ),
    maxRuns: Type.Integer({ minimum: 0, default: 5, description: 'Runs executing on the node at once; 0 stops new scheduling.' }),
    labels: Type.Optional(StringMap('Scheduling labels, matched by runs and sessions.')),
    sessions: Type.Optional(
      Type.Array(Type.String({ pattern: SESSION_GRANT_PATTERN, description: '`namespace/name` of a session, or `namespace/*`.' }), {
        description:
          "Sessions whose runs the owner lets execute here even when someone else created them (`namespace/name` or `namespace/*`). Without an entry only the owner's own runs are scheduled here: session membership never allows execution on another person's machine.",
        uniqueItems: true,
        'x-kubernetes-list-type': 'set',
      }),
    ),
    unschedulable: Type.Optional(Type.Boolean({ description: 'true cordons the node: no new runs are scheduled onto it; runs already bound keep running.' })),
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

export const NodeInfo = Type.Object(
  {
    operatingSystem: Type.Optional(Type.String({ description: 'The operating system, e.g. linux or darwin.' })),
    architecture: Type.Optional(Type.String({ description: 'The CPU architecture, e.g. x64 or arm64.' })),
    kernelVersion: Type.Optional(Type.String({ description: 'The kernel release.' })),
    isolation: Type.Optional(Type.String({ description: 'The sandbox mechanism runs get on this node (e.g. bubblewrap, sandbox-exec, none).' })),
    sidekickVersion: Type.Optional(Type.String({ description: 'The sidekick version the node runs.' })),
  },
  { description: 'What the node reported about its machine at registration.' },
);

export const RuntimeNodeStatus = Type.Object(
  {
    phase: Type.Optional(closedSet(RuntimeNodePhase, 'Whether the node heartbeats and takes runs.')),
    state: Type.Optional(closedSet(RuntimeNodeState, 'What `get nodes` prints in STATUS: Ready/NotReady by the node\'s Lease, `,SchedulingDisabled` when cordoned, Revoked, Unknown before the first Lease.')),
    message: Type.Optional(Type.String({ description: 'Human-readable detail.' })),
    lastHeartbeatTime: Type.Optional(Type.String({ format: 'date-time', description: 'When the node last reported.' })),
    runs: Type.Optional(Type.Integer({ minimum: 0, description: 'Runs executing on the node.' })),
    capabilities: Type.Optional(Type.Array(NodeDriverStatus, { description: 'Drivers found on the node and what they can do.' })),
    version: Type.Optional(Type.String({ description: 'The sidekick version the node runs.' })),
    nodeInfo: Type.Optional(NodeInfo),
    drivers: Type.Optional(Type.String({ description: 'The drivers runs can be scheduled here for, comma-separated (what `get nodes -o wide` prints); written by the node-lifecycle controller.' })),
    observedGeneration: Type.Optional(Type.Integer({ description: 'The spec generation this status reflects.' })),
    conditions: Type.Optional(Conditions),
  },
  { description: 'What the node and the node-lifecycle controller observed.' },
);

export const RuntimeNode = defineKind({
  kind: 'RuntimeNode',
  plural: 'runtimenodes',
  // kubectl's names for its own nodes, so `sidekick get nodes` and `kubectl get nodes` (through our discovery) list these.
  shortNames: ['node', 'nodes', 'no'],
  categories: ['sidekicks'],
  namespaced: false,
  description: 'A machine that executes runs (the local daemon itself, or `sidekick serve` nodes).',
  spec: RuntimeNodeSpec,
  status: RuntimeNodeStatus,
  immutableFields: ['spec.owner'],
  // The columns of `kubectl get nodes` (NAME STATUS ROLES AGE VERSION), OWNER and RUNS for ROLES.
  printerColumns: [
    { name: 'Status', type: 'string', jsonPath: '.status.state', description: 'Ready/NotReady by the node\'s Lease, SchedulingDisabled when cordoned, Revoked.' },
    { name: 'Owner', type: 'string', jsonPath: '.spec.owner' },
    { name: 'Runs', type: 'integer', jsonPath: '.status.runs', description: 'Runs executing on the node.' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Version', type: 'string', jsonPath: '.status.version', description: 'The sidekick version the node runs.' },
    { name: 'Max Runs', type: 'integer', jsonPath: '.spec.maxRuns', priority: 1 },
    { name: 'OS', type: 'string', jsonPath: '.status.nodeInfo.operatingSystem', priority: 1 },
    { name: 'Isolation', type: 'string', jsonPath: '.status.nodeInfo.isolation', priority: 1 },
    { name: 'Drivers', type: 'string', jsonPath: '.status.drivers', description: 'Drivers the node offers, comma-separated.', priority: 1 },
    { name: 'Last Heartbeat', type: 'date', jsonPath: '.status.lastHeartbeatTime', priority: 1 },
  ],
});
export type RuntimeNode = ObjectOf<typeof RuntimeNode>;
export type RuntimeNodeSpec = Static<typeof RuntimeNodeSpec>;
export type RuntimeNodeStatus = Static<typeof RuntimeNodeStatus>;
export type NodeInfo = Static<typeof NodeInfo>;
