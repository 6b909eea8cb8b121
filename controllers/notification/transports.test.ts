import { describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NotificationSink } from '../../resources/kinds/notificationsink.js';
import type { WebhookRequest } from './bodies.js';
import { HttpWebhookPoster } from './local-notifiers.js';
import type { Notification } from './notifications.js';
import { DeliveryError, isProblem, resolveTransport, type Notifiers } from './transports.js';

const note: Notification = { key: 'u/RunFailed', event: 'RunFailed', namespace: 'default', session: 's', object: 'run/r', run: 'r', summary: 'run r failed', command: 'sidekick logs run/r', time: '2026-01-01T12:00:00Z' };

function webhookSink(webhook: Record<string, unknown>): NotificationSink {
  return { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'NotificationSink', metadata: { name: 'k', namespace: 'default' }, spec: { events: ['RunFailed'], maxAttempts: 5, timeoutSeconds: 10, webhook: { format: 'Generic', ...webhook } } } as NotificationSink;
}

function answering(status: number): Notifiers {
  return { webhook: { post: async () => status }, desktop: { unavailable: async () => 'none', show: async () => undefined }, env: { HOOK_URL: 'https://hooks.example.com/T/B/X', BAD_URL: 'hooks.example.com' } };
}

describe('resolveTransport', () => {
  it.each([
    [200, undefined],
    [204, undefined],
    [301, { message: 'HTTP 301 (redirects are not followed)', permanent: true }],
    [404, { message: 'HTTP 404', permanent: true }],
    [408, { message: 'HTTP 408', permanent: false }],
    [429, { message: 'HTTP 429', permanent: false }],
    [503, { message: 'HTTP 503', permanent: false }],
  ])('an answer %s is %j', async (status, failure) => {
    const t = await resolveTransport(webhookSink({ url: 'http://127.0.0.1:9/h' }), answering(status), () => 0);
    if (isProblem(t)) throw new Error(t.message);
    const sent = t.send(note, new AbortController().signal);
    if (!failure) return expect(sent).resolves.toBeUndefined();
    const err = await sent.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject(failure);
  });

  it('reads urlFrom on this machine, and refuses a value that is not an http(s) URL', async () => {
    const t = await resolveTransport(webhookSink({ urlFrom: { env: 'HOOK_URL' } }), answering(200), () => 0);
    expect(isProblem(t)).toBe(false);
    expect(await resolveTransport(webhookSink({ urlFrom: { env: 'BAD_URL' } }), answering(200), () => 0)).toEqual({ reason: 'InvalidURL', message: 'spec.webhook.urlFrom: the value read is not an http(s) URL' });
    expect(await resolveTransport(webhookSink({ urlFrom: { file: '/nonexistent/slack-url' } }), answering(200), () => 0)).toEqual({ reason: 'SecretNotFound', message: 'spec.webhook.urlFrom: cannot read /nonexistent/slack-url: ENOENT' });
  });
});

describe('HttpWebhookPoster (real HTTP on loopback)', () => {
  const request: WebhookRequest = { body: '{"a":1}', headers: { 'content-type': 'application/json', 'x-sidekick-event': 'RunFailed' } };

  it('POSTs the body and headers and resolves the status', async () => {
    let seen: { method?: string; body: string; event?: string | string[] } = { body: '' };
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen = { method: req.method, body, event: req.headers['x-sidekick-event'] };
        res.statusCode = 202;
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      expect(await new HttpWebhookPoster().post(`http://127.0.0.1:${port}/hook`, request, new AbortController().signal)).toBe(202);
      expect(seen).toEqual({ method: 'POST', body: '{"a":1}', event: 'RunFailed' });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('names why a connection failed, without the URL', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise((r) => server.close(r));
    const err = await new HttpWebhookPoster().post(`http://127.0.0.1:${port}/secret-path`, request, new AbortController().signal).then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toBe(`connect ECONNREFUSED 127.0.0.1:${port}`);
  });
});
