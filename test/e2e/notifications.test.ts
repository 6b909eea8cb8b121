/**
 * Notifications end to end: a real daemon, Scripted runs whose RunCommand asks for approval, and
 * webhook receivers on 127.0.0.1 (node:http) — one that answers, one that fails twice first, one
 * that never answers. The desktop sink runs in a daemon process whose PATH starts with a fake
 * `notify-send`: a real executable that records its argv, spawned for real.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { delimiter, join } from 'node:path';
import { sidekickHome } from '../../api/home.js';
import type { Approval } from '../../resources/kinds/approval.js';
import type { NotificationSink } from '../../resources/kinds/notificationsink.js';
import { eventually } from '../eventually.js';
import { applyAll, completedRun, repo, demoRepo, GV, pendingApprovalOf, sidekick, SocketApi, startDaemonProcess, startInProcessDaemon, stopDaemonProcess, type InProcessDaemon } from './support.js';

const V = 'sidekicks.dev/v1alpha1';
const SECRET = 'hook-s3cret';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver: `/ok` answers 200, `/flaky` 500 to a delivery's first two attempts, `/hang` never answers. */
async function receiver(): Promise<{ url: string; received: Received[]; hanging: ServerResponse[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const hanging: ServerResponse[] = [];
  const attempts = new Map<string, number>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      if (req.url === '/hang') return void hanging.push(res);
      const id = String(req.headers['x-sidekick-delivery']);
      const n = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, n);
      res.statusCode = req.url === '/flaky' && n <= 2 ? 500 : 200;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    hanging,
    close: () => {
      for (const res of hanging) res.end();
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

const signedBy = (secret: string, r: Received) => r.headers['x-sidekick-signature'] === `sha256=${createHmac('sha256', secret).update(r.body).digest('hex')}`;

function sinkObject(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: V, kind: 'NotificationSink', metadata: { name }, spec };
}

describe('notification sinks (in-process daemon, webhooks on loopback)', () => {
  let d: InProcessDaemon;
  let hook: Awaited<ReturnType<typeof receiver>>;
  let demo: string;
  let secretFile: string;

  beforeAll(async () => {
    d = await startInProcessDaemon('sidekick-notify-');
    hook = await receiver();
    demo = demoRepo(d.dir);
    secretFile = join(d.dir, 'hook-secret');
    writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });
  });
  afterAll(async () => {
    await hook?.close();
    await d?.stop();
  });

  /** A session whose Scripted agent runs `echo <name>` (which asks: ToolExecution) and finishes. */
  async function startRun(name: string): Promise<void> {
    await applyAll(d.client, [
      { apiVersion: V, kind: 'Session', metadata: { name }, spec: {} },
      { apiVersion: V, kind: 'Agent', metadata: { name }, spec: { driver: 'Scripted', script: [{ tool: 'RunCommand', input: { command: `echo ${name}` } }, { say: 'done' }] } },
      { apiVersion: V, kind: 'RepoMount', metadata: { name }, spec: { session: name, path: demo } },
      { apiVersion: V, kind: 'Run', metadata: { name }, spec: { session: name, agent: name, repoMount: name, prompt: 'go' } },
    ]);
  }
  const sinkStatus = async (name: string) => ((await d.client.get('notificationsinks', 'default', name)) as NotificationSink).status;

  it('sends the signed Generic body naming the approval and the command that answers it; a hanging sink holds up nothing', async () => {
    await d.client.create('notificationsinks', 'default', sinkObject('n1-hook', { session: 'n1', webhook: { url: `${hook.url}/ok`, secretFrom: { file: secretFile } } }));
    await d.client.create('notificationsinks', 'default', sinkObject('n1-hang', { session: 'n1', webhook: { url: `${hook.url}/hang` }, maxAttempts: 1, timeoutSeconds: 60 }));
    await startRun('n1');
    const approval: Approval = await pendingApprovalOf(d.client, 'n1');
    const name = approval.metadata.name!;

    const got = (await eventually(() => hook.received.find((r) => r.path === '/ok' && r.body.includes(name))))!;
    expect(signedBy(SECRET, got)).toBe(true);
    expect(signedBy('another secret', got)).toBe(false);
    const body = JSON.parse(got.body) as Record<string, unknown>;
    expect(body).toMatchObject({ type: 'ApprovalRequested', namespace: 'default', session: 'n1', run: 'n1', approval: name, command: `sidekick approve ${name}`, id: `${approval.metadata.uid}/ApprovalRequested` });
    expect(body.summary).toContain('echo n1');
    expect(got.headers['x-sidekick-timestamp']).toBe(String(body.sentAt));
    // The other sink's receiver has the request and never answers it.
    await eventually(() => hook.hanging.length === 1);

    // The answer, as the notification says to give it; the run goes on while the other webhook still hangs.
    expect((await sidekick(d.home, ['approve', name])).code).toBe(0);
    await completedRun(d.client, 'n1');
    expect(hook.hanging[0]!.writableEnded).toBe(false);

    const status = await eventually(async () => {
      const s = await sinkStatus('n1-hook');
      expect(s?.delivered).toBe(1);
      return s;
    });
    expect(status).toMatchObject({ phase: 'Ready', failed: 0, lastDelivery: { event: 'ApprovalRequested', object: `approval/${name}`, outcome: 'Delivered', attempts: 1 } });
    expect((await sinkStatus('n1-hang'))?.delivered ?? 0).toBe(0);
    expect(hook.received.filter((r) => r.path === '/ok' && r.body.includes(name))).toHaveLength(1);
  }, 60_000);

  it('retries a receiver that fails twice: the third attempt gets through, signed each time', async () => {
    await d.client.create('notificationsinks', 'default', sinkObject('n2-flaky', { session: 'n2', webhook: { url: `${hook.url}/flaky`, secretFrom: { file: secretFile } } }));
    await startRun('n2');
    const approval = await pendingApprovalOf(d.client, 'n2');
    const status = await eventually(async () => {
      const s = await sinkStatus('n2-flaky');
      expect(s?.delivered).toBe(1);
      return s;
    });
    expect(status?.lastDelivery).toMatchObject({ outcome: 'Delivered', attempts: 3, object: `approval/${approval.metadata.name}` });
    const attempts = hook.received.filter((r) => r.path === '/flaky');
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((r) => r.headers['x-sidekick-delivery']))).toEqual(new Set([`${approval.metadata.uid}/ApprovalRequested`]));
    expect(attempts.every((r) => signedBy(SECRET, r))).toBe(true);
    expect((await sidekick(d.home, ['approve', approval.metadata.name!])).code).toBe(0);
    await completedRun(d.client, 'n2');
  }, 60_000);

  it('tells a Slack webhook (its URL read from a file) that a run failed, and how to see why', async () => {
    const urlFile = join(d.dir, 'slack-url');
    writeFileSync(urlFile, `${hook.url}/ok?slack=1\n`, { mode: 0o600 });
    await d.client.create('notificationsinks', 'default', sinkObject('n3-slack', { session: 'n3', events: ['RunFailed'], webhook: { format: 'Slack', urlFrom: { file: urlFile } } }));
    await applyAll(d.client, [
      { apiVersion: V, kind: 'Session', metadata: { name: 'n3' }, spec: {} },
      { apiVersion: V, kind: 'Agent', metadata: { name: 'n3' }, spec: { driver: 'Scripted', script: [{ say: 'never' }] } },
      { apiVersion: V, kind: 'RepoMount', metadata: { name: 'n3' }, spec: { session: 'n3', path: demo, baseRef: 'no-such-branch' } },
      { apiVersion: V, kind: 'Run', metadata: { name: 'n3' }, spec: { session: 'n3', agent: 'n3', repoMount: 'n3', prompt: 'x' } },
    ]);
    const got = (await eventually(() => hook.received.find((r) => r.path === '/ok?slack=1')))!;
    const body = JSON.parse(got.body) as { text: string; blocks: unknown[] };
    expect(body.text).toMatch(/^Run failed — session n3: run n3 failed: BaseRefNotFound: .*no-such-branch.*\nSee why with: sidekick logs run\/n3$/);
    expect(JSON.stringify(body.blocks)).toContain('`sidekick logs run/n3`');
    expect(got.headers['x-sidekick-signature']).toBeUndefined();
    expect(got.headers['x-sidekick-event']).toBe('RunFailed');
  }, 60_000);

  it('applies the examples; a sink whose secret is not on this machine says so', async () => {
    const applied = await sidekick(d.home, ['apply', '-n', 'examples', '-f', join(repo, 'examples', 'notifications')]);
    expect(applied).toMatchObject({ code: 0, stderr: '' });
    expect(applied.stdout.trim().split('\n').sort()).toEqual(['notificationsink.sidekicks.dev/desktop created', 'notificationsink.sidekicks.dev/hello-slack created', 'notificationsink.sidekicks.dev/ops-hook created']);
    const ready = await eventually(async () => {
      const s = ((await d.client.raw('GET', '/apis/sidekicks.dev/v1alpha1/namespaces/examples/notificationsinks/hello-slack')) as NotificationSink).status;
      return s?.conditions?.find((c) => c.type === 'Ready');
    });
    // The daemon's environment is this process's: the variable is not set here.
    expect(process.env.SLACK_WEBHOOK_URL).toBeUndefined();
    expect(ready).toMatchObject({ status: 'False', reason: 'SecretNotFound', message: 'spec.webhook.urlFrom: environment variable SLACK_WEBHOOK_URL is not set on this machine' });
  });
});

