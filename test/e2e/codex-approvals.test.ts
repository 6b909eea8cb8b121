/**
 * Codex approvals end to end: a real daemon with its controllers, real git worktrees, the driver
 * host compiled from this source tree, and the fake `codex app-server` (test/fakes/codex) as the
 * agent's CLI. Codex's approval requests must become Approval objects, `sidekick approve|deny`
 * must reach Codex as accept / decline (the command runs, or never does and the agent is told
 * why), and a steer must reach the running turn (Applied). Each run's script rides in its prompt.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { startDaemon, type DaemonHandle } from '../../controllers/daemon.js';
import { compileHost } from '../../controllers/run/driver/test-harness.js';
import type { Agent } from '../../resources/kinds/agent.js';
import type { Approval } from '../../resources/kinds/approval.js';
import type { Intervention } from '../../resources/kinds/intervention.js';
import { eventually } from '../eventually.js';
import { applyAll, demoRepo, fetchTimeline, GV, repo, runPhase, sidekick, SocketApi } from './support.js';

const fakeCodex = join(repo, 'test', 'fakes', 'codex', 'codex');
const agentPath = [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(delimiter);

type Step = Record<string, unknown>;
type TimelineEvent = { type: string; run?: string; payload: Record<string, any> };

describe('Codex approvals (in-process daemon, fake codex app-server)', () => {
  let dir: string;
  let home: string;
  let host: Awaited<ReturnType<typeof compileHost>>;
  let daemon: DaemonHandle;
  let client: SocketApi;
  let demo: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sidekick-codex-'));
    home = join(dir, 'home');
    host = await compileHost();
    daemon = await startDaemon({ home, driverHostCommand: host.command });
    client = new SocketApi(daemon.socketPath);
    demo = demoRepo(dir);
  }, 120_000);
  afterAll(async () => {
    await daemon?.stop();
    await host?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A session, a Codex agent on the fake CLI, a worktree mount of the demo repo, and one run. */
  async function startRun(name: string, script: Step[]): Promise<void> {
    const env = [
      { name: 'PATH', value: agentPath },
      { name: 'CODEX_HOME', value: join(dir, 'codex-home') },
      { name: 'FAKE_CODEX_LOG', value: join(dir, `${name}.fake.jsonl`) },
    ];
    await applyAll(client, [
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name }, spec: {} },
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Agent', metadata: { name }, spec: { driver: 'Codex', command: fakeCodex, env } },
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'RepoMount', metadata: { name }, spec: { session: name, path: demo } },
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name }, spec: { session: name, agent: name, repoMount: name, prompt: `Do the task.\nfake-codex-script: ${JSON.stringify(script)}` } },
    ]);
  }

  async function approvalsOf(run: string): Promise<Approval[]> {
    const list = (await client.raw('GET', `${GV}/approvals?labelSelector=${encodeURIComponent(`sidekicks.dev/run=${run}`)}`)) as { items: Approval[] };
    return list.items;
  }

  /** Waits for the run to wait on exactly one pending approval and returns it. */
  async function pendingApproval(run: string): Promise<Approval> {
    return eventually(async () => {
      const pending = (await approvalsOf(run)).filter((a) => a.status?.phase === 'Pending');
      expect(pending).toHaveLength(1);
      expect((await runPhase(client, run)).status?.phase).toBe('WaitingForApproval');
      return pending[0]!;
    }, { timeoutMs: 20_000 });
  }

  async function completed(run: string) {
    return eventually(async () => {
      const r = await runPhase(client, run);
      expect(r.status?.phase).toBe('Completed');
      return r;
    }, { timeoutMs: 20_000 });
  }

  const timeline = async (session: string) => (await fetchTimeline(client, session)) as TimelineEvent[];
  const worktreeOf = async (run: string) => (await runPhase(client, run)).status!.workspace!.path!;

  it('detects the fake as the Codex CLI and offers what the driver declares', async () => {
    await startRun('probe', [{ say: 'hello' }]);
    const agent = await eventually(async () => {
      const a = (await client.get('agents', 'default', 'probe')) as Agent;
      expect(a.status?.phase).toBe('Ready');
      return a;
    }, { timeoutMs: 20_000 });
    expect(agent.status).toMatchObject({ driverVersion: 'codex-cli 0.0.0-fake', capabilities: { resume: true, steer: true, interactiveRequests: true } });
    expect((await completed('probe')).status?.summary).toBe('hello');
  });

  it('a command Codex asks about becomes a ToolExecution Approval; `sidekick approve` runs it and the run completes', async () => {
    await startRun('allow', [{ run: 'touch approved.txt' }, { say: 'Created approved.txt.' }]);
    const approval = await pendingApproval('allow');
    expect(approval.spec).toMatchObject({
      session: 'allow',
      run: 'allow',
      category: 'ToolExecution',
      request: { tool: 'RunCommand', command: "/bin/bash -lc 'touch approved.txt'", summary: 'touch approved.txt' },
    });
    const worktree = await worktreeOf('allow');
    expect(existsSync(join(worktree, 'approved.txt'))).toBe(false);

    const approve = await sidekick(home, ['approve', approval.metadata.name!]);
    expect(approve).toMatchObject({ code: 0, stdout: `approval.sidekicks.dev/${approval.metadata.name} approved\n` });
    const run = await completed('allow');
    expect(existsSync(join(worktree, 'approved.txt'))).toBe(true);
    expect(run.status?.summary).toBe('Created approved.txt.');
    const events = await timeline('allow');
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['tool.invoked', 'approval.requested', 'approval.approved', 'tool.result', 'run.Completed']));
    const invoked = events.find((e) => e.type === 'tool.invoked')!;
    expect(invoked.payload).toMatchObject({ tool: 'RunCommand', callId: approval.metadata.annotations?.['sidekicks.dev/tool-call'] });
  });

  it('a network command is a NetworkAccess Approval; `sidekick deny` keeps it from running and the agent gets the refusal', async () => {
    await startRun('deny', [{ run: 'curl -sS https://example.com/ -o page.html; touch denied.txt' }, { say: 'Skipped the download.' }]);
    const approval = await pendingApproval('deny');
    expect(approval.spec).toMatchObject({ category: 'NetworkAccess', request: { tool: 'RunCommand', url: 'https://example.com/' } });
    expect(approval.spec.request?.details).toContain('categories: NetworkAccess, ToolExecution');

    const deny = await sidekick(home, ['deny', approval.metadata.name!, '--reason', 'no network from agents']);
    expect(deny).toMatchObject({ code: 0, stdout: `approval.sidekicks.dev/${approval.metadata.name} denied\n` });
    const run = await completed('deny');
    const worktree = await worktreeOf('deny');
    expect(existsSync(join(worktree, 'denied.txt'))).toBe(false);
    expect(existsSync(join(worktree, 'page.html'))).toBe(false);
    const events = await timeline('deny');
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['approval.requested', 'approval.rejected', 'tool.error', 'run.Completed']));
    expect(events.find((e) => e.type === 'tool.error')!.payload.output).toContain('no network from agents');
    // The agent was told why: the fake echoes what reached its turn in its next message.
    expect(run.status?.summary).toMatch(/^Skipped the download\. \(steer: The command you asked for was refused .*no network from agents\)$/);
  });

  it('a steer reaches the running Codex turn: Applied, and the agent answers with it', async () => {
    await startRun('steered', [{ say: 'Waiting for guidance.' }, { waitForSteer: true }, { say: 'Finished' }]);
    await eventually(async () => {
      expect((await runPhase(client, 'steered')).status?.phase).toBe('Running');
      return (await timeline('steered')).some((e) => e.type === 'assistant.message' && e.payload.text === 'Waiting for guidance.');
    }, { timeoutMs: 20_000 });

    const steer = await sidekick(home, ['steer', 'run/steered', '-m', 'Only touch docs/']);
    expect(steer).toMatchObject({ code: 0, stderr: '' });
    expect(steer.stdout).toMatch(/^intervention\.sidekicks\.dev\/(\S+) created \(Applied: injected into the current turn\)/);
    const name = /^intervention\.sidekicks\.dev\/(\S+) /.exec(steer.stdout)![1]!;
    const iv = (await client.get('interventions', 'default', name)) as Intervention;
    expect(iv.status).toMatchObject({ phase: 'Applied' });
    const run = await completed('steered');
    expect(run.status?.summary).toBe('Finished (steer: Only touch docs/)');
    const types = (await timeline('steered')).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['intervention.requested', 'intervention.applied', 'run.Completed']));
    // No order between the outcome and the answer: a steer's request and outcome are journalled
    // together once the driver says it injected the text, and the agent may have answered by then.
    // That it reached the turn is the summary above, which quotes it.
  });
});
