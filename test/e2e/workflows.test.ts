/**
 * End to end: Workflows against the real daemon — Scripted agents in real git worktrees, real
 * command steps, approvals decided with the real CLI — for the two examples (review-workflow,
 * parallel-fanout), the join policies, outputs flowing into prompts, pinned template versions,
 * annotation-driven retry, Automated phases, and a kill -9 of the daemon mid-workflow.
 *
 * Why this file is long: the cases share one daemon (starting one per file costs seconds on CI),
 * and each case is a short story of the tour.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sidekickHome } from '../../api/home.js';
import type { Run } from '../../resources/kinds/run.js';
import type { Workflow } from '../../resources/kinds/workflow.js';
import type { Channel } from '../../resources/kinds/channel.js';
import type { Intervention } from '../../resources/kinds/intervention.js';
import { eventually } from '../eventually.js';
import { FakeOpenAIServer, streamed } from '../fakes/openai-server.js';
import { demoRepo, exampleObjects, fetchTimeline, git, GV, nextEvent, sidekick, SocketApi, startDaemonProcess, startInProcessDaemon, daemonProcessFixture, stopDaemonProcess } from './support.js';

const V = 'sidekicks.dev/v1alpha1';
const PLURAL: Record<string, string> = {
  Session: 'sessions',
  Agent: 'agents',
  RepoMount: 'repomounts',
  ApprovalPolicy: 'approvalpolicies',
  Channel: 'channels',
  WorkflowTemplate: 'workflowtemplates',
  Workflow: 'workflows',
};
/** Creation order: what admission looks up exists first (agents before templates, templates before workflows). */
const ORDER = ['Session', 'Agent', 'RepoMount', 'ApprovalPolicy', 'Channel', 'WorkflowTemplate', 'Workflow'];

type Obj = Record<string, any>;

async function apply(client: SocketApi, objects: Obj[]): Promise<void> {
  const sorted = [...objects].sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
  for (const o of sorted) await client.create(PLURAL[o.kind]!, 'default', o);
}

const session = (name: string): Obj => ({ apiVersion: V, kind: 'Session', metadata: { name }, spec: {} });
const agent = (name: string, script: Obj[]): Obj => ({ apiVersion: V, kind: 'Agent', metadata: { name }, spec: { driver: 'Scripted', tools: ['ReadFile', 'WriteFile', 'EditFile'], script } });
const mount = (name: string, sessionName: string, path: string): Obj => ({ apiVersion: V, kind: 'RepoMount', metadata: { name }, spec: { session: sessionName, path, mode: 'Worktree' } });
function workflow(name: string, sessionName: string, template: Obj, spec: Obj = {}): Obj {
  return { apiVersion: V, kind: 'Workflow', metadata: { name }, spec: { session: sessionName, template: { joinPolicy: 'FailFast', ...template }, ...spec } };
}

/** The objects with `suffix` on every name and on every reference to one (a second copy of an example in the same daemon). */
function suffixed(objects: Obj[], suffix: string): Obj[] {
  const names = new Set(objects.map((o) => (o.metadata as { name: string }).name));
  return JSON.parse(JSON.stringify(objects), (_key, value: unknown) => (typeof value === 'string' && names.has(value) ? `${value}${suffix}` : value)) as Obj[];
}

const getWorkflow = async (client: SocketApi, name: string): Promise<Workflow> => (await client.get('workflows', 'default', name)) as Workflow;
const getRun = async (client: SocketApi, name: string): Promise<Run> => (await client.get('runs', 'default', name)) as Run;

async function workflowIn(client: SocketApi, name: string, phase: string, timeoutMs = 60_000): Promise<Workflow> {
  return eventually(async () => {
    const wf = await getWorkflow(client, name);
    if (wf.status?.phase !== phase) throw new Error(`workflow ${name} is ${wf.status?.phase} (${wf.status?.message ?? ''}), waiting for ${phase}`);
    return wf;
  }, { timeoutMs });
}

async function runsOf(client: SocketApi, wf: string): Promise<Run[]> {
  const list = (await client.raw('GET', `${GV}/runs?labelSelector=${encodeURIComponent(`sidekicks.dev/workflow=${wf}`)}`)) as { items: Run[] };
  return list.items;
}

