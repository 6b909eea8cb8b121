/**
 * A run that leaves its active phase while it waits for an approval (pause, cancel) takes its open
 * approvals with it: they end Canceled, `pendingApprovals` is reset, and after a resume the agent
 * asks again — the new approval alone decides, and the run finishes. The Scripted agent replays its
 * tool step after a resume, asking again, as the real Claude Code and Codex CLIs do.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Approval } from '../../resources/kinds/approval.js';
import { eventually } from '../eventually.js';
import { applyAll, demoRepo, fetchTimeline, GV, runPhase, sidekick, startInProcessDaemon, type InProcessDaemon } from './support.js';

let d: InProcessDaemon;
let demo: string;
beforeAll(async () => {
  d = await startInProcessDaemon('sidekick-approval-phases-');
  demo = demoRepo(d.dir);
});
afterAll(() => d.stop());

async function startRun(name: string): Promise<void> {
  await applyAll(d.client, [
    { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name }, spec: {} },
    { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Agent', metadata: { name }, spec: { driver: 'Scripted', script: [{ tool: 'RunCommand', input: { command: 'echo asked > asked.txt' } }, { say: 'done' }] } },
    { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'RepoMount', metadata: { name }, spec: { session: name, path: demo } },
    { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name }, spec: { session: name, agent: name, repoMount: name, prompt: 'go' } },
  ]);
}

async function approvalsOf(run: string): Promise<Approval[]> {
  const list = (await d.client.raw('GET', `${GV}/approvals`)) as { items: Approval[] };
  return list.items.filter((a) => a.spec.run === run).sort((a, b) => a.metadata.creationTimestamp!.localeCompare(b.metadata.creationTimestamp!) || a.metadata.name!.localeCompare(b.metadata.name!));
}

/** Waits until the run waits on exactly one Pending approval (besides `settled` ones) and returns it. */
async function waitingOn(run: string, settled: number): Promise<Approval> {
  return eventually(async () => {
    const approvals = await approvalsOf(run);
    const pending = approvals.filter((a) => a.status?.phase === 'Pending');
    expect([approvals.length, pending.length]).toEqual([settled + 1, 1]);
    const r = await runPhase(d.client, run);
    expect([r.status?.phase, r.status?.pendingApprovals]).toEqual(['WaitingForApproval', 1]);
    return pending[0]!;
  }, { timeoutMs: 20_000 });
}

describe('approvals of a run that leaves its active phase', () => {
  it('pause cancels the open approval and resets the count; after resume the agent asks again and the run completes', async () => {
    await startRun('paused');
    const first = await waitingOn('paused', 0);

    expect(await sidekick(d.home, ['pause', 'run/paused'])).toMatchObject({ code: 0 });
    await eventually(async () => {
      const r = await runPhase(d.client, 'paused');
      expect([r.status?.phase, r.status?.pendingApprovals]).toEqual(['Paused', undefined]);
      const [a] = await approvalsOf('paused');
      expect(a!.status).toMatchObject({ phase: 'Canceled', message: 'run paused was paused' });
      return true;
    }, { timeoutMs: 20_000 });

    expect(await sidekick(d.home, ['resume', 'run/paused'])).toMatchObject({ code: 0 });
    const second = await waitingOn('paused', 1);
    expect(second.metadata.name).not.toBe(first.metadata.name);
    expect(await sidekick(d.home, ['approve', second.metadata.name!])).toMatchObject({ code: 0 });

    const done = await eventually(async () => {
      const r = await runPhase(d.client, 'paused');
      expect(r.status?.phase).toBe('Completed');
      return r;
    }, { timeoutMs: 20_000 });
    expect(done.status?.pendingApprovals).toBeUndefined();

    // (run.Queued is journalled only when the run had to wait for its session: not asserted.)
    const events = (await fetchTimeline(d.client, 'paused')).filter((e) => /^(approval|run|tool)\./.test(e.type) && e.type !== 'run.Queued');
    expect(events.map((e) => e.type)).toEqual([
      'run.Starting',
      'run.Running',
      'tool.invoked',
      'approval.requested',
      'run.WaitingForApproval',
      // The pause stops the driver mid-call: the call ends in an error, and never ran.
      'tool.error',
      'run.Paused',
      'approval.canceled',
      'run.Running',
      'tool.invoked',
      'approval.requested',
      'run.WaitingForApproval',
      'approval.approved',
      'run.Running',
      'tool.result',
      'run.Completed',
    ]);
    // The refused first call never ran; the approved one ran once.
    expect(events.filter((e) => e.type === 'tool.result')).toHaveLength(1);
  }, 60_000);

  it('cancel ends the run Canceled and cancels its open approval', async () => {
    await startRun('canceled');
    await waitingOn('canceled', 0);
    expect(await sidekick(d.home, ['cancel', 'run/canceled'])).toMatchObject({ code: 0 });
    await eventually(async () => {
      const r = await runPhase(d.client, 'canceled');
      expect([r.status?.phase, r.status?.pendingApprovals]).toEqual(['Canceled', undefined]);
      const [a] = await approvalsOf('canceled');
      expect(a!.status?.phase).toBe('Canceled');
      return true;
    }, { timeoutMs: 20_000 });
  }, 60_000);
});
