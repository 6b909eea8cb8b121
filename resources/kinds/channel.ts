/** Channel: a multi-agent conversation with a turn policy. */
import { Type, type Static } from '@sinclair/typebox';
import { Conditions } from '../meta.js';
import { defineKind, type ObjectOf } from '../scheme.js';
import { closedSet } from './common.js';

export const TurnPolicy = { FreeForm: 'FreeForm', RoundRobin: 'RoundRobin', RequestBased: 'RequestBased' } as const;
export type TurnPolicy = (typeof TurnPolicy)[keyof typeof TurnPolicy];

export const ChannelPhase = { Active: 'Active', Muted: 'Muted', Archived: 'Archived' } as const;
export type ChannelPhase = (typeof ChannelPhase)[keyof typeof ChannelPhase];

export const ChannelSpec = Type.Object(
  {
    session: Type.String({ minLength: 1, description: 'The Session the channel belongs to.' }),
    turnPolicy: closedSet(
      TurnPolicy,
      'Who speaks next: FreeForm (anyone), RoundRobin (in order, never skipping; pauses while a member is unreachable), RequestBased (whoever is addressed).',
      { default: TurnPolicy.FreeForm },
    ),
    agents: Type.Optional(
      Type.Array(Type.String(), { description: 'The Agents taking part, in speaking order.', uniqueItems: true, 'x-kubernetes-list-type': 'set' }),
    ),
    maxTurns: Type.Optional(Type.Integer({ minimum: 1, description: 'Turns after which the channel is muted.' })),
    topic: Type.Optional(Type.String({ description: 'What the conversation is about; given to every agent.' })),
  },
  { description: 'What the user wants from the channel.', additionalProperties: false },
);

export const ChannelStatus = Type.Object(
  {
    phase: Type.Optional(closedSet(ChannelPhase, 'Whether the channel takes messages.')),
    turn: Type.Optional(Type.Integer({ minimum: 0, description: 'Turns taken.' })),
    nextSpeaker: Type.Optional(Type.String({ description: 'The agent whose turn it is (RoundRobin).' })),
    messages: Type.Optional(Type.Integer({ minimum: 0, description: 'Messages posted.' })),
    observedGeneration: Type.Optional(Type.Integer({ description: 'The spec generation this status reflects.' })),
    conditions: Type.Optional(Conditions),
  },
  { description: 'What controllers observed about the channel.' },
);

export const Channel = defineKind({
  kind: 'Channel',
  plural: 'channels',
  shortNames: ['ch'],
  categories: ['all', 'sidekicks'],
  description: 'A multi-agent conversation with a turn policy.',
  spec: ChannelSpec,
  status: ChannelStatus,
  immutableFields: ['spec.session'],
  printerColumns: [
    { name: 'Session', type: 'string', jsonPath: '.spec.session' },
    { name: 'Turn Policy', type: 'string', jsonPath: '.spec.turnPolicy' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Messages', type: 'integer', jsonPath: '.status.messages', priority: 1 },
    { name: 'Next Speaker', type: 'string', jsonPath: '.status.nextSpeaker', priority: 1 },
  ],
});
export type Channel = ObjectOf<typeof Channel>;
export type ChannelSpec = Static<typeof ChannelSpec>;
export type ChannelStatus = Static<typeof ChannelStatus>;
