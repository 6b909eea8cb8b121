import { afterEach, expect, it } from '@jest/globals';
import { jetstream } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOwnNatsServer } from '../../hack/nats-server.js';
import type { KubeObject } from '../../resources/meta.js';
import { describeWithNats, describeWithPostgres } from '../../test/services.js';
import { eventually } from '../../test/eventually.js';
import type { JournalEvent } from '../journal/event.js';
import type { IngestOutcome } from './ingest.js';
import { generateNodeKey, signWithNodeKey } from './node-key.js';
import { HEADER_NODE, HEADER_PROTOCOL, HEADER_SIGNATURE, type JournalMessage, type RuntimeMessage } from './protocol.js';
import { subjectFor, type RuntimeStreamNames } from './stream.js';
import { bindRun, openControlPlaneSide, openNodeSide, runFor, uniqueStreamNames, type ControlPlaneSide, type NodeSide } from './sync-harness.js';

const actor = { kind: 'controller' as const, name: 'run-controller' };

/** Everything a test started, stopped after it. */
const running: { stop: () => Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
});

function start(runnable: { start(signal: AbortSignal): Promise<void> }): void {
  const ac = new AbortController();
  const done = runnable.start(ac.signal);
  running.push({ stop: async () => (ac.abort(), await done) });
}

function closing<T extends { close(): Promise<void> }>(side: T): T {
  running.push({ stop: () => side.close() });
  return side;
}

let nsCounter = 0;
/** A fresh namespace per test: the suite shares one Postgres database. */
function freshNamespace(): string {
  return `t${++nsCounter}-${Date.now().toString(36)}`;
}

async function pair(pgUrl: string, natsUrl: string, opts: { historyLimit?: number; onOutcome?: (o: IngestOutcome | 'rejected') => void } = {}) {
  const names = uniqueStreamNames('sync');
  const node = closing(await openNodeSide({ name: 'node-a', natsUrl: () => natsUrl, names, historyLimit: opts.historyLimit }));
  const keys = new Map([[node.name, node.key.publicKey]]);
  const cp = closing(await openControlPlaneSide({ pgUrl, natsUrl, names, keys, ingest: { onOutcome: (o) => opts.onOutcome?.(o) } }));
  return { names, node, cp, keys };
}

async function cpEvents(cp: ControlPlaneSide, session: string): Promise<JournalEvent[]> {
  return (await cp.journal.read(session, { limit: 10_000 })).events;
}

async function appendEvents(node: NodeSide, session: string, run: KubeObject, n: number, from = 0): Promise<JournalEvent[]> {
  const out: JournalEvent[] = [];
  for (let i = 0; i < n; i++) {
    out.push(...(await node.journal.append(session, [{ type: 'assistant.message', actor, run: run.metadata.name, runUid: run.metadata.uid, payload: { i: from + i } }])));
  }
  return out;
}

async function setPhase(store: NodeSide['store'], run: KubeObject, phase: string): Promise<KubeObject> {
  const cur = await store.get('runs', run.metadata.namespace ?? '', run.metadata.name ?? '');
  return store.updateStatus('runs', { ...cur, status: { ...(cur.status as object), phase } });
}

