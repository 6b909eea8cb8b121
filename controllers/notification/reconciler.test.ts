import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { EventRecorder } from '../../api/events/recorder.js';
import type { Journal } from '../../api/journal/journal.js';
import type { ObjectStore } from '../../api/store/object-store.js';
import type { AdmittedStore } from '../../api/server/admitted-store.js';
import type { Approval } from '../../resources/kinds/approval.js';
import type { Event } from '../../resources/kinds/event.js';
import type { NotificationSink } from '../../resources/kinds/notificationsink.js';
import type { Run } from '../../resources/kinds/run.js';
import type { KubeObject } from '../../resources/meta.js';
import { metaTime } from '../../resources/time.js';
import { eventually } from '../../test/eventually.js';
import type { ManualClock } from '../runtime/clock.js';
import { StatusWriter } from '../runtime/status-writer.js';
import { reconcilerStore } from '../test-support.js';
import { verifySignature, type WebhookRequest } from './bodies.js';
import { Deliveries } from './delivery.js';
import { NotificationSinkReconciler, RECHECK_MS } from './reconciler.js';
import type { DesktopNotifier, Notifiers, WebhookPoster } from './transports.js';

const V = 'sidekicks.dev/v1alpha1';
const ns = 'default';

/** Records every POST; answers with the next scripted status (the last one repeats). */
class FakePoster implements WebhookPoster {
  readonly requests: { url: string; request: WebhookRequest }[] = [];
  constructor(public statuses: number[] = [200]) {}
  async post(url: string, request: WebhookRequest): Promise<number> {
    this.requests.push({ url, request });
    return this.statuses[Math.min(this.requests.length - 1, this.statuses.length - 1)]!;
  }
  bodies(): Record<string, unknown>[] {
    return this.requests.map((r) => JSON.parse(r.request.body) as Record<string, unknown>);
  }
}

class FakeDesktop implements DesktopNotifier {
  missing: string | undefined = 'notify-send not found on PATH (install libnotify-bin or libnotify)';
  readonly shown: { title: string; text: string }[] = [];
  async unavailable(): Promise<string | undefined> {
    return this.missing;
  }
  async show(title: string, text: string): Promise<void> {
    this.shown.push({ title, text });
  }
}