type Event = { sequence: number; type: string; run?: string; payload: Record<string, any> };
const timeline = async (client: SocketApi, sessionName: string): Promise<Event[]> => (await fetchTimeline(client, sessionName)) as Event[];
/** `type:phase` of the workflow.* events of one workflow, in journal order. */
const workflowEvents = (events: Event[], wf: string): string[] =>
  events.filter((e) => e.type.startsWith('workflow.') && e.payload.workflow === wf).map((e) => `${e.type.replace('workflow.', '')}${e.payload.phase ? `:${e.payload.phase}` : ''}`);

/** The `Agent-Run:` trailers on a branch, newest first: which runs' commits it holds. */
function agentRuns(repo: string, branch: string): string[] {
  return git(repo, 'log', '--format=%(trailers:key=Agent-Run,valueonly)', branch)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

describe('workflows end to end (in-process daemon)', () => {
  let dir: string;
  let home: string;
  let client: SocketApi;
  let stop: () => Promise<void>;

  beforeAll(async () => ({ dir, home, client, stop } = await startInProcessDaemon('sidekick-workflows-')));
  afterAll(() => stop());

  it('runs examples/review-workflow: plan, implement twice (the check sends it back once), a review channel, `sidekick approve`, one line of commits', async () => {
    const demo = demoRepo(join(dir, 'review'));
    await apply(client, exampleObjects('review-workflow', demo));

    // The gate after the review waits for a person.
    const gate = 'review-demo-review-1-gate';
    await eventually(async () => ((await client.get('approvals', 'default', gate)) as { status?: { phase?: string } }).status?.phase === 'Pending', { timeoutMs: 60_000 });
    const waiting = await getWorkflow(client, 'review-demo');
    expect(waiting.status?.phases?.implement).toMatchObject({ phase: 'Succeeded', attempts: 2, runs: ['review-demo-implement-1', 'review-demo-implement-2'], gate: { state: 'Passed', result: '1 check passed' } });
    expect(waiting.status?.phases?.review).toMatchObject({ phase: 'Running', attempts: 1, gate: { state: 'Running' } });
    const listed = await sidekick(home, ['get', 'approvals']);
    expect(listed.stdout).toMatch(new RegExp(`${gate}\\s+Gate\\s+approve phase review of workflow review-demo\\s+Pending`));

    const approved = await sidekick(home, ['approve', gate, '--reason', 'ship it']);
    expect(approved).toMatchObject({ code: 0, stdout: `approval.sidekicks.dev/${gate} approved\n` });
    const wf = await workflowIn(client, 'review-demo', 'Completed');
    expect(wf.status?.phases?.review?.gate?.result).toMatch(/^approved by .+: ship it$/);
    expect(wf.status?.message).toBe('every phase succeeded');

    // The second attempt of implement started from the first one's commit: one line of commits.
    const [plan, impl1, impl2] = await Promise.all(['review-demo-plan-1', 'review-demo-implement-1', 'review-demo-implement-2'].map((n) => getRun(client, n)));
    expect(impl1.spec.baseRef).toBe(plan.status?.workspace?.headCommit);
    expect(impl2.spec.baseRef).toBe(impl1.status?.workspace?.headCommit);
    expect(impl2.spec.prompt).toBe('Implement the plan. Plan: change greeting.txt to say "Hello, reviewed".');
    const branch = 'sidekicks/review/review-demo-implement-2';
    expect(wf.status?.phases?.implement?.outputs).toMatchObject({ branch, headCommit: impl2.status?.workspace?.headCommit, diffArtifact: 'review-demo-implement-2-diff' });
    expect(agentRuns(demo, branch)).toEqual([impl2.metadata.uid, impl1.metadata.uid, plan.metadata.uid]);
    expect(git(demo, 'show', `${branch}:greeting.txt`)).toBe('Hello, reviewed\n');
    expect(git(demo, 'show', `${branch}:PLAN.md`)).toContain('# Plan');
    expect(git(demo, 'rev-parse', 'HEAD')).toBe(git(demo, 'rev-parse', 'main'));

    // The review ran in a channel of its own, copied from review-room, until its turns were done.
    const channel = (await client.get('channels', 'default', 'review-demo-review-1')) as Channel;
    expect(channel.spec).toMatchObject({ turnPolicy: 'RoundRobin', agents: ['reviewer', 'implementer'], maxTurns: 2 });
    expect(channel.spec.topic).toBe(`Review issue 141 on branch ${branch} (1 file changed, +1 -1 (artifact review-demo-implement-2-diff)): Updated greeting.txt toward "Hello, reviewed".`);
    expect(channel.status?.phase).toBe('Muted');

    // The timeline tells it in causal order; the checks are recorded like a run's tool calls.
    const events = await timeline(client, 'review');
    expect(workflowEvents(events, 'review-demo')).toEqual([
      'admitted',
      'phase_admitted:plan',
      'phase_started:plan',
      'phase_completed:plan',
      'phase_admitted:implement',
      'phase_started:implement',
      'gate_resolved:implement',
      'phase_retried:implement',
      'phase_admitted:implement',
      'phase_started:implement',
      'gate_resolved:implement',
      'phase_completed:implement',
      'phase_admitted:review',
      'phase_started:review',
      'gate_resolved:review',
      'phase_completed:review',
      'completed',
    ]);
    const checks = events.filter((e) => e.run?.endsWith('-check-1') && (e.type === 'tool.result' || e.type === 'tool.error'));
    expect(checks.map((e) => [e.run, e.type, e.payload.exitCode])).toEqual([
      ['review-demo-implement-1-check-1', 'tool.error', 1],
      ['review-demo-implement-2-check-1', 'tool.result', 0],
    ]);
    const firstGate = events.find((e) => e.type === 'workflow.gate_resolved')!;
    expect(firstGate.payload).toMatchObject({ phase: 'implement', attempt: 1, state: 'Failed', result: 'check greeting failed (exit code 1): [exit code 1]' });
    expect(checks[0]!.sequence).toBeLessThan(firstGate.sequence);
    const verify = (await client.raw('GET', `${GV}/sessions/review/verify`)) as { ok: boolean };
    expect(verify.ok).toBe(true);
    // Check worktrees are retired when their step ends; branches stay.
    expect(git(demo, 'worktree', 'list')).not.toContain('-check-');

    // What a person sees: the phase tree, and one phase's logs.
    const tree = await sidekick(home, ['get', 'workflow', 'review-demo']);
    expect(tree).toMatchObject({ code: 0, stderr: '' });
    expect(tree.stdout).toMatch(/^review-demo\s+Completed\s/m);
    expect(tree.stdout).toMatch(/^├─ ✔ implement #2\s+Agent\s+implementer\s/m);
    expect(tree.stdout).toMatch(/^│  └─ ✔ gate\s+QualityChecks\s+greeting\s.*1 check passed$/m);
    const logs = await sidekick(home, ['logs', 'workflow/review-demo', '--phase', 'implement']);
    expect(logs).toMatchObject({ code: 0, stderr: '' });
    expect(logs.stdout).toMatch(/^\[workflow\] implement retried/m);
    expect(logs.stdout).toMatch(/^review-demo-implement-1-check-1 \| \[tool\] RunCommand/m);
    expect(logs.stdout).toMatch(/^review-demo-implement-2 \| \[assistant\] /m);
    expect(logs.stdout).not.toContain('review-demo-plan-1 |');
  }, 120_000);

  it('runs examples/parallel-fanout: three phases in parallel (two at a time), then a summary whose prompt carries their outputs', async () => {
    const demo = demoRepo(join(dir, 'fanout'));
    await apply(client, exampleObjects('parallel-fanout', demo));
    const wf = await workflowIn(client, 'fanout-demo', 'Completed');
    const phases = wf.status!.phases!;
    expect(Object.fromEntries(Object.entries(phases).map(([n, p]) => [n, `${p.phase}#${p.attempts}`]))).toEqual({ docs: 'Succeeded#1', tests: 'Succeeded#1', changelog: 'Succeeded#1', summarize: 'Succeeded#1' });

    const summarize = await getRun(client, 'fanout-demo-summarize-1');
    expect(summarize.spec.prompt).toBe(
      [
        'Summarize the work on the greeting:',
        `- docs: Documented greeting.txt in docs/greeting.md. (1 file changed, +3 -0 (artifact fanout-demo-docs-1-diff))`,
        `- tests: Added tests/greeting.sh. (1 file changed, +2 -0 (artifact fanout-demo-tests-1-diff))`,
        `- changelog: Started CHANGELOG.md. (1 file changed, +3 -0 (artifact fanout-demo-changelog-1-diff))`,
      ].join('\n'),
    );
    // The summary builds on one of the three lines: the one that finished last.
    const heads = ['docs', 'tests', 'changelog'].map((n) => phases[n]!.outputs!.headCommit);
    expect(heads).toContain(summarize.spec.baseRef);

    // maxConcurrentPhases 2: the third parallel phase starts only once one of the first two completed.
    const events = (await timeline(client, 'fanout')).filter((e) => e.type.startsWith('workflow.'));
    const started = events.filter((e) => e.type === 'workflow.phase_started').map((e) => e.sequence);
    const firstCompleted = events.find((e) => e.type === 'workflow.phase_completed')!.sequence;
    expect(started).toHaveLength(4);
    expect(started[1]!).toBeLessThan(firstCompleted);
    expect(started[2]!).toBeGreaterThan(firstCompleted);
    const completed = events.filter((e) => e.type === 'workflow.phase_completed').map((e) => e.payload.phase);
    expect(completed.slice(-1)).toEqual(['summarize']);
    expect(events.filter((e) => e.type === 'workflow.phase_started' && e.payload.phase === 'summarize')[0]!.sequence).toBeGreaterThan(
      events.filter((e) => e.type === 'workflow.phase_completed' && e.payload.phase !== 'summarize').slice(-1)[0]!.sequence,
    );
  }, 120_000);

  it('runs examples/parallel-fanout with the OpenAI driver when a model endpoint is configured (the fake chat-completions server)', async () => {
    const fake = await FakeOpenAIServer.start();
    try {
      // Every phase is one model turn; the summary's prompt carries the three answers.
      fake.enqueue(...['docs', 'tests', 'changelog', 'summary'].map((n) => streamed({ content: `Did the ${n} part.`, usage: { prompt: 20, completion: 5 } })));
      const demo = demoRepo(join(dir, 'fanout-openai'));
      const objects = exampleObjects('parallel-fanout', demo).map((o) =>
        o.kind === 'Agent' ? { ...o, spec: { driver: 'OpenAI', model: 'fake-model', endpoint: { baseURL: fake.baseURL }, tools: ['ReadFile', 'ListFiles'] } } : o,
      );
      await apply(client, suffixed(objects, '-ai'));
      const wf = await workflowIn(client, 'fanout-demo-ai', 'Completed');
      expect(Object.values(wf.status?.phases ?? {}).map((p) => p.phase)).toEqual(['Succeeded', 'Succeeded', 'Succeeded', 'Succeeded']);
      expect(fake.requests).toHaveLength(4);
      const summaryRequest = fake.requests.at(-1)!.body.messages.map((m) => m.content).join('\n');
      for (const part of ['docs', 'tests', 'changelog']) expect(summaryRequest).toContain(`Did the ${part} part.`);
    } finally {
      await fake.close();
    }
  }, 120_000);

  it('AllSettled: a failed phase skips its dependents, the independent phase still runs, and the workflow fails at the end', async () => {
    const tpl = {
      joinPolicy: 'AllSettled',
      phases: [
        { name: 'broken', type: 'Agent', agent: 'settled-broken', prompt: 'try' },
        { name: 'after', type: 'Agent', agent: 'settled-ok', prompt: 'then', dependsOn: ['broken'] },
        { name: 'other', type: 'Agent', agent: 'settled-ok', prompt: 'meanwhile' },
      ],
    };
    await apply(client, [session('settled'), agent('settled-broken', [{ say: 'trying' }, { fail: 'broken on purpose' }]), agent('settled-ok', [{ say: 'fine' }]), workflow('settled', 'settled', tpl)]);
    const wf = await workflowIn(client, 'settled', 'Failed');
    expect(wf.status?.phases).toMatchObject({
      broken: { phase: 'Failed', attempts: 1, message: 'ScriptFailed: run settled-broken-1 ended Failed: broken on purpose' },
      after: { phase: 'Skipped', attempts: 0, message: 'dependency broken Failed' },
      other: { phase: 'Succeeded', attempts: 1, outputs: { summary: 'fine' } },
    });
    expect(wf.status?.message).toBe('PhaseFailed: phase broken failed, after skipped');
    expect((await runsOf(client, 'settled')).map((r) => r.metadata.name).sort()).toEqual(['settled-broken-1', 'settled-other-1']);
    const events = workflowEvents(await timeline(client, 'settled'), 'settled');
    expect(events.indexOf('phase_skipped:after')).toBeGreaterThan(events.indexOf('phase_failed:broken'));
    expect(events.slice(-1)).toEqual(['failed']);
  }, 60_000);

  it('FailFast: a failed phase cancels its running sibling (SiblingFailure) and fails the workflow', async () => {
    const tpl = {
      phases: [
        { name: 'slow', type: 'Agent', agent: 'ff-slow', prompt: 'take your time' },
        { name: 'broken', type: 'Agent', agent: 'ff-broken', prompt: 'fail' },
      ],
    };
    await apply(client, [session('ff'), agent('ff-slow', [{ say: 'starting' }, { wait: 60 }, { say: 'never' }]), agent('ff-broken', [{ fail: 'broken on purpose' }]), workflow('ff', 'ff', tpl)]);
    const wf = await workflowIn(client, 'ff', 'Failed');
    expect(wf.status?.message).toBe('PhaseFailed: phase broken failed (joinPolicy FailFast)');
    expect(wf.status?.phases?.slow).toMatchObject({ phase: 'Cancelled', message: 'SiblingFailure: phase broken failed (joinPolicy FailFast)' });
    const slow = await eventually(async () => {
      const r = await getRun(client, 'ff-slow-1');
      expect(r.status?.phase).toBe('Canceled');
      return r;
    }, { timeoutMs: 20_000 });
    expect(slow.status?.reason).toBe('Canceled');
    expect(slow.status?.message).toContain('SiblingFailure');
    const cancel = (await client.get('interventions', 'default', 'ff-slow-1-cancel')) as Intervention;
    expect(cancel.spec).toMatchObject({ run: 'ff-slow-1', type: 'Cancel', reason: 'SiblingFailure: phase broken failed (joinPolicy FailFast)' });
    expect(cancel.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Workflow', name: 'ff', controller: true });
    const said = (await timeline(client, 'ff')).filter((e) => e.type === 'assistant.message' && e.run === 'ff-slow-1').map((e) => e.payload.text);
    // Cut short: it never reached its last step (it may not even have started before the cancel).
    expect(said).not.toContain('never');
    expect(workflowEvents(await timeline(client, 'ff'), 'ff').slice(-3)).toEqual(['phase_failed:broken', 'phase_cancelled:slow', 'failed']);
  }, 60_000);

  it('records a workflow deleted while it runs as cancelled; its runs go with it', async () => {
    const tpl = { phases: [{ name: 'slow', type: 'Agent', agent: 'del-slow', prompt: 'take your time' }] };
    await apply(client, [session('del'), agent('del-slow', [{ say: 'starting' }, { wait: 60 }, { say: 'never' }]), workflow('del', 'del', tpl)]);
    await eventually(async () => (await getRun(client, 'del-slow-1')).status?.phase === 'Running', { timeoutMs: 20_000 });
    await client.delete('workflows', 'default', 'del');
    await eventually(async () => {
      await expect(getWorkflow(client, 'del')).rejects.toThrow(/not found/);
      await expect(getRun(client, 'del-slow-1')).rejects.toThrow(/not found/);
      return true;
    }, { timeoutMs: 20_000 });
    expect(workflowEvents(await timeline(client, 'del'), 'del').slice(-2)).toEqual(['phase_cancelled:slow', 'cancelled']);
  }, 60_000);

  it('carries a Human phase answer (`sidekick approve --reason`) and params into a later prompt', async () => {
    const tpl = {
      params: [{ name: 'tone', default: 'warmly' }],
      phases: [
        { name: 'ask', type: 'Human', human: { prompt: 'Which name should the greeting use?' } },
        { name: 'greet', type: 'Agent', agent: 'flow-greeter', dependsOn: ['ask'], prompt: 'Greet {{phases.ask.outputs.answer}} {{params.tone}} (workflow {{workflow.name}})' },
      ],
    };
    await apply(client, [session('flow'), agent('flow-greeter', [{ say: 'greeted' }]), workflow('flow', 'flow', tpl)]);
    const approval = await eventually(async () => {
      const a = (await client.get('approvals', 'default', 'flow-ask-1')) as { spec: Record<string, any>; status?: { phase?: string } };
      expect(a.status?.phase).toBe('Pending');
      return a;
    }, { timeoutMs: 20_000 });
    expect(approval.spec).toMatchObject({ session: 'flow', workflow: 'flow', phase: 'ask', category: 'HumanPhaseContribution', request: { summary: 'Which name should the greeting use?' } });
    expect(approval.spec.request.details).toContain('sidekick approve flow-ask-1 --reason');
    expect((await sidekick(home, ['approve', 'flow-ask-1', '--reason', 'Sidekicks'])).code).toBe(0);
    const wf = await workflowIn(client, 'flow', 'Completed');
    expect(wf.status?.phases?.ask?.outputs).toMatchObject({ answer: 'Sidekicks' });
    expect((await getRun(client, 'flow-greet-1')).spec.prompt).toBe('Greet Sidekicks warmly (workflow flow)');
    const types = (await timeline(client, 'flow')).map((e) => e.type);
    expect(types.indexOf('approval.approved')).toBeLessThan(types.indexOf('workflow.phase_completed'));
  }, 60_000);

  it('fails a workflow whose pinned template was replaced by a different version, starting nothing', async () => {
    const spec = (prompt: string) => ({ joinPolicy: 'FailFast', phases: [{ name: 'a', type: 'Agent', agent: 'pin-agent', prompt }] });
    await apply(client, [session('pin'), agent('pin-agent', [{ say: 'ran' }])]);
    const v1 = (await client.create('workflowtemplates', 'default', { apiVersion: V, kind: 'WorkflowTemplate', metadata: { name: 'pinned' }, spec: spec('version one') })) as { status: { digest: string } };
    await client.create('workflows', 'default', {
      apiVersion: V,
      kind: 'Workflow',
      metadata: { name: 'pin' },
      spec: { session: 'pin', templateRef: { name: 'pinned', digest: v1.status.digest }, suspend: true },
    });
    const suspended = await workflowIn(client, 'pin', 'Suspended', 20_000);
    expect(suspended.status?.templateDigest).toBe(v1.status.digest);
    // Templates are immutable: a new version is a delete and a create under the same name.
    await client.delete('workflowtemplates', 'default', 'pinned');
    const v2 = (await client.create('workflowtemplates', 'default', { apiVersion: V, kind: 'WorkflowTemplate', metadata: { name: 'pinned' }, spec: spec('version two') })) as { status: { digest: string } };
    expect(v2.status.digest).not.toBe(v1.status.digest);
    await client.raw('PATCH', `${GV}/workflows/pin`, { spec: { suspend: false } }, 'application/merge-patch+json');
    const failed = await workflowIn(client, 'pin', 'Failed', 20_000);
    expect(failed.status?.message).toBe(`DigestMismatch: spec.templateRef.digest pins ${v1.status.digest}, but workflowtemplate "pinned" is at ${v2.status.digest}`);
    expect(failed.status?.phases?.a).toMatchObject({ phase: 'Skipped', attempts: 0 });
    expect(await runsOf(client, 'pin')).toEqual([]);
    expect(workflowEvents(await timeline(client, 'pin'), 'pin')).toEqual(['admitted', 'suspended', 'phase_skipped:a', 'failed']);
  }, 60_000);

  it('starts new attempts from a phase when the workflow is annotated sidekicks.dev/retry, then removes the annotation', async () => {
    const tpl = {
      phases: [
        { name: 'flaky', type: 'Agent', agent: 'again-flaky', prompt: 'try' },
        { name: 'after', type: 'Agent', agent: 'again-ok', prompt: 'then', dependsOn: ['flaky'] },
      ],
    };
    await apply(client, [session('again'), agent('again-flaky', [{ fail: 'not yet' }]), agent('again-ok', [{ say: 'done' }]), workflow('again', 'again', tpl)]);
    await workflowIn(client, 'again', 'Failed');
    // Fix what made it fail, then ask for a retry the way `sidekick workflow retry again --from flaky` does.
    await client.raw('PATCH', `${GV}/agents/again-flaky`, { spec: { script: [{ say: 'fixed' }] } }, 'application/merge-patch+json');
    const annotated = await sidekick(home, ['annotate', 'workflow/again', 'sidekicks.dev/retry=flaky']);
    expect(annotated.code).toBe(0);
    const wf = await workflowIn(client, 'again', 'Completed');
    expect(wf.status?.phases).toMatchObject({ flaky: { phase: 'Succeeded', attempts: 2, runs: ['again-flaky-1', 'again-flaky-2'] }, after: { phase: 'Succeeded', attempts: 1 } });
    await eventually(async () => (await getWorkflow(client, 'again')).metadata.annotations?.['sidekicks.dev/retry'] === undefined);
    expect((await runsOf(client, 'again')).map((r) => r.metadata.name).sort()).toEqual(['again-after-1', 'again-flaky-1', 'again-flaky-2']);
    const retried = (await timeline(client, 'again')).find((e) => e.type === 'workflow.phase_retried');
    expect(retried?.payload).toMatchObject({ phase: 'flaky', reason: 'Manual', from: 'flaky' });
  }, 60_000);

  it('runs an Automated phase in a worktree, recorded like a run tool call, with exitCode and output; the next phase builds on its commit', async () => {
    const demo = demoRepo(join(dir, 'auto'));
    const tpl = {
      phases: [
        {
          name: 'build',
          type: 'Automated',
          command: "printf 'built\\n' > build.txt && echo built ok",
          gate: { type: 'QualityChecks', checks: [{ command: 'test -f build.txt' }, { agent: 'auto-reviewer', prompt: 'Review: {{phases.build.outputs.output}}' }], onFailure: 'Stop' },
        },
        { name: 'ship', type: 'Agent', agent: 'auto-shipper', dependsOn: ['build'], prompt: 'Ship ({{phases.build.outputs.exitCode}}): {{phases.build.outputs.output}}' },
      ],
    };
    await apply(client, [
      session('auto'),
      mount('auto-repo', 'auto', demo),
      agent('auto-shipper', [{ tool: 'WriteFile', input: { path: 'SHIP.md', content: 'shipped\n' } }, { say: 'shipped' }]),
      agent('auto-reviewer', [{ tool: 'ReadFile', input: { path: 'build.txt' } }, { say: 'PASS: build.txt is there' }]),
      workflow('auto', 'auto', tpl, { repoMount: 'auto-repo' }),
    ]);
    const wf = await workflowIn(client, 'auto', 'Completed');
    const build = wf.status!.phases!.build!;
    expect(build.outputs).toMatchObject({ exitCode: '0', output: 'built ok\n', branch: 'sidekicks/auto/auto-build-1', diff: '1 file changed, +1 -0' });
    expect(build.gate).toEqual({ state: 'Passed', result: '2 checks passed' });
    // The agent check reviewed the phase's own commit, after the command check passed.
    const review = await getRun(client, 'auto-build-1-check-2');
    expect(review.spec).toMatchObject({ agent: 'auto-reviewer', prompt: 'Review: built ok', baseRef: build.outputs!.headCommit });
    expect(review.status?.summary).toBe('PASS: build.txt is there');
    const ship = await getRun(client, 'auto-ship-1');
    expect(ship.spec.prompt).toBe('Ship (0): built ok');
    expect(ship.spec.baseRef).toBe(build.outputs!.headCommit);
    expect(git(demo, 'show', `${ship.status!.workspace!.branch}:build.txt`)).toBe('built\n');
    expect(git(demo, 'show', `${ship.status!.workspace!.branch}:SHIP.md`)).toBe('shipped\n');

    const events = await timeline(client, 'auto');
    const step = events.filter((e) => e.run === 'auto-build-1').map((e) => e.type);
    expect(step).toEqual(['tool.invoked', 'tool.result', 'diff.created']);
    const invoked = events.find((e) => e.run === 'auto-build-1' && e.type === 'tool.invoked')!;
    expect(invoked.payload).toMatchObject({ tool: 'RunCommand', input: { command: "printf 'built\\n' > build.txt && echo built ok" } });
    expect(events.find((e) => e.run === 'auto-build-1' && e.type === 'tool.result')!.payload).toMatchObject({ ok: true, exitCode: 0, output: 'built ok\n' });
    expect(events.filter((e) => e.run === 'auto-build-1-check-1').map((e) => e.type)).toEqual(['tool.invoked', 'tool.result']);
    // Step worktrees are retired when the step ends; the runs' own follow their mount's policy.
    const worktrees = git(demo, 'worktree', 'list');
    expect(worktrees).not.toContain('[sidekicks/auto/auto-build-1]');
    expect(worktrees).not.toContain('auto-build-1-check-1');
    expect(worktrees).toContain('[sidekicks/auto/auto-ship-1]');
  }, 60_000);
});

describe('workflow crash recovery (kill -9 of the daemon process)', () => {
  const d = daemonProcessFixture('sidekick-workflow-crash-');

  it('finishes a workflow after kill -9 in the middle of a phase, starting no phase attempt twice', async () => {
    const home = join(d.dir, 'home');
    const demo = demoRepo(d.dir);
    d.child = await startDaemonProcess(home);
    const client = new SocketApi(sidekickHome(home).socket);
    const tpl = {
      phases: [
        { name: 'first', type: 'Agent', agent: 'crash-slow', prompt: 'write a' },
        { name: 'second', type: 'Agent', agent: 'crash-quick', prompt: 'write b after {{phases.first.outputs.summary}}', dependsOn: ['first'] },
        { name: 'verify', type: 'Automated', command: 'test -f a.txt && test -f b.txt && echo both', dependsOn: ['second'] },
      ],
    };
    await apply(client, [
      session('crash'),
      mount('crash-repo', 'crash', demo),
      agent('crash-slow', [{ tool: 'WriteFile', input: { path: 'a.txt', content: 'a\n' } }, { think: 'a.txt is written' }, { wait: 2 }, { say: 'a written' }]),
      agent('crash-quick', [{ tool: 'WriteFile', input: { path: 'b.txt', content: 'b\n' } }, { say: 'b written' }]),
      workflow('crash', 'crash', tpl, { repoMount: 'crash-repo' }),
    ]);
    // Kill it while the first phase's run is in the middle of its work: in the wait after a.txt (the
    // thought after it is journalled once the checkpoint that follows a.txt is saved).
    await nextEvent(client, 'crash', { types: ['assistant.thinking'], run: 'crash-first-1' });
    await stopDaemonProcess(d.child, 'SIGKILL');

    d.child = await startDaemonProcess(home);
    const client2 = new SocketApi(sidekickHome(home).socket);
    const wf = await workflowIn(client2, 'crash', 'Completed');
    expect(Object.fromEntries(Object.entries(wf.status!.phases!).map(([n, p]) => [n, `${p.phase}#${p.attempts}`]))).toEqual({ first: 'Succeeded#1', second: 'Succeeded#1', verify: 'Succeeded#1' });
    expect(wf.status?.phases?.verify?.outputs).toMatchObject({ exitCode: '0', output: 'both\n' });
    expect((await runsOf(client2, 'crash')).map((r) => r.metadata.name).sort()).toEqual(['crash-first-1', 'crash-second-1']);
    expect((await getRun(client2, 'crash-second-1')).spec.prompt).toBe('write b after a written');

    const events = await timeline(client2, 'crash');
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    expect(events.some((e) => e.type === 'run.recovered' && e.run === 'crash-first-1')).toBe(true);
    expect(workflowEvents(events, 'crash').filter((e) => e === 'admitted' || e.startsWith('phase_started'))).toEqual(['admitted', 'phase_started:first', 'phase_started:second', 'phase_started:verify']);
    expect(events.filter((e) => e.type === 'tool.invoked' && e.run === 'crash-verify-1')).toHaveLength(1);
    const verify = (await client2.raw('GET', `${GV}/sessions/crash/verify`)) as { ok: boolean };
    expect(verify.ok).toBe(true);
    await stopDaemonProcess(d.child, 'SIGTERM');
  }, 90_000);

  it('does not run an Automated command again that was running at kill -9: recorded as skipped, the attempt fails RecoveryNeeded', async () => {
    const home = join(d.dir, 'home-step');
    const demo = demoRepo(join(d.dir, 'step'));
    const log = join(d.dir, 'step-runs.log');
    d.child = await startDaemonProcess(home);
    const client = new SocketApi(sidekickHome(home).socket);
    const command = `echo started >> ${log}; sleep 5; echo finished >> ${log}`;
    await apply(client, [session('stepcrash'), mount('stepcrash-repo', 'stepcrash', demo), workflow('stepcrash', 'stepcrash', { phases: [{ name: 'long', type: 'Automated', command }] }, { repoMount: 'stepcrash-repo' })]);
    // Kill while the command runs: it is invoked, and it has written its first line.
    await nextEvent(client, 'stepcrash', { types: ['tool.invoked'], run: 'stepcrash-long-1' });
    await eventually(() => existsSync(log), { timeoutMs: 20_000 });
    await stopDaemonProcess(d.child, 'SIGKILL');

    d.child = await startDaemonProcess(home);
    const client2 = new SocketApi(sidekickHome(home).socket);
    const wf = await workflowIn(client2, 'stepcrash', 'Failed');
    expect(wf.status?.phases?.long).toMatchObject({ phase: 'Failed', attempts: 1 });
    expect(wf.status?.phases?.long?.message).toBe('RecoveryNeeded: not run again: the daemon stopped while the command ran, so its result is unknown');
    const step = (await timeline(client2, 'stepcrash')).filter((e) => e.run === 'stepcrash-long-1').map((e) => e.type);
    expect(step).toEqual(['tool.invoked', 'tool.skipped_during_recovery', 'tool.error']);
    // Started once, before the kill; never again. Its worktree is retired all the same.
    expect(readFileSync(log, 'utf8').split('\n').filter((l) => l === 'started')).toHaveLength(1);
    expect(git(demo, 'worktree', 'list').trim().split('\n')).toHaveLength(1);
    await stopDaemonProcess(d.child, 'SIGTERM');
  }, 90_000);
});
