/**
 * kill -9 of the daemon before a run saved its first checkpoint — while it waits on its first
 * approval, or during its first tool call — no longer ends it Failed "no checkpoint": the fresh
 * daemon starts it again from its prompt. The approval the dead driver waited on is canceled and
 * asked again; a command that was running is not run twice (DOMAIN.md, crash recovery).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sidekickHome } from '../../api/home.js';
import type { Approval } from '../../resources/kinds/approval.js';
import { eventually } from '../eventually.js';
import { applyAll, demoRepo, fetchTimeline, git, GV, nextEvent, runPhase, sidekick, SocketApi, startDaemonProcess, stopDaemonProcess } from './support.js';

let dir: string;
let child: ChildProcess | undefined;
// Every daemon a test started: one left running by a failed test would keep jest from exiting.
const started: ChildProcess[] = [];
async function startDaemon(home: string): Promise<ChildProcess> {
  const p = await startDaemonProcess(home);
  started.push(p);
  return p;
}
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sidekick-from-start-'));
});
afterAll(async () => {
  for (const p of started) await stopDaemonProcess(p);
  rmSync(dir, { recursive: true, force: true });
});

/** A session whose Scripted agent's first step is `command` (allowed outright with `allow`). */
function objects(demo: string, command: string, allow: boolean): Record<string, any>[] {
  return [
    { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name: 's' }, spec: {} },
    { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Agent', metadata: { name: 'a' }, spec: { driver: 'Scripted', script: [{ tool: 'RunCommand', input: { command } }, { say: 'after' }] } },
    { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'RepoMount', metadata: { name: 'm' }, spec: { session: 's', path: demo } },
    ...(allow ? [{ apiVersion: 'sidekicks.dev/v1alpha1', kind: 'ApprovalPolicy', metadata: { name: 'p' }, spec: { session: 's', rules: [{ category: 'ToolExecution', match: { tool: 'RunCommand', command }, action: 'Allow' }] } }] : []),
    { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name: 'r' }, spec: { session: 's', agent: 'a', repoMount: 'm', prompt: 'go' } },
  ];
}

async function approvals(client: SocketApi): Promise<Approval[]> {
  return ((await client.raw('GET', `${GV}/approvals`)) as { items: Approval[] }).items;
}

async function killAndRestart(home: string): Promise<SocketApi> {
  child!.kill('SIGKILL');
  await new Promise((r) => child!.once('exit', r));
  child = await startDaemon(home);
  return new SocketApi(sidekickHome(home).socket);
}

async function completed(client: SocketApi): Promise<void> {
  await eventually(async () => {
    const r = await runPhase(client, 'r');
    expect([r.status?.phase, r.status?.summary, r.status?.pendingApprovals]).toEqual(['Completed', 'after', undefined]);
    return true;
  }, { timeoutMs: 30_000 });
}

describe('a run killed before its first checkpoint resumes from its start', () => {
  it('killed while waiting on its first approval: the approval is asked again, and the command runs once', async () => {
    const home = join(dir, 'home-approval');
    const demo = demoRepo(join(dir, 'approval'));
    child = await startDaemon(home);
    let client = new SocketApi(sidekickHome(home).socket);
    await applyAll(client, objects(demo, 'echo ran >> ran.log', false));
    const first = await eventually(async () => {
      const [a] = await approvals(client);
      expect([(await runPhase(client, 'r')).status?.phase, a?.status?.phase]).toEqual(['WaitingForApproval', 'Pending']);
      return a!;
    }, { timeoutMs: 20_000 });

    client = await killAndRestart(home);
    const second = await eventually(async () => {
      const all = await approvals(client);
      expect(all.find((a) => a.metadata.name === first.metadata.name)?.status?.phase).toBe('Canceled');
      const pending = all.filter((a) => a.status?.phase === 'Pending');
      expect(pending).toHaveLength(1);
      const r = await runPhase(client, 'r');
      expect([r.status?.phase, r.status?.pendingApprovals]).toEqual(['WaitingForApproval', 1]);
      return pending[0]!;
    }, { timeoutMs: 30_000 });
    expect(await sidekick(home, ['approve', second.metadata.name!])).toMatchObject({ code: 0 });
    await completed(client);

    expect(git(demo, 'show', 'sidekicks/s/r:ran.log')).toBe('ran\n');
    const events = await fetchTimeline(client, 's');
    expect(events.find((e) => e.type === 'run.recovered')?.payload).toEqual({ fromTurn: 0, fromStart: true });
    expect(events.filter((e) => e.type === 'run.Failed')).toHaveLength(0);
    expect(((await client.raw('GET', `${GV}/sessions/s/verify`)) as { ok: boolean }).ok).toBe(true);
  }, 90_000);

  it('killed during its first tool call: the command is not run again, the agent is told, and the run finishes', async () => {
    const home = join(dir, 'home-inflight');
    const demo = demoRepo(join(dir, 'inflight'));
    child = await startDaemon(home);
    let client = new SocketApi(sidekickHome(home).socket);
    const command = 'echo started >> runs.log; sleep 3; echo finished >> runs.log';
    await applyAll(client, objects(demo, command, true));
    // Kill while the command runs: it is invoked, and it has written its first line.
    await nextEvent(client, 's', { types: ['tool.invoked'], run: 'r' });
    const worktree = (await runPhase(client, 'r')).status!.workspace!.path!;
    await eventually(() => existsSync(join(worktree, 'runs.log')), { timeoutMs: 20_000 });

    client = await killAndRestart(home);
    await completed(client);
    // Started once, before the kill; never again (the orphaned first attempt may still finish).
    expect(readFileSync(join(worktree, 'runs.log'), 'utf8').split('\n').filter((l) => l === 'started')).toHaveLength(1);
    const events = await fetchTimeline(client, 's');
    expect(events.filter((e) => e.type === 'tool.skipped_during_recovery').map((e) => (e.payload as { callId: string }).callId)).toEqual(['step-0']);
    expect(events.find((e) => e.type === 'run.recovered')?.payload).toEqual({ fromTurn: 0, fromStart: true });
    expect(events.filter((e) => e.type === 'run.Failed')).toHaveLength(0);
  }, 90_000);
});