describe('NotificationSinkReconciler (real SQLite store, fake webhook and desktop)', () => {
  let cleanup: () => Promise<void>;
  let raw: ObjectStore;
  let store: AdmittedStore;
  let clock: ManualClock;
  let journal: Journal;
  let poster: FakePoster;
  let desktop: FakeDesktop;
  let recorder: EventRecorder;
  let deliveries: Deliveries;
  let reconciler: NotificationSinkReconciler;

  /** A reconciler and its deliveries as a fresh daemon builds them (nothing in memory). */
  function start(): void {
    const notifiers: Notifiers = { webhook: poster, desktop, env: { HOOK_SECRET: 's3cret' } };
    deliveries = new Deliveries({ clock, onSettled: (sink, r) => reconciler.settled(sink, r) });
    reconciler = new NotificationSinkReconciler({
      store,
      status: new StatusWriter(store, journal),
      deliveries,
      notifiers,
      world: () => ({ approvals: listed.approvals, runs: listed.runs }),
      recorder,
      clock,
    });
  }
  const listed: { approvals: Approval[]; runs: Run[] } = { approvals: [], runs: [] };
  async function refreshWorld(): Promise<void> {
    listed.approvals = (await raw.list<Approval>('approvals', { namespace: ns })).items;
    listed.runs = (await raw.list<Run>('runs', { namespace: ns })).items;
  }

  beforeEach(async () => {
    ({ raw, store, clock, journal, cleanup } = await reconcilerStore('notification-reconciler-'));
    poster = new FakePoster();
    desktop = new FakeDesktop();
    recorder = new EventRecorder({ store: raw, component: 'notification-controller', sweepIntervalMs: 0, now: () => new Date(clock.now()) });
    start();
  });
  afterEach(async () => {
    deliveries.stop();
    await recorder.close();
    await cleanup();
  });

  async function sink(name: string, spec: Record<string, unknown>): Promise<NotificationSink> {
    const obj: KubeObject = { apiVersion: V, kind: 'NotificationSink', metadata: { name, namespace: ns }, spec };
    return (await store.create('notificationsinks', obj)) as NotificationSink;
  }
  async function approval(name: string, spec: Record<string, unknown>): Promise<Approval> {
    const obj: KubeObject = { apiVersion: V, kind: 'Approval', metadata: { name, namespace: ns }, spec: { session: 's1', run: 'r1', category: 'ToolExecution', ...spec }, status: { phase: 'Pending' } };
    return (await raw.create('approvals', obj)) as Approval;
  }
  const getSink = (name: string) => raw.get<NotificationSink>('notificationsinks', ns, name);
  async function pass(name: string) {
    await refreshWorld();
    const result = await reconciler.reconcile({ namespace: ns, name });
    await deliveries.idle();
    return result;
  }
  const generic = { webhook: { url: 'http://127.0.0.1:9/hook', secretFrom: { env: 'HOOK_SECRET' } } };

  it('delivers a pending approval once: not again on the next pass, nor after a restart; forgets it once decided', async () => {
    await sink('hook', generic);
    const a = await approval('hello-x7k2q', { request: { command: 'npm install left-pad', summary: 'npm install left-pad' } });
    await pass('hook');
    expect(poster.requests).toHaveLength(1);
    const { request } = poster.requests[0]!;
    expect(verifySignature('s3cret', request.body, request.headers['x-sidekick-signature'])).toBe(true);
    expect(poster.bodies()[0]).toMatchObject({ type: 'ApprovalRequested', approval: 'hello-x7k2q', run: 'r1', session: 's1', command: 'sidekick approve hello-x7k2q' });
    const key = `${a.metadata.uid}/ApprovalRequested`;
    const s = await getSink('hook');
    expect(s.status).toMatchObject({ phase: 'Ready', delivered: 1, failed: 0, notified: [key], lastDelivery: { event: 'ApprovalRequested', object: 'approval/hello-x7k2q', outcome: 'Delivered', attempts: 1 } });
    expect(s.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', reason: 'Ready', message: 'delivers to webhook (Generic)' });

    await pass('hook');
    start(); // a restarted daemon: new deliveries, nothing remembered but the status
    await pass('hook');
    expect(poster.requests).toHaveLength(1);

    await raw.updateStatus('approvals', { ...(await raw.get<Approval>('approvals', ns, 'hello-x7k2q')), status: { phase: 'Approved' } });
    await pass('hook');
    expect((await getSink('hook')).status?.notified).toEqual([]);
    expect(poster.requests).toHaveLength(1);
  });

  it('keeps to its session and events', async () => {
    await sink('questions', { ...generic, session: 's1', events: ['InputRequested'] });
    await approval('tool-1', {});
    await approval('ask-1', { category: 'UserInput', request: { summary: 'Keep the old API?' } });
    await approval('ask-2', { session: 's2', run: 'r2', category: 'UserInput' });
    await pass('questions');
    expect(poster.bodies().map((b) => [b.type, b.approval, b.command])).toEqual([['InputRequested', 'ask-1', 'sidekick respond run/r1 -m "<answer>"']]);
  });

  it('retries with backoff, then records the failure: Failing, a Warning Event, and no retry on later passes', async () => {
    poster.statuses = [503];
    await sink('hook', { ...generic, maxAttempts: 2 });
    await approval('a1', {});
    await refreshWorld();
    await reconciler.reconcile({ namespace: ns, name: 'hook' });
    await eventually(() => poster.requests.length === 1);
    // The second attempt waits 0.5 s on the clock.
    await eventually(() => {
      clock.advance(500);
      return poster.requests.length === 2;
    });
    await deliveries.idle();
    const s = await getSink('hook');
    expect(s.status).toMatchObject({ phase: 'Failing', delivered: 0, failed: 1, lastDelivery: { outcome: 'Failed', attempts: 2, error: 'HTTP 503' } });
    expect(s.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'DeliveryFailed', message: 'ApprovalRequested approval/a1: HTTP 503 (2 attempts)' });
    await recorder.flush();
    const events = (await raw.list<Event>('events', { namespace: ns })).items;
    expect(events.map((e) => [e.type, e.reason, e.involvedObject.kind, e.involvedObject.name])).toContainEqual(['Warning', 'DeliveryFailed', 'NotificationSink', 'hook']);
    await pass('hook');
    expect(poster.requests).toHaveLength(2);
  });

  it('is not Ready while notify-send is missing, looks again later, and shows what waits once it is there', async () => {
    await sink('desk', { desktop: {} });
    await approval('a1', { request: { summary: 'rm -rf build' } });
    expect(await pass('desk')).toEqual({ requeueAfterMs: RECHECK_MS });
    const s = await getSink('desk');
    expect(s.status?.phase).toBe('Failing');
    expect(s.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'NotifierUnavailable', message: desktop.missing });
    expect(desktop.shown).toEqual([]);

    desktop.missing = undefined;
    expect(await pass('desk')).toEqual({});
    expect(desktop.shown).toEqual([{ title: 'Approval needed — session s1', text: 'run r1 asks to run: rm -rf build\nAnswer: sidekick approve a1' }]);
    expect((await getSink('desk')).status?.phase).toBe('Ready');
  });

  it('is not Ready when its secret cannot be read, and sends nothing unsigned', async () => {
    await sink('hook', { webhook: { url: 'http://127.0.0.1:9/hook', secretFrom: { env: 'NOT_SET' } } });
    await approval('a1', {});
    await pass('hook');
    expect(poster.requests).toEqual([]);
    expect((await getSink('hook')).status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'SecretNotFound',
      message: 'spec.webhook.secretFrom: environment variable NOT_SET is not set on this machine',
    });
  });

  it('notifies a run that failed after the sink was made, not one that failed before', async () => {
    // The sink's creationTimestamp is the store's wall clock: the runs' ends are placed around it.
    const created = Date.parse((await sink('hook', { ...generic, events: ['RunFailed'] })).metadata.creationTimestamp!);
    const failed = (name: string, at: number) =>
      raw.create('runs', { apiVersion: V, kind: 'Run', metadata: { name, namespace: ns }, spec: { session: 's1', agent: 'a', prompt: 'p' }, status: { phase: 'Failed', reason: 'Timeout', finishedAt: metaTime(at) } } as KubeObject);
    await failed('before', created - 60_000);
    await failed('after', created + 1000);
    clock.advance(created + 2000 - clock.now());
    await pass('hook');
    expect(poster.bodies().map((b) => [b.type, b.run, b.command, b.summary])).toEqual([['RunFailed', 'after', 'sidekick logs run/after', 'run after failed: Timeout']]);
  });
});
