import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { Journal } from '../../api/journal/journal.js';
import type { ObjectStore } from '../../api/store/object-store.js';
import type { Store } from '../../api/store/store.js';
import { scheme } from '../../resources/index.js';
import type { Run } from '../../resources/kinds/run.js';
import type { Approval } from '../../resources/kinds/approval.js';
import { NameLabel, nameSelector } from '../../resources/name-labels.js';
import { validateMetadata } from '../../resources/validation.js';
import { RunWriter } from '../run/run-writer.js';
import { StatusWriter } from '../runtime/status-writer.js';
import { ApprovalGate } from './gate.js';
import { classifyToolCall } from './classify.js';
import { evaluatePolicies } from './policy.js';
import { tempSqliteStore } from '../test-support.js';
import { CROSS_NODE_DISPATCH } from '../../resources/cross-node.js';
import { eventually } from '../../test/eventually.js';

describe('ApprovalGate', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: ObjectStore;
  let run: Run;

  beforeEach(async () => {
    ({ dir, store, cleanup } = await tempSqliteStore('gate-'));
    run = await store.create<Run>('runs', {
      apiVersion: 'sidekicks.dev/v1alpha1',
      kind: 'Run',
      metadata: { name: 'r', namespace: 'default' },
      spec: { session: 's', agent: 'a', prompt: 'p' },
      status: { phase: 'Running', workspace: { path: join(dir, 'ws') } },
    } as Run);
  });
  afterEach(async () => {
    await cleanup();
  });

  function gateOver(s: Store): ApprovalGate {
    return new ApprovalGate({ store: s, journal: new Journal(s), writer: new RunWriter(new StatusWriter(s, new Journal(s))), assess: classifyToolCall, evaluate: evaluatePolicies });
  }

  it('fails closed: when the Approval cannot be stored, the call is refused and nothing waits', async () => {
    // The real store, except that storing an Approval fails (a full disk, a lost database).
    const failing = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'create') {
          return (plural: string, ...rest: unknown[]) =>
            plural === 'approvals' ? Promise.reject(new Error('disk I/O error')) : (target.create as (...a: unknown[]) => unknown).call(target, plural, ...rest);
        }
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as Store;
    const decision = await gateOver(failing).decide(run, { callId: 'c1', tool: 'RunCommand', input: { command: 'make deploy' } });
    expect(decision.allow).toBe(false);
    expect(decision.reason).toBe('the approval could not be recorded (disk I/O error)');
    expect((await store.list('approvals')).items).toEqual([]);
    expect((await store.get<Run>('runs', 'default', 'r')).status?.phase).toBe('Running');
  });

  it('a refusal says why without saying "refused" itself: the tool result adds that once', async () => {
    await store.create('approvalpolicies', { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'ApprovalPolicy', metadata: { name: 'no-commands', namespace: 'default' }, spec: { defaults: { ToolExecution: 'Deny' } } });
    const decision = await gateOver(store).decide(run, { callId: 'c3', tool: 'RunCommand', input: { command: 'make deploy' } });
    expect(decision).toEqual({ allow: false, reason: 'denied by policy no-commands/defaults: the ToolExecution default of namespace policy no-commands: Deny' });
  });

  it('labels the approval of a run named past 63 characters with a valid value its selector finds', async () => {
    const name = `${'long-'.repeat(30)}run`;
    const long = await store.create<Run>('runs', { ...run, metadata: { name, namespace: 'default' } } as Run);
    await store.create('approvalpolicies', { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'ApprovalPolicy', metadata: { name: 'no-commands', namespace: 'default' }, spec: { defaults: { ToolExecution: 'Deny' } } });
    expect((await gateOver(store).decide(long, { callId: 'c4', tool: 'RunCommand', input: { command: 'make deploy' } })).allow).toBe(false);
    const found = (await store.list<Approval>('approvals', { namespace: 'default', labelSelector: nameSelector(NameLabel.Run, name) })).items;
    expect(found.map((a) => a.spec.run)).toEqual([name]);
    // Valid metadata: a later approve, deny or cancel of this object is not refused for its labels.
    expect(validateMetadata(scheme.byPlural('approvals')!, found[0]!)).toEqual([]);
  });

  it('on a run dispatched to another person\'s node, a dangerous call asks even when a rule allows it, and the approval says so', async () => {
    await store.create('approvalpolicies', { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'ApprovalPolicy', metadata: { name: 'allow-tests', namespace: 'default' }, spec: { rules: [{ category: 'ToolExecution', match: { tool: 'RunCommand', command: 'npm test' }, action: 'Allow' }] } });
    const call = { callId: 'c5', tool: 'RunCommand', input: { command: 'npm test' } };
    // Own node: the rule allows it without asking (the rule's decision is recorded, settled).
    expect(await gateOver(store).decide(run, call)).toMatchObject({ allow: true });
    expect((await store.list<Approval>('approvals')).items.map((a) => a.status?.phase)).toEqual(['Approved']);
    const remote = await store.create<Run>('runs', { ...run, metadata: { name: 'remote', namespace: 'default', annotations: { [CROSS_NODE_DISPATCH]: 'true' } } } as Run);
    const gate = gateOver(store);
    const deciding = gate.decide(remote, { ...call, callId: 'c6' });
    const asked = (await eventually(async () => (await store.list<Approval>('approvals', { namespace: 'default' })).items.find((a) => a.spec.run === 'remote'))) as Approval;
    expect(asked.status?.phase).toBe('Pending');
    expect(asked.metadata.annotations?.[CROSS_NODE_DISPATCH]).toBe('true');
    gate.observe({ ...asked, spec: { ...asked.spec, decision: { verdict: 'Rejected', reason: 'not on my laptop' } }, status: { phase: 'Rejected' } } as Approval);
    expect((await deciding).allow).toBe(false);
  });

  it('lets reads through without an Approval', async () => {
    expect(await gateOver(store).decide(run, { callId: 'c2', tool: 'ReadFile', input: { path: 'a.txt' } })).toEqual({ allow: true });
    expect((await store.list('approvals')).items).toEqual([]);
  });
});
