/**
 * What a notification looks like on the wire: the Generic JSON body (signed with HMAC-SHA256 of
 * the raw body when the sink has a secret), a Slack incoming-webhook message, and the title and
 * text of a desktop notification. Pure functions, so tests check the exact bytes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { NotificationEvent, WebhookFormat } from '../../resources/kinds/notificationsink.js';
import type { Notification } from './notifications.js';

/** The header carrying `sha256=<hex HMAC-SHA256 of the raw body>`. */
export const SIGNATURE_HEADER = 'x-sidekick-signature';
/** The header carrying the send time in Unix seconds (equal to the signed body's `sentAt`). */
export const TIMESTAMP_HEADER = 'x-sidekick-timestamp';
/** The header naming the notification (`<uid>/<event>`): the same on every retry, for receivers that dedupe. */
export const DELIVERY_HEADER = 'x-sidekick-delivery';
/** The header naming the event (ApprovalRequested, ...). */
export const EVENT_HEADER = 'x-sidekick-event';

/**
 * The Generic body: what waits, where, and the command that answers it — the notification's own
 * fields (its event as `type`), plus when this attempt was sent (Unix seconds, under the
 * signature) and the notification's key as `id` (as in X-Sidekick-Delivery).
 */
export type GenericBody = Pick<Notification, 'namespace' | 'session' | 'run' | 'approval' | 'workflow' | 'summary' | 'command' | 'time'> & {
  type: NotificationEvent;
  sentAt: number;
  id: string;
};

/** A request ready to POST. */
export interface WebhookRequest {
  body: string;
  headers: Record<string, string>;
}

/** The signature header value of a raw body. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Whether `header` is the signature of `body` under `secret` (constant time); what a receiver does. */
export function verifySignature(secret: string, body: string, header: string | undefined): boolean {
  const expected = Buffer.from(signature(secret, body));
  const given = Buffer.from(header ?? '');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export function genericBody(n: Notification, sentAt: number): GenericBody {
  return {
    type: n.event,
    namespace: n.namespace,
    session: n.session,
    ...(n.run ? { run: n.run } : {}),
    ...(n.approval ? { approval: n.approval } : {}),
    ...(n.workflow ? { workflow: n.workflow } : {}),
    summary: n.summary,
    command: n.command,
    time: n.time,
    sentAt,
    id: n.key,
  };
}

const HEADLINE: Record<NotificationEvent, string> = {
  ApprovalRequested: 'Approval needed',
  InputRequested: 'Question',
  GateWaiting: 'Workflow waiting',
  RunFailed: 'Run failed',
};

/** The one-line title of a notification (desktop title, Slack's first words). */
export function headline(n: Notification): string {
  return `${HEADLINE[n.event]} — session ${n.session}`;
}

/** Slack mrkdwn escapes: &, < and > are control characters there. */
function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A Slack incoming-webhook message: `text` says what waits and the exact command; `blocks` lay it out. */
export function slackBody(n: Notification): { text: string; blocks: unknown[] } {
  const verb = n.event === 'RunFailed' ? 'See why' : 'Answer';
  const text = `${headline(n)}: ${n.summary}\n${verb} with: ${n.command}`;
  return {
    text: slackEscape(text),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${slackEscape(headline(n))}*\n${slackEscape(n.summary)}` } },
      { type: 'section', text: { type: 'mrkdwn', text: `${verb} with: \`${slackEscape(n.command)}\`` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: slackEscape(`${n.object} · ${n.time}`) }] },
    ],
  };
}

/** The POST of one attempt: the body in `format`, signed when there is a secret. */
export function webhookRequest(n: Notification, format: WebhookFormat, secret: string | undefined, sentAtMs: number): WebhookRequest {
  const sentAt = Math.floor(sentAtMs / 1000);
  const body = JSON.stringify(format === 'Slack' ? slackBody(n) : genericBody(n, sentAt));
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'sidekicks-notifier',
      [EVENT_HEADER]: n.event,
      [DELIVERY_HEADER]: n.key,
      ...(secret !== undefined ? { [SIGNATURE_HEADER]: signature(secret, body), [TIMESTAMP_HEADER]: String(sentAt) } : {}),
    },
  };
}

/** A desktop notification's title and text. */
export function desktopText(n: Notification): { title: string; text: string } {
  return { title: headline(n), text: `${n.summary}\n${n.event === 'RunFailed' ? 'See why' : 'Answer'}: ${n.command}` };
}