describe('a desktop sink (daemon process, a fake notify-send first on its PATH)', () => {
  let dir: string;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sidekick-notify-desktop-'));
  });
  afterAll(async () => {
    await stopDaemonProcess(child);
    rmSync(dir, { recursive: true, force: true });
  });

  it('says notify-send is missing, then shows a workflow gate through it once it is there', async () => {
    const home = join(dir, 'home');
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const argvLog = join(dir, 'notify-send.argv');
    child = await startDaemonProcess(home, { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`, NOTIFY_ARGV: argvLog });
    const client = new SocketApi(sidekickHome(home).socket);
    await client.create('notificationsinks', 'default', sinkObject('desk', { desktop: {} }));
    const ready = async () => ((await client.get('notificationsinks', 'default', 'desk')) as NotificationSink).status?.conditions?.find((c) => c.type === 'Ready');
    expect(await eventually(async () => (await ready())?.reason === 'NotifierUnavailable' && (await ready()))).toMatchObject({
      status: 'False',
      message: 'notify-send not found on PATH (install libnotify-bin or libnotify)',
    });

    writeFileSync(join(bin, 'notify-send'), '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done >> "$NOTIFY_ARGV"\n');
    chmodSync(join(bin, 'notify-send'), 0o755);
    // A spec change makes the controller look again now rather than at its next recheck.
    await client.raw('PATCH', `${GV}/notificationsinks/desk`, { spec: { events: ['GateWaiting', 'ApprovalRequested'] } }, 'application/merge-patch+json');
    await eventually(async () => (await ready())?.status === 'True');

    await client.create('approvals', 'default', {
      apiVersion: V,
      kind: 'Approval',
      metadata: { name: 'ship-gate' },
      spec: { session: 'release', workflow: 'release', phase: 'ship', category: 'Gate', request: { summary: 'Ship 1.2?' } },
    });
    const argv = await eventually(() => existsSync(argvLog) && readFileSync(argvLog, 'utf8'));
    expect(argv).toBe('--app-name=Sidekicks\nWorkflow waiting — session release\nworkflow release (phase ship) waits for you: Ship 1.2?\nAnswer: sidekick approve ship-gate\n');
    const status = await eventually(async () => {
      const s = ((await client.get('notificationsinks', 'default', 'desk')) as NotificationSink).status;
      expect(s?.delivered).toBe(1);
      return s;
    });
    expect(status).toMatchObject({ phase: 'Ready', lastDelivery: { event: 'GateWaiting', object: 'approval/ship-gate', outcome: 'Delivered' } });
  }, 60_000);
});

describe('a restarted daemon (daemon process, same home)', () => {
  let dir: string;
  let child: ChildProcess | undefined;
  let hook: Awaited<ReturnType<typeof receiver>> | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sidekick-notify-restart-'));
  });
  afterAll(async () => {
    await stopDaemonProcess(child);
    await hook?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('does not notify again what it notified before it stopped', async () => {
    hook = await receiver();
    const home = join(dir, 'home');
    const client = new SocketApi(sidekickHome(home).socket);
    const gate = (name: string) => ({ apiVersion: V, kind: 'Approval', metadata: { name }, spec: { session: 'rel', workflow: 'rel', phase: name, category: 'Gate', request: { summary: `${name}?` } } });
    const received = (name: string) => hook!.received.filter((r) => (JSON.parse(r.body) as { approval?: string }).approval === name);
    const delivered = async () => ((await client.get('notificationsinks', 'default', 'hook')) as NotificationSink).status?.delivered;

    child = await startDaemonProcess(home);
    await client.create('notificationsinks', 'default', sinkObject('hook', { webhook: { url: `${hook.url}/ok` } }));
    await client.create('approvals', 'default', gate('first'));
    await eventually(async () => (await delivered()) === 1);
    expect(received('first')).toHaveLength(1);

    await stopDaemonProcess(child);
    child = await startDaemonProcess(home);
    // The restarted controller's first pass sees `first` still Pending; the new one is owed.
    await client.create('approvals', 'default', gate('second'));
    await eventually(async () => (await delivered()) === 2 && received('second').length === 1);
    const notified = ((await client.get('notificationsinks', 'default', 'hook')) as NotificationSink).status?.notified;
    expect(notified).toHaveLength(2);
    expect(received('first')).toHaveLength(1);
  }, 60_000);
});
