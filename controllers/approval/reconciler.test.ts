import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Journal, sessionKey } from '../../api/journal/journal.js';
import type { JournalEvent } from '../../api/journal/event.js';
import type { ObjectStore } from '../../api/store/object-store.js';
import { AdmittedStore } from '../../api/server/admitted-store.js';
import type { Approval } from '../../resources/kinds/approval.js';
import type { ApprovalPolicy } from '../../resources/kinds/approvalpolicy.js';
import type { Run } from '../../resources/kinds/run.js';
import type { KubeObject } from '../../resources/meta.js';
import { ManualClock } from '../runtime/clock.js';
import { allows } from './approval-status.js';
import { ApprovalReconciler, type Remember } from './reconciler.js';
import { metaTime } from '../../resources/time.js';
import { reconcilerStore } from '../test-support.js';

const V = 'sidekicks.dev/v1alpha1';
const ns = 'default';

describe('ApprovalReconciler (real SQLite store and journal, manual clock)', () => {
  let cleanup: () => Promise<void>;
  let raw: ObjectStore;
  let store: AdmittedStore;
  let journal: Journal;
  let clock: ManualClock;
  let remember: Remember;
  let reconciler: ApprovalReconciler;

  beforeEach(async () => {
    ({ raw, store, journal, clock, cleanup } = await reconcilerStore('approval-reconciler-'));
    remember = () => undefined;
    reconciler = new ApprovalReconciler({ store, journal, remember: (a, r) => remember(a, r), clock });
    await raw.create<Run>('runs', { apiVersion: V, kind: 'Run', metadata: { name: 'r', namespace: ns }, spec: { session: 's', agent: 'a', prompt: 'p' }, status: { phase: 'Running' } } as Run);
  });
  afterEach(() => cleanup());

  /** A Pending approval of run `r`, written as the gate writes one (admission fills in onExpiry). */
  async function approval(name: string, spec: Record<string, unknown> = {}): Promise<Approval> {
    const obj: KubeObject = {
      apiVersion: V,
      kind: 'Approval',
      metadata: { name, namespace: ns },
      spec: { session: 's', run: 'r', category: 'ToolExecution', request: { summary: 'make deploy' }, ...spec },
      status: { phase: 'Pending' },
    };
    return (await store.create('approvals', obj)) as Approval;
  }
  const get = (name: string) => raw.get<Approval>('approvals', ns, name);
  const events = async (): Promise<JournalEvent[]> => (await journal.read(sessionKey(ns, 's'), { limit: 1000 })).events;
  const inSeconds = (s: number) => metaTime(clock.now() + s * 1000);

  it('expires an undecided approval once the clock passes expiresAt, with onExpiry applied (Reject by default)', async () => {
    await approval('a1', { expiresAt: inSeconds(60) });
    const first = await reconciler.reconcile({ namespace: ns, name: 'a1' });
    expect((await get('a1')).status?.phase).toBe('Pending');
    // It says when to look again: just after the expiry, not before.
    expect(first.requeueAfterMs).toBeGreaterThanOrEqual(60_000);
    expect(await events()).toEqual([]);

    clock.advance(59_000);
    await reconciler.reconcile({ namespace: ns, name: 'a1' });
    expect((await get('a1')).status?.phase).toBe('Pending');

    clock.advance(1_000);
    await reconciler.reconcile({ namespace: ns, name: 'a1' });
    const expired = await get('a1');
    expect(expired.status?.phase).toBe('Expired');
    expect(allows(expired)).toBe(false);
    const journalled = await events();
    expect(journalled.map((e) => e.type)).toEqual(['approval.expired']);
    expect(journalled[0]!.run).toBe('r');
    expect(journalled[0]!.payload).toEqual({ approval: 'a1', category: 'ToolExecution', summary: 'make deploy', onExpiry: 'Reject' });

    // Settled is final: another pass writes nothing more.
    clock.advance(60_000);
    await reconciler.reconcile({ namespace: ns, name: 'a1' });
    expect(await events()).toHaveLength(1);
  });

  it('lets the call run when an approval with onExpiry Approve expires', async () => {
    await approval('a2', { expiresAt: inSeconds(5), onExpiry: 'Approve' });
    clock.advance(5_000);
    await reconciler.reconcile({ namespace: ns, name: 'a2' });
    const expired = await get('a2');
    expect(expired.status?.phase).toBe('Expired');
    expect(allows(expired)).toBe(true);
    expect((await events())[0]!.payload.onExpiry).toBe('Approve');
  });

  it('records a decision with who made it and when (the clock), and journals it once', async () => {
    await approval('a3');
    const stored = await get('a3');
    await raw.update('approvals', { ...stored, spec: { ...stored.spec, decision: { verdict: 'Approved', by: 'alice', reason: 'looks fine' } } });
    await reconciler.reconcile({ namespace: ns, name: 'a3' });
    await reconciler.reconcile({ namespace: ns, name: 'a3' });
    const decided = await get('a3');
    expect(decided.status).toMatchObject({ phase: 'Approved', decidedBy: 'alice', decidedAt: '2026-01-01T12:00:00Z', message: 'looks fine' });
    expect(decided.status?.observedGeneration).toBe(decided.metadata.generation);
    const journalled = await events();
    expect(journalled.map((e) => e.type)).toEqual(['approval.approved']);
    expect(journalled[0]!.payload).toMatchObject({ approval: 'a3', by: 'alice', reason: 'looks fine' });
  });

  it('appends a remembered rule to its policy once, creating the policy the first time', async () => {
    remember = (a) => ({ policy: 'remembered-run-r', rule: { category: 'ToolExecution', action: 'Allow', match: { command: 'make deploy' }, approval: a.metadata.name! } });
    for (const name of ['a4', 'a5']) {
      await approval(name);
      const stored = await get(name);
      await raw.update('approvals', { ...stored, spec: { ...stored.spec, decision: { verdict: 'Approved', by: 'alice', remember: { scope: 'Run' } } } });
      await reconciler.reconcile({ namespace: ns, name });
    }
    const policy = await raw.get<ApprovalPolicy>('approvalpolicies', ns, 'remembered-run-r');
    expect(policy.metadata.labels?.['sidekicks.dev/remembered']).toBe('true');
    // The same rule remembered twice is one rule, stamped with the clock's time.
    expect(policy.spec.rules).toEqual([{ category: 'ToolExecution', action: 'Allow', match: { command: 'make deploy' }, approval: 'a4', rememberedAt: '2026-01-01T12:00:00Z' }]);
    expect((await events()).map((e) => e.type)).toEqual(['approval.approved', 'approval.remembered', 'approval.approved', 'approval.remembered']);
  });

  it('cancels an undecided approval whose run ended, naming why', async () => {
    await approval('a6');
    const run = await raw.get<Run>('runs', ns, 'r');
    await raw.updateStatus('runs', { ...run, status: { phase: 'Failed' } });
    await reconciler.reconcile({ namespace: ns, name: 'a6' });
    expect((await get('a6')).status).toMatchObject({ phase: 'Canceled', message: 'run r ended Failed' });
    const journalled = await events();
    expect(journalled.map((e) => e.type)).toEqual(['approval.canceled']);
    expect(journalled[0]!.payload.reason).toBe('run r ended Failed');
  });
});
