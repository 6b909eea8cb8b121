import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { slackBody, verifySignature, webhookRequest } from './bodies.js';
import type { Notification } from './notifications.js';

const n: Notification = {
  key: 'uid-1/ApprovalRequested',
  event: 'ApprovalRequested',
  namespace: 'default',
  session: 'hello',
  object: 'approval/hello-x7k2q',
  run: 'hello',
  approval: 'hello-x7k2q',
  summary: 'run hello asks to run: rm -rf build && echo <done>',
  command: 'sidekick approve hello-x7k2q',
  time: '2026-01-01T12:00:00Z',
};
const SENT = Date.UTC(2026, 0, 1, 12, 0, 3, 250);

describe('webhook bodies', () => {
  it('Generic: the JSON body names the approval and the command; signed with HMAC-SHA256 of the raw body', () => {
    const req = webhookRequest(n, 'Generic', 's3cret', SENT);
    expect(JSON.parse(req.body)).toEqual({
      type: 'ApprovalRequested',
      namespace: 'default',
      session: 'hello',
      run: 'hello',
      approval: 'hello-x7k2q',
      summary: n.summary,
      command: 'sidekick approve hello-x7k2q',
      time: '2026-01-01T12:00:00Z',
      sentAt: Math.floor(SENT / 1000),
      id: 'uid-1/ApprovalRequested',
    });
    // What a receiver computes on its own.
    const expected = `sha256=${createHmac('sha256', 's3cret').update(req.body).digest('hex')}`;
    expect(req.headers['x-sidekick-signature']).toBe(expected);
    expect(req.headers['x-sidekick-timestamp']).toBe(String(Math.floor(SENT / 1000)));
    expect(req.headers['x-sidekick-delivery']).toBe('uid-1/ApprovalRequested');
    expect(req.headers['x-sidekick-event']).toBe('ApprovalRequested');
    expect(verifySignature('s3cret', req.body, req.headers['x-sidekick-signature'])).toBe(true);
    expect(verifySignature('other', req.body, req.headers['x-sidekick-signature'])).toBe(false);
    expect(verifySignature('s3cret', req.body.replace('hello-x7k2q', 'hello-aaaaa'), req.headers['x-sidekick-signature'])).toBe(false);
  });

  it('Generic without a secret: no signature headers', () => {
    const req = webhookRequest(n, 'Generic', undefined, SENT);
    expect(req.headers['x-sidekick-signature']).toBeUndefined();
    expect(req.headers['x-sidekick-timestamp']).toBeUndefined();
  });

  it('Slack: text says what waits and the exact command, escaped for mrkdwn', () => {
    const body = JSON.parse(webhookRequest(n, 'Slack', undefined, SENT).body) as ReturnType<typeof slackBody>;
    expect(body.text).toBe('Approval needed — session hello: run hello asks to run: rm -rf build &amp;&amp; echo &lt;done&gt;\nAnswer with: sidekick approve hello-x7k2q');
    expect(JSON.stringify(body.blocks)).toContain('`sidekick approve hello-x7k2q`');
  });

  it('Slack for a failed run: how to see why', () => {
    const failed: Notification = { ...n, event: 'RunFailed', key: 'uid-2/RunFailed', object: 'run/hello', summary: 'run hello failed: Timeout', command: 'sidekick logs run/hello' };
    expect(slackBody(failed).text).toBe('Run failed — session hello: run hello failed: Timeout\nSee why with: sidekick logs run/hello');
  });
});
