/**
 * How a sink reaches a person, behind two small interfaces — a WebhookPoster (HTTP) and a
 * DesktopNotifier (a local process) — so reconciler tests use fakes and the daemon the real thing.
 * `resolveTransport` turns a sink's spec into a Transport (secrets read now, on this machine), or
 * says why it cannot: a missing secret or notifier makes the sink not Ready, never a crash.
 */
import type { NotificationSink } from '../../resources/kinds/notificationsink.js';
import { resolveSource } from '../run/agent-config.js';
import { desktopText, webhookRequest, type WebhookRequest } from './bodies.js';
import type { Notification } from './notifications.js';

/** Sends one POST; resolves the HTTP status code (rejects on a network error or an abort). */
export interface WebhookPoster {
  post(url: string, request: WebhookRequest, signal: AbortSignal): Promise<number>;
}

/** Shows a desktop notification on this machine. */
export interface DesktopNotifier {
  /** Why notifications cannot be shown here (the binary is missing, the platform has none), or undefined. */
  unavailable(): Promise<string | undefined>;
  /** Shows one; rejects when the notifier fails or `signal` aborts. */
  show(title: string, text: string, signal: AbortSignal): Promise<void>;
}

/** The side effects a sink needs. */
export interface Notifiers {
  webhook: WebhookPoster;
  desktop: DesktopNotifier;
  /** The daemon's environment, where `env` secrets are read. */
  env: NodeJS.ProcessEnv;
}

/** A failed attempt; `permanent` when another attempt cannot succeed (a 3xx, a 4xx other than 408/429). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent = false,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** A sink made ready to send: one attempt per call. */
export interface Transport {
  /** What it delivers to, for status messages (never the URL: it may be a secret). */
  describe: string;
  send(n: Notification, signal: AbortSignal): Promise<void>;
}

/** Why a sink cannot deliver now (condition reason + message). */
export interface TransportProblem {
  reason: string;
  message: string;
}

/** The Transport of a sink, or why it has none; secrets are read on every call (a rotated file is picked up). */
export async function resolveTransport(sink: NotificationSink, n: Notifiers, now: () => number): Promise<Transport | TransportProblem> {
  const spec = sink.spec;
  if (spec.desktop) {
    const missing = await n.desktop.unavailable();
    if (missing) return { reason: 'NotifierUnavailable', message: missing };
    return {
      describe: 'desktop',
      send: (note, signal) => {
        const { title, text } = desktopText(note);
        return n.desktop.show(title, text, signal);
      },
    };
  }
  const w = spec.webhook!;
  let url: string;
  let secret: string | undefined;
  try {
    url = w.urlFrom ? await resolveSource(w.urlFrom, n.env, 'spec.webhook.urlFrom') : w.url!;
    secret = w.secretFrom ? await resolveSource(w.secretFrom, n.env, 'spec.webhook.secretFrom') : undefined;
  } catch (err) {
    return { reason: 'SecretNotFound', message: (err as Error).message };
  }
  if (!/^https?:\/\//.test(url)) return { reason: 'InvalidURL', message: 'spec.webhook.urlFrom: the value read is not an http(s) URL' };
  return {
    describe: `webhook (${w.format})`,
    send: async (note, signal) => {
      const status = await n.webhook.post(url, webhookRequest(note, w.format, secret, now()), signal);
      if (status >= 200 && status < 300) return;
      // A redirect (not followed) or a refusal will be the same next time; a 408, 429 or 5xx may not.
      if (status >= 300 && status < 400) throw new DeliveryError(`HTTP ${status} (redirects are not followed)`, true);
      throw new DeliveryError(`HTTP ${status}`, status >= 400 && status < 500 && status !== 408 && status !== 429);
    },
  };
}

/** Whether resolveTransport found a problem. */
export function isProblem(t: Transport | TransportProblem): t is TransportProblem {
  return 'reason' in t;
}
