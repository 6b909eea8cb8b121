/**
 * Approvals end to end: a real daemon with its controllers, real git worktrees, Scripted agents
 * whose tool calls go through the approval gate. Every decision is made the way a user makes it
 * (a merge patch of spec.decision, which is what `sidekick approve|deny` and `kubectl patch` send).
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonHandle } from '../../cli/daemon/compose.js';
import { ApiError } from '../../api/errors.js';
import { eventually } from '../eventually.js';
import type { Approval } from '../../resources/kinds/approval.js';
import type { ApprovalPolicy } from '../../resources/kinds/approvalpolicy.js';
import { applyAll, demoRepo, fetchTimeline, GV, runPhase, SocketApi, startInProcessDaemon, approvalsOfRun, completedRun } from './support.js';

type Step = Record<string, unknown>;

describe('approvals (in-process daemon)', () => {
  let dir: string;
  let daemon: DaemonHandle;
  let client: SocketApi;
  let demo: string;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    ({ dir, daemon, client, stop } = await startInProcessDaemon('sidekick-approvals-'));
    demo = demoRepo(dir);
  });
  afterAll(() => stop());

  /** A session with one Scripted agent and one run in a worktree of the demo repo. */
  async function startRun(name: string, script: Step[], extra: Record<string, unknown>[] = []): Promise<void> {
    await applyAll(client, [
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name }, spec: {} },
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Agent', metadata: { name }, spec: { driver: 'Scripted', script } },
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'RepoMount', metadata: { name }, spec: { session: name, path: demo } },
      ...extra,
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name }, spec: { session: name, agent: name, repoMount: name, prompt: 'go' } },
    ] as Record<string, any>[]);
  }

  const approvalsOf = (run: string) => approvalsOfRun(client, run);

  /** Waits for the run to wait on an approval and returns the pending one. */
  async function pendingApproval(run: string): Promise<Approval> {
    return eventually(async () => {
      const r = await runPhase(client, run);
      const pending = (await approvalsOf(run)).filter((a) => a.status?.phase === 'Pending');
      expect(pending).toHaveLength(1);
      expect(r.status?.phase).toBe(pending[0]!.spec.category === 'UserInput' ? 'WaitingForInput' : 'WaitingForApproval');
      return pending[0]!;
    }, { timeoutMs: 20_000 });
  }

  function decide(name: string, decision: Record<string, unknown>): Promise<unknown> {
    return client.raw('PATCH', `${GV}/approvals/${name}`, { spec: { decision } }, 'application/merge-patch+json');
  }

  const completed = (run: string) => completedRun(client, run);

  function worktreeOf(run: string): Promise<string> {
    return runPhase(client, run).then((r) => r.status!.workspace!.path!);
  }

  it('a denied command never runs; the agent gets the refusal as the tool result and the run goes on', async () => {
    await startRun('deny', [{ tool: 'RunCommand', input: { command: 'touch denied.txt' } }, { say: 'carrying on' }]);
    const approval = await pendingApproval('deny');
    expect(approval.spec).toMatchObject({ session: 'deny', run: 'deny', category: 'ToolExecution', request: { tool: 'RunCommand', command: 'touch denied.txt' } });
    expect((await runPhase(client, 'deny')).status?.pendingApprovals).toBe(1);
    await decide(approval.metadata.name!, { verdict: 'Rejected', reason: 'not today' });
    await completed('deny');
    expect(existsSync(join(await worktreeOf('deny'), 'denied.txt'))).toBe(false);
    const events = await fetchTimeline(client, 'deny');
    const types = events.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['approval.requested', 'approval.rejected', 'tool.error', 'run.Completed']));
    // In causal order: the call, the wait it caused, the decision, the run going on, the refusal as its result.
    const order = ['tool.invoked', 'approval.requested', 'run.WaitingForApproval', 'approval.rejected', 'run.Running', 'tool.error'];
    expect(types.slice(types.indexOf('tool.invoked')).filter((t) => order.includes(t))).toEqual(order);
    const result = events.find((e) => e.type === 'tool.error')!.payload as { output: string };
    expect(result.output).toContain('not today');
    const settled = (await client.get('approvals', 'default', approval.metadata.name!)) as Approval;
    expect(settled.status).toMatchObject({ phase: 'Rejected' });
    expect(settled.status?.decidedBy).toBeTruthy();
  });

  it('an approved command runs, and a decision is final: a second one is refused', async () => {
    await startRun('allow', [{ tool: 'RunCommand', input: { command: 'touch approved.txt' } }, { say: 'done' }]);
    const approval = await pendingApproval('allow');
    await decide(approval.metadata.name!, { verdict: 'Approved' });
    await completed('allow');
    expect(existsSync(join(await worktreeOf('allow'), 'approved.txt'))).toBe(true);
    const second = await decide(approval.metadata.name!, { verdict: 'Rejected' }).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(ApiError);
    expect(second).toMatchObject({ code: 422 });
    expect((second as Error).message).toContain('spec.decision');
  });

  it('a remembered session rule approves the next matching call, and only that one', async () => {
    await startRun('remember', [
      { tool: 'RunCommand', input: { command: 'echo one >> log.txt' } },
      { tool: 'RunCommand', input: { command: 'echo one >> log.txt' } },
      { tool: 'RunCommand', input: { command: 'echo two >> log.txt' } },
      { say: 'done' },
    ]);
    const first = await pendingApproval('remember');
    await decide(first.metadata.name!, { verdict: 'Approved', remember: { scope: 'Session' } });
    // The second, identical call is decided by the rule; the third, different one asks again.
    const third = await eventually(async () => {
      const pending = (await approvalsOf('remember')).filter((a) => a.status?.phase === 'Pending');
      expect(pending).toHaveLength(1);
      expect(pending[0]!.spec.request?.command).toBe('echo two >> log.txt');
      return pending[0]!;
    }, { timeoutMs: 20_000 });
    const all = await approvalsOf('remember');
    const byRule = all.filter((a) => a.status?.rule);
    expect(byRule).toHaveLength(1);
    expect(byRule[0]!.status).toMatchObject({ phase: 'Approved' });
    const policies = (await client.raw('GET', `${GV}/approvalpolicies`)) as { items: ApprovalPolicy[] };
    expect(policies.items.flatMap((p) => p.spec.rules ?? [])).toEqual(
      expect.arrayContaining([expect.objectContaining({ category: 'ToolExecution', action: 'Allow', match: expect.objectContaining({ command: 'echo one >> log.txt' }) })]),
    );
    await decide(third.metadata.name!, { verdict: 'Approved' });
    await completed('remember');
    expect(readFileSync(join(await worktreeOf('remember'), 'log.txt'), 'utf8')).toBe('one\none\ntwo\n');
    expect((await fetchTimeline(client, 'remember')).map((e) => e.type)).toContain('approval.remembered');
  });

  it('expires an undecided approval per onExpiry (Reject by default): the command does not run', async () => {
    const expiring = { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'ApprovalPolicy', metadata: { name: 'expire' }, spec: { session: 'expire' } };
    await startRun('expire', [{ tool: 'RunCommand', input: { command: 'touch expired.txt' } }, { say: 'done' }], [expiring]);
    const approval = await pendingApproval('expire');
    // Set the expiry in the past through the API, as an operator would: it expires at once.
    await client.raw('PATCH', `${GV}/approvals/${approval.metadata.name}`, { spec: { expiresAt: '2020-01-01T00:00:00Z' } }, 'application/merge-patch+json');
    await completed('expire');
    expect(((await client.get('approvals', 'default', approval.metadata.name!)) as Approval).status?.phase).toBe('Expired');
    expect(existsSync(join(await worktreeOf('expire'), 'expired.txt'))).toBe(false);
    expect((await fetchTimeline(client, 'expire')).map((e) => e.type)).toContain('approval.expired');
  });

  it('cancels the pending approval of a run that is deleted while it waits', async () => {
    await startRun('cancel', [{ tool: 'RunCommand', input: { command: 'touch never.txt' } }]);
    const approval = await pendingApproval('cancel');
    await client.delete('runs', 'default', 'cancel');
    // Garbage collection may remove the approval with its run: the journal keeps the outcome.
    const canceled = await eventually(async () => {
      const event = (await fetchTimeline(client, 'cancel')).find((e) => e.type === 'approval.canceled');
      expect(event).toBeDefined();
      return event!;
    }, { timeoutMs: 20_000 });
    expect(canceled.payload).toMatchObject({ approval: approval.metadata.name, reason: 'run cancel was deleted' });
    const types = (await fetchTimeline(client, 'cancel')).map((e) => e.type);
    expect(types).not.toContain('approval.approved');
    expect(types).not.toContain('approval.rejected');
  });

  it('pausing a run cancels its pending approval, and the command does not run', async () => {
    await startRun('pause', [{ tool: 'RunCommand', input: { command: 'touch paused.txt' } }]);
    const approval = await pendingApproval('pause');
    await client.raw('PATCH', `${GV}/runs/pause`, { spec: { suspend: true } }, 'application/merge-patch+json');
    const settled = await eventually(async () => {
      const a = (await client.get('approvals', 'default', approval.metadata.name!)) as Approval;
      expect(a.status?.phase).toBe('Canceled');
      return a;
    }, { timeoutMs: 20_000 });
    expect(settled.status?.message).toBe('run pause was paused');
    const canceled = (await fetchTimeline(client, 'pause')).filter((e) => e.type === 'approval.canceled');
    expect(canceled.map((e) => e.payload)).toEqual([expect.objectContaining({ approval: approval.metadata.name, reason: 'run pause was paused' })]);
    expect(existsSync(join(await worktreeOf('pause'), 'paused.txt'))).toBe(false);
  });

  it('asks the user a question (UserInput) and delivers the answer from `respond`', async () => {
    await startRun('ask', [{ ask: 'Which greeting?' }, { say: 'ok' }]);
    const approval = await pendingApproval('ask');
    expect(approval.spec).toMatchObject({ category: 'UserInput', request: { details: 'Which greeting?' } });
    await decide(approval.metadata.name!, { verdict: 'Approved', reason: 'Hello, Sidekicks' });
    await completed('ask');
    const events = await fetchTimeline(client, 'ask');
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['run.WaitingForInput', 'approval.requested', 'approval.approved', 'run.Completed']));
  });
});
