/**
 * Claude Code through the daemon's approval gate, end to end: a real daemon with its controllers,
 * real git worktrees, the compiled driver host running the Claude driver, twice over:
 * - against the fake Claude CLI (test/fakes/claude/claude, scenario `bash`: it runs its prompt as
 *   one Bash command after asking the `--permission-prompt-tool` MCP server);
 * - against the real Claude Code CLI (the pinned devDependency) talking to a fake Anthropic
 *   Messages API on loopback (test/fakes/anthropic-server.ts) whose model does the same: it runs
 *   the prompt as one Bash command and ends its turn quoting the tool result it got.
 * The Agent reaches the API the user-facing way, through spec.env (ANTHROPIC_BASE_URL,
 * ANTHROPIC_API_KEY, and a HOME of its own so the CLI neither reads nor writes the user's
 * ~/.claude). Decisions are made with the real CLI verbs, `sidekick approve` and `sidekick deny`.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonHandle } from '../../cli/daemon/compose.js';
import { eventually } from '../eventually.js';
import type { Approval } from '../../resources/kinds/approval.js';
import type { ApprovalPolicy } from '../../resources/kinds/approvalpolicy.js';
import type { Run } from '../../resources/kinds/run.js';
import { FakeAnthropicServer, lastToolResults } from '../fakes/anthropic-server.js';
import { applyAll, demoRepo, fetchTimeline, GV, hostCommand, repo, runPhase, sidekick, SocketApi, startInProcessDaemon, approvalsOfRun, pendingApprovalOf, completedRun } from './support.js';

const apiVersion = 'sidekicks.dev/v1alpha1';

type TimelineEvent = { sequence: number; type: string; run?: string; payload: Record<string, unknown> };
type EnvVar = { name: string; value: string };

/** One Claude Code to test against: where the binary is and what the Agent's env must say. */
interface ClaudeUnderTest {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  command: string;
  env(): EnvVar[];
  /** The built-in tools the CLI offered the model in its last model call, when there is a model to ask. */
  toolsOffered(): string[] | undefined;
  /** What the model was told a tool call of the run returned, when there is a model to ask. */
  toolResultsSeen(): string[] | undefined;
}

const fakeCli: ClaudeUnderTest = {
  name: 'fake Claude CLI',
  command: join(repo, 'test', 'fakes', 'claude', 'claude'),
  start: async () => undefined,
  stop: async () => undefined,
  env: () => [{ name: 'FAKE_CLAUDE_SCENARIO', value: 'bash' }],
  // The fake has no model to offer tools to (claude.test.ts checks the --tools it is given).
  toolsOffered: () => undefined,
  toolResultsSeen: () => undefined,
};

/** The pinned Claude Code CLI against a fake Messages API; set up in `start`. */
function realCli(): ClaudeUnderTest {
  let model: FakeAnthropicServer | undefined;
  return {
    name: `Claude Code ${claudeVersion()}`,
    command: join(repo, 'node_modules', '.bin', 'claude'),
    start: async () => {
      model = await FakeAnthropicServer.start();
    },
    stop: async () => {
      // A CLI must not have needed anything the fake does not serve (count_tokens, models, …).
      expect(model?.unknown).toEqual([]);
      await model?.close();
    },
    // HOME is the run's own under the sandbox, so the CLI keeps its sessions away from the user's ~/.claude.
    env: () => [
      { name: 'ANTHROPIC_BASE_URL', value: model!.baseURL },
      { name: 'ANTHROPIC_API_KEY', value: 'sk-ant-test-not-a-key' },
      { name: 'DISABLE_AUTOUPDATER', value: '1' },
      { name: 'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC', value: '1' },
    ],
    // Deferred tools (defer_loading) are names only: the model cannot call them without ToolSearch.
    toolsOffered: () => (model!.requests.at(-1)?.tools ?? []).filter((t) => !t.defer_loading).map((t) => t.name).sort(),
    toolResultsSeen: () => model!.requests.flatMap((r) => lastToolResults(r).map((t) => t.text)),
  };
}

function claudeVersion(): string {
  return (JSON.parse(readFileSync(join(repo, 'node_modules', '@anthropic-ai', 'claude-code', 'package.json'), 'utf8')) as { version: string }).version;
}

