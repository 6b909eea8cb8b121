/**
 * Codex approvals end to end: a real daemon with its controllers, real git worktrees, the driver
 * host built from this source tree (npm run build), and as the agent's CLI, twice over:
 * - the fake `codex app-server` (test/fakes/codex), which plays the script itself;
 * - the real Codex CLI (the pinned devDependency) talking to a fake OpenAI Responses API on
 *   loopback (test/fakes/openai-responses-server.ts) whose model plays the same script. The Agent
 *   reaches it the user-facing way, spec.endpoint (a Responses model provider for Codex).
 * Codex's approval requests must become Approval objects, `sidekick approve|deny` must reach Codex
 * as accept / decline (the command runs, or never does and the agent is told why), what Codex
 * warns about must reach the journal, and a steer must reach the running turn (Applied; the fake
 * only: the scripted model cannot wait inside a model call for it). Each run's script rides in its prompt.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import type { Agent } from '../../resources/kinds/agent.js';
import type { Approval } from '../../resources/kinds/approval.js';
import type { Intervention } from '../../resources/kinds/intervention.js';
import { eventually } from '../eventually.js';
import { FakeResponsesServer } from '../fakes/openai-responses-server.js';
import { applyAll, demoRepo, fetchTimeline, repo, runPhase, sidekick, SocketApi, startInProcessDaemon, approvalsOfRun, pendingApprovalOf, completedRun } from './support.js';

// node for the CLIs' launchers (codex.js, the fake), bash for the commands they run.
const agentPath = [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(delimiter);
/** A model neither Codex nor the fake has metadata for: both warn about it. */
const model = 'gpt-fake';

type Step = Record<string, unknown>;
type TimelineEvent = { type: string; run?: string; payload: Record<string, any> };

/** One Codex to test against: the binary, the version it reports, and what the Agent must say to reach its model. */
interface CodexUnderTest {
  name: string;
  command: string;
  version: string;
  /** Whether its model can wait inside a turn for a steer (the fake CLI plays `waitForSteer` itself). */
  playsSteer: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  agentSpec(dir: string, run: string): Record<string, unknown>;
  /** The tools Codex offered the model in its last model call, when there is a model to ask. */
  toolsOffered(): string[] | undefined;
}

const fakeCli: CodexUnderTest = {
  name: 'fake codex app-server',
  command: join(repo, 'test', 'fakes', 'codex', 'codex'),
  version: 'codex-cli 0.0.0-fake',
  playsSteer: true,
  start: async () => undefined,
  stop: async () => undefined,
  agentSpec: (dir, run) => ({
    env: [
      { name: 'PATH', value: agentPath },
      { name: 'CODEX_HOME', value: join(dir, 'codex-home') },
      { name: 'FAKE_CODEX_LOG', value: join(dir, `${run}.fake.jsonl`) },
    ],
  }),
  toolsOffered: () => undefined,
};

/** The pinned Codex CLI against a fake Responses API; set up in `start`. Its HOME (so ~/.codex) is the run's own. */
function realCli(): CodexUnderTest {
  let api: FakeResponsesServer | undefined;
  const version = (JSON.parse(readFileSync(join(repo, 'node_modules', '@openai', 'codex', 'package.json'), 'utf8')) as { version: string }).version;
  return {
    name: `Codex ${version}`,
    command: join(repo, 'node_modules', '.bin', 'codex'),
    version: `codex-cli ${version}`,
    playsSteer: false,
    start: async () => {
      api = await FakeResponsesServer.start();
    },
    stop: async () => {
      expect(api?.unknown).toEqual([]);
      await api?.close();
    },
    agentSpec: () => ({ env: [{ name: 'PATH', value: agentPath }], endpoint: { baseURL: api!.baseURL } }),
    // Hosted tools ({type: "web_search"}) have no name: they are named by their type.
    toolsOffered: () => (api!.requests.at(-1)?.tools ?? []).map((t) => t.name ?? t.type),
  };
}

describe.each([fakeCli, realCli()])('Codex approvals (in-process daemon, $name)', (codex) => {
  let dir: string;
  let home: string;
  let client: SocketApi;
  let stop: (() => Promise<void>) | undefined;
  let demo: string;

  beforeAll(async () => {
    await codex.start();
    // The built host (npm run build): one compiled into a temp dir would be out of sight under the
    // sandbox's private /tmp. The daemon runs it with the isolation this machine supports.
    ({ dir, home, client, stop } = await startInProcessDaemon('sidekick-codex-'));
    demo = demoRepo(dir);
  }, 120_000);
  afterAll(async () => {
    await stop?.();
    await codex.stop();
  });

  /** A session, a Codex agent, a worktree mount of the demo repo, and one run. */
  async function startRun(name: string, script: Step[]): Promise<void> {
    await applyAll(client, [
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name }, spec: {} },
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Agent', metadata: { name }, spec: { driver: 'Codex', command: codex.command, model, ...codex.agentSpec(dir, name) } },
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'RepoMount', metadata: { name }, spec: { session: name, path: demo } },
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name }, spec: { session: name, agent: name, repoMount: name, prompt: `Do the task.\nfake-codex-script: ${JSON.stringify(script)}` } },
    ]);
  }

  const approvalsOf = (run: string) => approvalsOfRun(client, run);
  const pendingApproval = (run: string) => pendingApprovalOf(client, run);
  const completed = (run: string) => completedRun(client, run);

  const timeline = async (session: string) => (await fetchTimeline(client, session)) as TimelineEvent[];
  const worktreeOf = async (run: string) => (await runPhase(client, run)).status!.workspace!.path!;

  it('detects the CLI and offers what the driver declares; what Codex warns about is journalled', async () => {
    await startRun('probe', [{ say: 'hello' }]);
    const agent = await eventually(async () => {
      const a = (await client.get('agents', 'default', 'probe')) as Agent;
      expect(a.status?.phase).toBe('Ready');
      return a;
    }, { timeoutMs: 20_000 });
    expect(agent.status).toMatchObject({ driverVersion: codex.version, capabilities: { resume: true, steer: true, interactiveRequests: true } });
    expect((await completed('probe')).status?.summary).toBe('hello');
    const warnings = (await timeline('probe')).filter((e) => e.type === 'driver.warning');
    expect(warnings.map((e) => e.payload)).toEqual([{ kind: 'warning', message: expect.stringMatching(/^Model metadata for `gpt-fake` not found/) }]);
    // Codex's own web search is off (no tool of ours stands for it); its command tool is there.
    const offered = codex.toolsOffered();
    if (offered) {
      expect(offered).toContain('exec_command');
      expect(offered).not.toContain('web_search');
    }
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

  // The scripted model answers each call at once, so it cannot wait inside a turn for a steer: the fake CLI plays that.
  if (codex.playsSteer) {
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
  }
});
