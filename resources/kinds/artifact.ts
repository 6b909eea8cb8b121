/** Artifact: a diff, file or attachment a run produced; content stored by SHA-256 digest. */
import { Type, type Static } from '@sinclair/typebox';
import { Conditions } from '../meta.js';
import { defineKind, type ObjectOf } from '../scheme.js';
import { closedSet } from './common.js';

export const ArtifactType = { Diff: 'Diff', File: 'File', Attachment: 'Attachment', Log: 'Log' } as const;
export type ArtifactType = (typeof ArtifactType)[keyof typeof ArtifactType];

export const ArtifactVisibility = { LocalOnly: 'LocalOnly', Shared: 'Shared' } as const;
export type ArtifactVisibility = (typeof ArtifactVisibility)[keyof typeof ArtifactVisibility];

export const ArtifactPhase = { Pending: 'Pending', Published: 'Published', Superseded: 'Superseded' } as const;
export type ArtifactPhase = (typeof ArtifactPhase)[keyof typeof ArtifactPhase];

export const ArtifactSpec = Type.Object(
  {
    session: Type.String({ minLength: 1, description: 'The Session the artifact belongs to.' }),
    run: Type.Optional(Type.String({ description: 'The Run that produced it.' })),
    type: closedSet(ArtifactType, 'What the artifact is.'),
    mediaType: Type.Optional(Type.String({ description: 'IANA media type of the content, e.g. text/x-diff.' })),
    filename: Type.Optional(Type.String({ description: 'Suggested file name when written out with `sidekick artifact get`.' })),
    visibility: closedSet(ArtifactVisibility, 'Whether the content stays on this machine or is relayed (encrypted) to other participants.', {
      default: ArtifactVisibility.LocalOnly,
    }),
  },
  { description: 'What the artifact is; the content itself lives in the content-addressed store.', additionalProperties: false },
);

export const ArtifactStatus = Type.Object(
  {
    phase: Type.Optional(closedSet(ArtifactPhase, 'Whether the content is stored, and whether a newer artifact replaced it.')),
    digest: Type.Optional(Type.String({ pattern: '^sha256:[0-9a-f]{64}$', description: 'sha256:<hex> of the content; its key in the artifact store.' })),
    size: Type.Optional(Type.Integer({ minimum: 0, description: 'Content size in bytes.' })),
    observedGeneration: Type.Optional(Type.Integer({ description: 'The spec generation this status reflects.' })),
    conditions: Type.Optional(Conditions),
  },
  { description: 'What controllers observed about the artifact.' },
);

export const Artifact = defineKind({
  kind: 'Artifact',
  plural: 'artifacts',
  shortNames: ['art'],
  categories: ['all', 'sidekicks'],
  description: 'A diff, file or attachment a run produced; content stored by SHA-256 digest.',
  spec: ArtifactSpec,
  status: ArtifactStatus,
  immutableFields: ['spec.session', 'spec.run', 'spec.type'],
  printerColumns: [
    { name: 'Session', type: 'string', jsonPath: '.spec.session' },
    { name: 'Run', type: 'string', jsonPath: '.spec.run' },
    { name: 'Type', type: 'string', jsonPath: '.spec.type' },
    { name: 'Size', type: 'integer', jsonPath: '.status.size' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase', priority: 1 },
    { name: 'Digest', type: 'string', jsonPath: '.status.digest', priority: 1 },
  ],
});
export type Artifact = ObjectOf<typeof Artifact>;
export type ArtifactSpec = Static<typeof ArtifactSpec>;
export type ArtifactStatus = Static<typeof ArtifactStatus>;