describe.each([fakeCli, realCli()])('Claude Code approvals (in-process daemon, $name)', (claude) => {
  let dir: string;
  let home: string;
  let daemon: DaemonHandle;
  let client: SocketApi;
  let stop: (() => Promise<void>) | undefined;
  let demo: string;

  beforeAll(async () => {
    expect(existsSync(hostCommand[1])).toBe(true);
    expect(existsSync(claude.command)).toBe(true);
    await claude.start();
    ({ dir, home, daemon, client, stop } = await startInProcessDaemon('sidekick-claude-approvals-'));
    demo = demoRepo(dir);
  });
  afterAll(async () => {
    await stop?.();
    await claude.stop();
  });

  /** A session with a Claude agent (which runs its prompt as a Bash command) and a worktree mount. */
  async function claudeSession(name: string, tools?: string[]): Promise<void> {
    await applyAll(client, [
      { apiVersion, kind: 'Session', metadata: { name }, spec: {} },
      { apiVersion, kind: 'Agent', metadata: { name }, spec: { driver: 'Claude', command: claude.command, env: claude.env(), ...(tools ? { tools } : {}) } },
      { apiVersion, kind: 'RepoMount', metadata: { name }, spec: { session: name, path: demo } },
    ]);
  }

  async function startRun(session: string, name: string, command: string): Promise<void> {
    await applyAll(client, [{ apiVersion, kind: 'Run', metadata: { name }, spec: { session, agent: session, repoMount: session, prompt: command } }]);
  }

  const approvalsOf = (run: string) => approvalsOfRun(client, run);
  const pendingApproval = (run: string) => pendingApprovalOf(client, run, 30_000);
  const completed = (run: string) => completedRun(client, run, 30_000);

  async function timelineOf(session: string, run: string): Promise<TimelineEvent[]> {
    return ((await fetchTimeline(client, session)) as TimelineEvent[]).filter((e) => e.run === run);
  }

  function diffOf(run: Run): string {
    const artifact = run.status?.diff?.artifact;
    expect(artifact).toBeTruthy();
    return artifact!;
  }

  async function artifactText(name: string): Promise<string> {
    const art = (await client.get('artifacts', 'default', name)) as { status: { digest: string } };
    const hex = art.status.digest.slice('sha256:'.length);
    return readFileSync(join(daemon.paths.artifacts, hex.slice(0, 2), hex), 'utf8');
  }

  it('asks before Claude runs a Bash command; `sidekick approve` lets it run and the run completes with the change', async () => {
    await claudeSession('claude-ok');
    const command = 'touch approved.txt && echo created approved.txt';
    await startRun('claude-ok', 'claude-ok', command);

    const approval = await pendingApproval('claude-ok');
    const run = await runPhase(client, 'claude-ok');
    expect(run.status?.pendingApprovals).toBe(1);
    expect(approval.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Run', name: 'claude-ok', uid: run.metadata.uid, controller: true })]);
    expect(approval.spec).toMatchObject({ session: 'claude-ok', run: 'claude-ok', category: 'ToolExecution', request: { tool: 'RunCommand', command } });
    // The gate keys the approval to Claude's own tool_use id, which the journal shows for the call.
    const callId = approval.metadata.annotations?.['sidekicks.dev/tool-call'];
    expect(callId).toMatch(/^toolu_/);
    const asked = await timelineOf('claude-ok', 'claude-ok');
    expect(asked.find((e) => e.type === 'approval.requested')?.payload).toMatchObject({ approval: approval.metadata.name, category: 'ToolExecution', callId, tool: 'RunCommand' });
    expect(asked.find((e) => e.type === 'tool.invoked')?.payload).toMatchObject({ callId, tool: 'RunCommand', input: { command } });
    expect(existsSync(join(run.status!.workspace!.path!, 'approved.txt'))).toBe(false);

    const approved = await sidekick(home, ['approve', approval.metadata.name!]);
    expect(approved).toEqual({ code: 0, stdout: `approval.sidekicks.dev/${approval.metadata.name} approved\n`, stderr: '' });

    const done = await completed('claude-ok');
    expect(existsSync(join(done.status!.workspace!.path!, 'approved.txt'))).toBe(true);
    // The model ends its turn quoting the tool result Claude Code gave it: the command's output.
    expect(done.status?.summary).toBe('Bash tool result: created approved.txt');
    // Every built-in that maps to one of our tools, and nothing else (no WebFetch, Agent, Skill…).
    const offered = claude.toolsOffered();
    if (offered) expect(offered).toEqual(['Bash', 'Edit', 'Glob', 'Grep', 'NotebookEdit', 'Read', 'Write']);
    expect(done.status?.pendingApprovals).toBeUndefined();
    expect(await artifactText(diffOf(done))).toContain('approved.txt');

    const events = await timelineOf('claude-ok', 'claude-ok');
    const types = events.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['tool.invoked', 'approval.requested', 'approval.approved', 'tool.result', 'run.Completed']));
    expect(types.indexOf('approval.requested')).toBeLessThan(types.indexOf('approval.approved'));
    expect(types.indexOf('approval.approved')).toBeLessThan(types.indexOf('tool.result'));
    expect(events.find((e) => e.type === 'tool.result')?.payload).toMatchObject({ callId, ok: true, output: 'created approved.txt' });
    const settled = (await client.get('approvals', 'default', approval.metadata.name!)) as Approval;
    expect(settled.status).toMatchObject({ phase: 'Approved' });
    expect(settled.status?.decidedBy).toBeTruthy();
  });

  it('`sidekick deny --reason` keeps the command from running and Claude receives the refusal as the tool result', async () => {
    await claudeSession('claude-no');
    await startRun('claude-no', 'claude-no', 'touch denied.txt && echo created denied.txt');
    const approval = await pendingApproval('claude-no');
    expect(approval.spec).toMatchObject({ category: 'ToolExecution', request: { command: 'touch denied.txt && echo created denied.txt' } });

    const denied = await sidekick(home, ['deny', approval.metadata.name!, '--reason', 'not in this repository']);
    expect(denied).toEqual({ code: 0, stdout: `approval.sidekicks.dev/${approval.metadata.name} denied\n`, stderr: '' });

    const done = await completed('claude-no');
    expect(existsSync(join(done.status!.workspace!.path!, 'denied.txt'))).toBe(false);
    // What Claude Code got back from the permission tool, quoted by the model in its last message.
    expect(done.status?.summary).toMatch(/^Bash tool result: rejected by .+: not in this repository$/);
    // With a model to ask: the refusal is what Claude Code sent it as the tool result.
    const seen = claude.toolResultsSeen();
    if (seen) expect(seen).toContainEqual(expect.stringMatching(/^rejected by .+: not in this repository$/));
    expect(done.status?.diff?.files ?? 0).toBe(0);

    const events = await timelineOf('claude-no', 'claude-no');
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['approval.requested', 'approval.rejected', 'tool.error', 'run.Completed']));
    expect(events.some((e) => e.type === 'tool.result')).toBe(false);
    expect(events.find((e) => e.type === 'tool.error')?.payload).toMatchObject({ ok: false, output: expect.stringContaining('not in this repository') });
    const settled = (await client.get('approvals', 'default', approval.metadata.name!)) as Approval;
    expect(settled.status).toMatchObject({ phase: 'Rejected' });
  });

  it('`approve --remember session` lets the same command of the next run in the session through without asking', async () => {
    await claudeSession('claude-rm');
    const command = 'echo remembered >> notes.txt';
    await startRun('claude-rm', 'rm-1', command);
    const first = await pendingApproval('rm-1');
    const approved = await sidekick(home, ['approve', first.metadata.name!, '--remember', 'session']);
    expect(approved).toMatchObject({ code: 0, stdout: `approval.sidekicks.dev/${first.metadata.name} approved (remembered for this session)\n` });
    await completed('rm-1');
    const policies = await eventually(async () => {
      const list = (await client.raw('GET', `${GV}/approvalpolicies`)) as { items: ApprovalPolicy[] };
      const rules = list.items.filter((p) => p.spec.session === 'claude-rm').flatMap((p) => p.spec.rules ?? []);
      expect(rules).toEqual([expect.objectContaining({ category: 'ToolExecution', action: 'Allow', match: expect.objectContaining({ command }) })]);
      return rules;
    });
    expect(policies).toHaveLength(1);

    // Another run of the session makes the identical call: the rule decides, nobody is asked.
    await startRun('claude-rm', 'rm-2', command);
    const done = await completed('rm-2');
    expect(readFileSync(join(done.status!.workspace!.path!, 'notes.txt'), 'utf8')).toBe('remembered\n');
    expect(done.status?.summary).toBe('Bash tool result: (Bash completed with no output)');
    const second = await approvalsOf('rm-2');
    // The rule's decision is kept on record (born Approved, naming the rule); none was ever Pending.
    expect(second).toHaveLength(1);
    expect(second[0]!.status).toMatchObject({ phase: 'Approved', rule: expect.stringMatching(/^remembered-session-claude-rm\//) });
    const events = await timelineOf('claude-rm', 'rm-2');
    const types = events.map((e) => e.type);
    expect(types).not.toContain('approval.requested');
    expect(events.find((e) => e.type === 'approval.approved')?.payload).toMatchObject({ rule: second[0]!.status?.rule });

    // Only that command: a different one in a third run asks again.
    await startRun('claude-rm', 'rm-3', 'echo other >> notes.txt');
    const third = await pendingApproval('rm-3');
    expect(third.spec.request).toMatchObject({ command: 'echo other >> notes.txt' });
    expect(await sidekick(home, ['deny', third.metadata.name!])).toMatchObject({ code: 0 });
    await completed('rm-3');
  });

  it('offers the CLI only the built-in tools that stand for the agent\'s tools', async () => {
    await claudeSession('claude-tools', ['ReadFile', 'RunCommand']);
    await startRun('claude-tools', 'claude-tools', 'touch limited.txt && echo limited');
    const approval = await pendingApproval('claude-tools');
    expect(await sidekick(home, ['approve', approval.metadata.name!])).toMatchObject({ code: 0 });
    expect((await completed('claude-tools')).status?.summary).toBe('Bash tool result: limited');
    const offered = claude.toolsOffered();
    if (offered) expect(offered).toEqual(['Bash', 'Read']);
  });

  it('a plain read-only command runs without asking: Claude Code allows it itself, and the journal still shows it', async () => {
    await claudeSession('claude-ro');
    await startRun('claude-ro', 'claude-ro', 'echo read only');
    const done = await completed('claude-ro');
    expect(done.status?.summary).toBe('Bash tool result: read only');
    expect(await approvalsOf('claude-ro')).toEqual([]);
    const events = await timelineOf('claude-ro', 'claude-ro');
    expect(events.find((e) => e.type === 'tool.invoked')?.payload).toMatchObject({ tool: 'RunCommand', input: { command: 'echo read only' } });
    expect(events.find((e) => e.type === 'tool.result')?.payload).toMatchObject({ ok: true, output: 'read only' });
  });

  it('pausing while an approval waits cancels it; after resume Claude asks again, and approving completes the run', async () => {
    await claudeSession('claude-pause');
    await startRun('claude-pause', 'claude-pause', 'touch paused.txt && echo made');
    const first = await pendingApproval('claude-pause');
    expect(await sidekick(home, ['pause', 'run/claude-pause'])).toMatchObject({ code: 0 });
    await eventually(async () => {
      const run = await runPhase(client, 'claude-pause');
      expect(run.status?.phase).toBe('Paused');
      expect(run.status?.pendingApprovals).toBeUndefined();
      expect(((await client.get('approvals', 'default', first.metadata.name!)) as Approval).status?.phase).toBe('Canceled');
      return true;
    }, { timeoutMs: 30_000 });

    expect(await sidekick(home, ['resume', 'run/claude-pause'])).toMatchObject({ code: 0 });
    // The session was stopped before the call was answered: resumed, the agent makes it again.
    const again = await eventually(async () => {
      const pending = (await approvalsOf('claude-pause')).filter((a) => a.status?.phase === 'Pending');
      expect(pending).toHaveLength(1);
      expect(pending[0]!.metadata.name).not.toBe(first.metadata.name);
      return pending[0]!;
    }, { timeoutMs: 30_000 });
    expect(again.spec.request).toMatchObject({ command: 'touch paused.txt && echo made' });
    expect(await sidekick(home, ['approve', again.metadata.name!])).toMatchObject({ code: 0 });
    const done = await completed('claude-pause');
    expect(done.status?.summary).toBe('Bash tool result: made');
    expect(done.status?.pendingApprovals).toBeUndefined();
    expect(existsSync(join(done.status!.workspace!.path!, 'paused.txt'))).toBe(true);
    const types = (await timelineOf('claude-pause', 'claude-pause')).map((e) => e.type);
    expect(types.indexOf('run.Paused')).toBeLessThan(types.indexOf('approval.canceled'));
    expect(types.filter((t) => t === 'approval.requested')).toHaveLength(2);
  }, 60_000);
});