describeWithPostgres('runtime status and journal over JetStream (Postgres)', (pgUrl) => {
  describeWithNats('runtime status and journal over JetStream', (natsUrl) => {
    let ns = '';

    it('brings a node run\'s journal and status to the control plane in order, once, with a chain that verifies', async () => {
      ns = freshNamespace();
      const { node, cp } = await pair(pgUrl(), natsUrl());
      const session = `${ns}/s1`;
      const run = await bindRun(cp.store, node.store, runFor(ns, 'r1', 's1', node.name));
      // Control-plane-owned condition: must survive the node's status.
      const cpRun = await cp.store.get('runs', ns, 'r1');
      await cp.store.updateStatus('runs', { ...cpRun, status: { conditions: [{ type: 'Scheduled', status: 'True', reason: 'Scheduled', lastTransitionTime: new Date().toISOString() }] } });
      await cp.journal.append(session, [{ type: 'session.note', actor, payload: { from: 'cp' } }]);

      const sent = await appendEvents(node, session, run, 40);
      await setPhase(node.store, run, 'Running');
      sent.push(...(await appendEvents(node, session, run, 10, 40)));
      await setPhase(node.store, run, 'Completed');
      start(node.publisher);
      start(cp.ingest);

      const got = await eventually(async () => {
        const events = (await cpEvents(cp, session)).filter((e) => e.type === 'assistant.message');
        return events.length === 50 ? events : undefined;
      }, { timeoutMs: 20_000 });
      expect(got!.map((e) => e.id)).toEqual(sent.map((e) => e.id));
      expect(got!.map((e) => e.time)).toEqual(sent.map((e) => e.time));
      expect(got!.map((e) => e.payload.i)).toEqual(sent.map((_, i) => i));
      const final = await eventually(async () => {
        const r = await cp.store.get<KubeObject & { status?: { phase?: string; conditions?: { type: string }[] } }>('runs', ns, 'r1');
        return r.status?.phase === 'Completed' ? r : undefined;
      });
      expect(final!.status?.conditions?.map((c) => c.type)).toEqual(['Scheduled']);
      expect(await cp.journal.verify(session)).toEqual({ ok: true, checked: 51 });
      await eventually(async () => (await node.publisher.backlog()) === 0 || undefined);
    });

    it('changes nothing on a redelivery or a duplicate publish, and waits for an event that arrives late', async () => {
      ns = freshNamespace();
      const outcomes: (IngestOutcome | 'rejected')[] = [];
      const { node, cp, names } = await pair(pgUrl(), natsUrl(), { onOutcome: (o) => outcomes.push(o) });
      const session = `${ns}/s1`;
      const run = await bindRun(cp.store, node.store, runFor(ns, 'r1', 's1', node.name));
      const events = await appendEvents(node, session, run, 3);
      start(cp.ingest);
      const js = jetstream(cp.nats);
      const send = async (event: JournalEvent, msgId: string): Promise<void> => {
        const body: JournalMessage = { kind: 'journal', node: node.name, session, event };
        await publishSigned(js, names, node.name, body, msgId, (b) => signWithNodeKey(node.key.privateKey, b));
      };
      // Out of order: 2 before 1 waits (redelivered after 1), then 1, then a duplicate of 1
      // under another Nats-Msg-Id (JetStream keeps both: only the ingest can drop it).
      await send(events[1], 'a');
      await send(events[0], 'b');
      await send(events[0], 'c');
      await send(events[2], 'd');
      const got = await eventually(async () => {
        const e = await cpEvents(cp, session);
        return e.length === 3 ? e : undefined;
      });
      expect(got!.map((e) => e.id)).toEqual(events.map((e) => e.id));
      await eventually(() => outcomes.includes('duplicate') || undefined);
      expect(outcomes).toContain('gap');
      // The publisher then sends all three again (its cursors are at 0): nothing changes.
      start(node.publisher);
      await eventually(async () => (await node.publisher.backlog()) === 0 || undefined);
      await eventually(() => outcomes.filter((o) => o === 'duplicate').length >= 4 || undefined);
      expect((await cpEvents(cp, session)).map((e) => e.id)).toEqual(events.map((e) => e.id));
      expect(await cp.journal.verify(session)).toMatchObject({ ok: true, checked: 3 });
    });

    it('refuses a message whose signature is not the node\'s, or from an unknown node', async () => {
      ns = freshNamespace();
      const outcomes: (IngestOutcome | 'rejected')[] = [];
      const { node, cp, names } = await pair(pgUrl(), natsUrl(), { onOutcome: (o) => outcomes.push(o) });
      const session = `${ns}/s1`;
      const run = await bindRun(cp.store, node.store, runFor(ns, 'r1', 's1', node.name));
      const [event] = await appendEvents(node, session, run, 1);
      const intruder = generateNodeKey();
      start(cp.ingest);
      const js = jetstream(cp.nats);
      const body: RuntimeMessage = { kind: 'journal', node: node.name, session, event };
      await publishSigned(js, names, node.name, body, 'forged', (b) => signWithNodeKey(intruder.privateKey, b));
      await publishSigned(js, names, 'node-x', { ...body, node: 'node-x' }, 'unknown', (b) => signWithNodeKey(intruder.privateKey, b));
      // The body naming another node than the header is refused even when the signature is right.
      await publishSigned(js, names, node.name, { ...body, node: 'node-b' }, 'mismatch', (b) => signWithNodeKey(node.key.privateKey, b));
      await eventually(() => outcomes.filter((o) => o === 'rejected').length === 3 || undefined);
      expect(await cpEvents(cp, session)).toEqual([]);
      // The genuine one still applies (the refused ones left no trace in the tables).
      await publishSigned(js, names, node.name, body, 'genuine', (b) => signWithNodeKey(node.key.privateKey, b));
      await eventually(async () => (await cpEvents(cp, session)).length === 1 || undefined);
    });

    it('applies run status only to the node\'s own run and never over a NodeLost failure; approvals are asked, not decided, by nodes', async () => {
      ns = freshNamespace();
      const { node, cp } = await pair(pgUrl(), natsUrl());
      const mine = await bindRun(cp.store, node.store, runFor(ns, 'mine', 's1', node.name));
      const lost = await bindRun(cp.store, node.store, runFor(ns, 'lost', 's1', node.name));
      const elsewhere = await bindRun(cp.store, node.store, runFor(ns, 'elsewhere', 's1', node.name));
      // Rebound away on the control plane; failed for a lost node on the control plane.
      const away = await cp.store.get('runs', ns, 'elsewhere');
      await cp.store.update('runs', { ...away, spec: { ...(away.spec as object), nodeName: 'node-b' } });
      const lostCp = await cp.store.get('runs', ns, 'lost');
      await cp.store.updateStatus('runs', { ...lostCp, status: { phase: 'Failed', reason: 'NodeLost' } });
      const approval = (name: string): KubeObject =>
        ({
          apiVersion: 'sidekicks.dev/v1alpha1',
          kind: 'Approval',
          metadata: { namespace: ns, name, ownerReferences: [{ apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', name: 'mine', uid: mine.metadata.uid as string }] },
          spec: { session: 's1', run: 'mine', category: 'ToolExecution' },
          status: { phase: 'Pending' },
        }) as unknown as KubeObject;
      await node.store.create('approvals', approval('asks'));
      // Decided on the control plane before the node's copy arrives: the decision stays.
      await node.store.create('approvals', approval('decided'));
      await cp.store.create('approvals', { ...approval('decided'), status: { phase: 'Approved', decidedBy: 'alice' } } as KubeObject);
      await setPhase(node.store, mine, 'Running');
      await setPhase(node.store, lost, 'Running');
      await setPhase(node.store, elsewhere, 'Running');
      start(node.publisher);
      start(cp.ingest);

      await eventually(async () => ((await cp.store.get<RunStatusOf>('runs', ns, 'mine')).status?.phase === 'Running') || undefined);
      await eventually(async () => (await node.publisher.backlog()) === 0 || undefined);
      const created = await eventually(() => cp.store.find<KubeObject>('approvals', ns, 'asks'));
      expect(created!.metadata.ownerReferences?.[0].uid).toBe(mine.metadata.uid);
      expect((created!.status as { phase?: string }).phase).toBe('Pending');
      // The node's last change (RV order) was the status of `elsewhere`: once that was handled, all were.
      expect((await cp.store.get<RunStatusOf>('runs', ns, 'lost')).status).toEqual({ phase: 'Failed', reason: 'NodeLost' });
      expect((await cp.store.get<RunStatusOf>('runs', ns, 'elsewhere')).status).toBeUndefined();
      expect((await cp.store.get<RunStatusOf>('approvals', ns, 'decided')).status).toMatchObject({ phase: 'Approved', decidedBy: 'alice' });
    });

    it('publishes the current state when the node\'s history was compacted past its cursor', async () => {
      ns = freshNamespace();
      const { node, cp } = await pair(pgUrl(), natsUrl(), { historyLimit: 8 });
      const run = await bindRun(cp.store, node.store, runFor(ns, 'r1', 's1', node.name));
      // Made before the history the node keeps: only a relist (current state) can send it.
      await node.store.create('approvals', {
        apiVersion: 'sidekicks.dev/v1alpha1',
        kind: 'Approval',
        metadata: { namespace: ns, name: 'early' },
        spec: { session: 's1', run: 'r1', category: 'ToolExecution' },
      } as unknown as KubeObject);
      for (let i = 0; i < 150; i++) await setPhase(node.store, run, i % 2 ? 'Running' : 'Starting');
      await setPhase(node.store, run, 'Completed');
      start(node.publisher);
      start(cp.ingest);
      await eventually(async () => ((await cp.store.get<RunStatusOf>('runs', ns, 'r1')).status?.phase === 'Completed') || undefined, { timeoutMs: 20_000 });
      await eventually(() => cp.store.find('approvals', ns, 'early'));
      await eventually(async () => (await node.publisher.backlog()) === 0 || undefined);
    });
  });
});

describeWithPostgres('runtime sync across a NATS restart', (pgUrl) => {
  it('keeps the node working while its NATS is down and catches up in order, once, when it is back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sk-own-nats-'));
    const nats = await startOwnNatsServer(dir);
    running.push({ stop: async () => (await nats.stop(), rmSync(dir, { recursive: true, force: true })) });
    const ns = freshNamespace();
    const { node, cp } = await pair(pgUrl(), nats.url);
    const session = `${ns}/s1`;
    const run = await bindRun(cp.store, node.store, runFor(ns, 'r1', 's1', node.name));
    start(node.publisher);
    start(cp.ingest);
    const sent = await appendEvents(node, session, run, 20);
    await setPhase(node.store, run, 'Running');
    await eventually(async () => (await cpEvents(cp, session)).length === 20 || undefined, { timeoutMs: 20_000 });

    await nats.stop();
    sent.push(...(await appendEvents(node, session, run, 30, 20)));
    await setPhase(node.store, run, 'Completed');
    expect(await node.publisher.backlog()).toBeGreaterThan(0);
    expect((await cp.store.get<RunStatusOf>('runs', ns, 'r1')).status?.phase).toBe('Running');

    await nats.restart();
    const got = await eventually(async () => {
      const events = await cpEvents(cp, session);
      return events.length === 50 ? events : undefined;
    }, { timeoutMs: 30_000 });
    expect(got!.map((e) => e.id)).toEqual(sent.map((e) => e.id));
    await eventually(async () => ((await cp.store.get<RunStatusOf>('runs', ns, 'r1')).status?.phase === 'Completed') || undefined, { timeoutMs: 20_000 });
    await eventually(async () => (await node.publisher.backlog()) === 0 || undefined, { timeoutMs: 20_000 });
    expect(await cp.journal.verify(session)).toEqual({ ok: true, checked: 50 });
  });
});

type RunStatusOf = KubeObject & { status?: { phase?: string; reason?: string; decidedBy?: string } };

async function publishSigned(
  js: ReturnType<typeof jetstream>,
  names: RuntimeStreamNames,
  node: string,
  body: RuntimeMessage,
  msgId: string,
  sign: (b: Uint8Array) => string,
): Promise<void> {
  const data = new TextEncoder().encode(JSON.stringify(body));
  const h = natsHeaders();
  h.set(HEADER_NODE, node);
  h.set(HEADER_SIGNATURE, sign(data));
  h.set(HEADER_PROTOCOL, '1');
  await js.publish(subjectFor(names, node, body.kind), data, { msgID: msgId, headers: h });
}
