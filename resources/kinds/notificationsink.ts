/** NotificationSink: where a person hears that something waits for them (a webhook, the desktop). */
import { Type, type Static } from '@sinclair/typebox';
import { Conditions } from '../meta.js';
import { defineKind, type ObjectOf } from '../scheme.js';
import { SecretSource } from './agent.js';
import { closedSet } from './common.js';

/** What a sink tells about: the moments a person is needed, and a run that failed. */
export const NotificationEvent = {
  /** An Approval of a run became Pending (a tool call, a write, the network, git, a plan). */
  ApprovalRequested: 'ApprovalRequested',
  /** A run asked its user a question (a UserInput Approval; the run is WaitingForInput). */
  InputRequested: 'InputRequested',
  /** A workflow waits on a person: a HumanApproval gate or a Human phase's contribution. */
  GateWaiting: 'GateWaiting',
  /** A run ended Failed. */
  RunFailed: 'RunFailed',
} as const;
export type NotificationEvent = (typeof NotificationEvent)[keyof typeof NotificationEvent];

export const WebhookFormat = { Generic: 'Generic', Slack: 'Slack' } as const;
export type WebhookFormat = (typeof WebhookFormat)[keyof typeof WebhookFormat];

export const NotificationSinkPhase = { Ready: 'Ready', Failing: 'Failing' } as const;
export type NotificationSinkPhase = (typeof NotificationSinkPhase)[keyof typeof NotificationSinkPhase];

export const DeliveryOutcome = { Delivered: 'Delivered', Failed: 'Failed' } as const;
export type DeliveryOutcome = (typeof DeliveryOutcome)[keyof typeof DeliveryOutcome];

/** A SecretSource with its own description (which becomes `explain` output). */
function secretSource(description: string) {
  return Type.Object(SecretSource.properties, { description, additionalProperties: false });
}

export const WebhookTarget = Type.Object(
  {
    url: Type.Optional(Type.String({ pattern: '^https?://', description: 'The URL notifications are POSTed to. Anyone who may read the sink sees it: for a URL that is itself a secret (a Slack incoming webhook), use urlFrom.' })),
    urlFrom: Type.Optional(secretSource("Where the URL is read from on the daemon's machine (exactly one of env or file); never stored in the object.")),
    format: closedSet(
      WebhookFormat,
      'The body: Generic (JSON {type, namespace, session, run, approval, workflow, summary, command, time, sentAt, id}) or Slack (an incoming-webhook message {text, blocks}).',
      { default: WebhookFormat.Generic },
    ),
    secretFrom: Type.Optional(
      secretSource(
        "The signing key, read on the daemon's machine (exactly one of env or file). When set, each POST carries X-Sidekick-Signature: sha256=<hex HMAC-SHA256 of the raw body> and X-Sidekick-Timestamp (Unix seconds, also the body's sentAt).",
      ),
    ),
  },
  { description: 'POST each notification to a URL (exactly one of url or urlFrom).', additionalProperties: false },
);

export const NotificationSinkSpec = Type.Object(
  {
    session: Type.Optional(Type.String({ minLength: 1, description: 'Only notify about this Session; every session of the namespace when unset.' })),
    events: Type.Array(closedSet(NotificationEvent, 'A moment worth a notification.'), {
      description: 'What to notify about (default: all of them).',
      default: Object.values(NotificationEvent),
      minItems: 1,
      uniqueItems: true,
      'x-kubernetes-list-type': 'set',
    }),
    webhook: Type.Optional(WebhookTarget),
    desktop: Type.Optional(
      Type.Object({}, { description: 'Show a desktop notification on the daemon\'s machine: notify-send on Linux, osascript on macOS.', additionalProperties: false }),
    ),
    maxAttempts: Type.Integer({ minimum: 1, maximum: 10, default: 5, description: 'Attempts per notification before it is recorded as failed (waiting 0.5 s, 1 s, 2 s … between them).' }),
    timeoutSeconds: Type.Integer({ minimum: 1, maximum: 60, default: 10, description: 'How long one attempt may take.' }),
  },
  { description: 'What to notify about and where (exactly one of webhook or desktop).', additionalProperties: false },
);

export const LastDelivery = Type.Object(
  {
    time: Type.String({ format: 'date-time', description: 'When the delivery ended.' }),
    event: closedSet(NotificationEvent, 'What was notified.'),
    object: Type.String({ description: 'What it was about, as kind/name (approval/hello-x7k2q, run/hello).' }),
    outcome: closedSet(DeliveryOutcome, 'Whether it arrived.'),
    attempts: Type.Integer({ minimum: 1, description: 'Attempts made.' }),
    error: Type.Optional(Type.String({ description: 'Why the last attempt failed.' })),
  },
  { description: 'The last notification this sink finished with.', additionalProperties: false },
);

export const NotificationSinkStatus = Type.Object(
  {
    phase: Type.Optional(closedSet(NotificationSinkPhase, 'Ready, or Failing (the sink cannot deliver, or its last delivery failed).')),
    delivered: Type.Optional(Type.Integer({ minimum: 0, description: 'Notifications delivered.' })),
    failed: Type.Optional(Type.Integer({ minimum: 0, description: 'Notifications given up on after maxAttempts.' })),
    lastDelivery: Type.Optional(LastDelivery),
    notified: Type.Optional(
      Type.Array(Type.String(), {
        description:
          'The <object uid>/<event> pairs already delivered (or given up on) that still matter: kept while their object still waits, so a restart or a resync never notifies twice.',
      }),
    ),
    observedGeneration: Type.Optional(Type.Integer({ description: 'The spec generation this status reflects.' })),
    conditions: Type.Optional(Conditions),
  },
  { description: 'What the notification controller observed about the sink.' },
);

export const NotificationSink = defineKind({
  kind: 'NotificationSink',
  plural: 'notificationsinks',
  // Not `ns`: kubectl's short name of namespaces.
  shortNames: ['nsink'],
  categories: ['all', 'sidekicks'],
  description: 'Where a person hears that something waits for them: an approval, a question, a workflow gate, a failed run.',
  spec: NotificationSinkSpec,
  status: NotificationSinkStatus,
  printerColumns: [
    { name: 'Session', type: 'string', jsonPath: '.spec.session' },
    { name: 'Webhook', type: 'string', jsonPath: '.spec.webhook.format' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Delivered', type: 'integer', jsonPath: '.status.delivered' },
    { name: 'Failed', type: 'integer', jsonPath: '.status.failed' },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    { name: 'Last Event', type: 'string', jsonPath: '.status.lastDelivery.event', priority: 1 },
    { name: 'Last Object', type: 'string', jsonPath: '.status.lastDelivery.object', priority: 1 },
  ],
});
export type NotificationSink = ObjectOf<typeof NotificationSink>;
export type NotificationSinkSpec = Static<typeof NotificationSinkSpec>;
export type NotificationSinkStatus = Static<typeof NotificationSinkStatus>;
export type LastDelivery = Static<typeof LastDelivery>;
