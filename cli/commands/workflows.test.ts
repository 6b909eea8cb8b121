/**
 * `sidekick submit`, `get workflow NAME` (the phase tree), `workflow retry|stop|resume` against a
 * real daemon with controllers off: these verbs write the spec and annotations the workflow
 * controller acts on, and read the status it writes (set here through the status subresource).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { stringify } from 'yaml';
import { startHarness, type CliHarness } from '../../test/support/cli-harness.js';
import { RETRY_ANNOTATION, WORKFLOWS } from '../workflows/refs.js';
import type { Workflow } from '../../resources/kinds/workflow.js';

let h: CliHarness;
const V = 'sidekicks.dev/v1alpha1';

const objects = [
  { apiVersion: V, kind: 'Session', metadata: { name: 'team' }, spec: {} },
  { apiVersion: V, kind: 'RepoMount', metadata: { name: 'repo' }, spec: { session: 'team', path: '/tmp/sidekick-workflows-test-repo' } },
  { apiVersion: V, kind: 'Agent', metadata: { name: 'planner' }, spec: { driver: 'Scripted', script: [{ say: 'plan' }] } },
  { apiVersion: V, kind: 'Agent', metadata: { name: 'coder' }, spec: { driver: 'Scripted', script: [{ say: 'code' }] } },
  {
    apiVersion: V,
    kind: 'WorkflowTemplate',
    metadata: { name: 'review' },
    spec: {
      params: [{ name: 'issue' }],
      phases: [
        { name: 'plan', type: 'Agent', agent: 'planner', prompt: 'Plan issue {{params.issue}}' },
        {
          name: 'implement',
          type: 'Agent',
          agent: 'coder',
          prompt: 'Do {{phases.plan.outputs.summary}}',
          dependsOn: ['plan'],
          gate: { type: 'QualityChecks', checks: [{ command: 'npm test' }], onFailure: 'GoBackTo', goBackTo: 'implement' },
          retries: 2,
        },
        { name: 'approve', type: 'Human', human: { prompt: 'Ship it?' }, dependsOn: ['implement'] },
      ],
    },
  },
];

beforeAll(async () => {
  h = await startHarness();
  const r = await h.sk(['apply', '-f', '-'], { stdin: objects.map((o) => stringify(o)).join('---\n') });
  expect(r).toMatchObject({ code: 0, stderr: '' });
});

afterAll(async () => {
  await h?.close();
});

async function submitted(argv: string[]): Promise<string> {
  const r = await h.sk(['submit', '--from', 'workflowtemplate/review', ...argv]);
  expect(r).toMatchObject({ code: 0, stderr: '' });
  const m = /^workflow\.sidekicks\.dev\/(review-\S+|\S+) created\n$/.exec(r.stdout);
  expect(m).not.toBeNull();
  return m![1]!;
}

describe('submit', () => {
  test('creates a workflow from the template in the only session, with the parameters', async () => {
    const name = await submitted(['-p', 'issue=142']);
    expect(name).toMatch(/^review-[a-z0-9]{5}$/);
    const wf = await h.client.get<Workflow>(WORKFLOWS, 'default', name);
    // The repo mount is the session's only one, filled in by the server.
    expect(wf.spec).toMatchObject({ session: 'team', templateRef: { name: 'review' }, params: { issue: '142' }, repoMount: 'repo', suspend: false });
  });

  test('refuses a parameter the template does not declare, and a missing one, naming its parameters', async () => {
    const unknown = await h.sk(['submit', '--from', 'workflowtemplate/review', '-p', 'issue=1', '-p', 'ticket=9']);
    expect(unknown).toMatchObject({ code: 1, stdout: '', stderr: 'error: workflowtemplate/review has no parameter "ticket" (parameters: issue)\n' });
    const missing = await h.sk(['submit', '--from', 'workflowtemplate/review']);
    expect(missing).toMatchObject({ code: 1, stdout: '', stderr: 'error: workflowtemplate/review needs -p issue=VALUE (parameters: issue)\n' });
  });

  test('takes --name and --session, and refuses a malformed parameter or template reference', async () => {
    expect(await submitted(['--name', 'review-142', '--session', 'team', '-p', 'issue=142'])).toBe('review-142');
    const bad = await h.sk(['submit', '--from', 'workflowtemplate/review', '-p', 'issue']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('-p must be name=value, got "issue"');
    const noKind = await h.sk(['submit', '--from', 'review']);
    expect(noKind.stderr).toContain('--from must be workflowtemplate/NAME, got "review"');
    const missing = await h.sk(['submit', '--from', 'wft/nope', '-p', 'issue=1']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('"nope" not found');
  });
});

describe('get workflow NAME', () => {
  test('prints the phase tree in dependency order with attempts, gate results and what waits for a person', async () => {
    const name = await submitted(['--name', 'tree', '-p', 'issue=7']);
    const wf = await h.client.get<Workflow>(WORKFLOWS, 'default', name);
    const status: Workflow['status'] = {
      phase: 'Running',
      startedAt: '2026-11-23T10:00:00Z',
      phases: {
        plan: { phase: 'Succeeded', attempts: 1, startedAt: '2026-11-23T10:00:00Z', finishedAt: '2026-11-23T10:01:00Z', outputs: { summary: 'a plan' } },
        implement: {
          phase: 'Running',
          attempts: 2,
          startedAt: '2026-11-23T10:03:00Z',
          gate: { state: 'Failed', result: '1 of 1 checks failed: npm test (exit 1)' },
          outputs: { branch: 'sidekicks/team/tree-implement-1' },
        },
        approve: { phase: 'Pending' },
      },
    };
    await h.client.updateStatus(WORKFLOWS, 'default', { ...wf, status });
    const r = await h.sk(['get', 'workflow', name]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+PHASE\s+DURATION\s+MESSAGE$/);
    expect(lines[1]).toMatch(/^tree\s+Running\s+\S+/);
    expect(lines[2]).toMatch(/^├─ ✔ plan\s+Agent\s+planner\s+60s$/);
    expect(lines[3]).toMatch(/^├─ ● implement #2\s+Agent\s+coder\s+\S+\s+sidekicks\/team\/tree-implement-1$/);
    expect(lines[4]).toMatch(/^│  └─ ✖ gate\s+QualityChecks\s+npm test\s+1 of 1 checks failed: npm test \(exit 1\) → GoBackTo implement$/);
    expect(lines[5]).toMatch(/^└─ ○ approve\s+Human$/);
    expect(lines).toHaveLength(6);
  });

  test('a missing workflow is reported like kubectl', async () => {
    const r = await h.sk(['get', 'workflow', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('workflows.sidekicks.dev "nope" not found');
  });
});

describe('workflow retry / stop / resume', () => {
  test('retry marks the workflow for new attempts, from a phase with --from; refuses what cannot be retried', async () => {
    const name = await submitted(['--name', 'again', '-p', 'issue=9']);
    const notFailed = await h.sk(['workflow', 'retry', name]);
    expect(notFailed.code).toBe(1);
    expect(notFailed.stderr).toContain('has not failed (Pending); use --from PHASE');
    const unknown = await h.sk(['workflow', 'retry', name, '--from', 'deploy']);
    expect(unknown.stderr).toContain('has no phase "deploy"');

    const wf = await h.client.get<Workflow>(WORKFLOWS, 'default', name);
    await h.client.updateStatus(WORKFLOWS, 'default', { ...wf, status: { phase: 'Failed', phases: { plan: { phase: 'Succeeded' }, implement: { phase: 'Failed' } } } });
    expect(await h.sk(['workflow', 'retry', `workflow/${name}`])).toMatchObject({ code: 0, stdout: `workflow.sidekicks.dev/${name} retried\n` });
    expect((await h.client.get<Workflow>(WORKFLOWS, 'default', name)).metadata.annotations?.[RETRY_ANNOTATION]).toBe('*');
    expect(await h.sk(['workflow', 'retry', name, '--from', 'plan'])).toMatchObject({ code: 0, stdout: `workflow.sidekicks.dev/${name} retried from plan\n` });
    expect((await h.client.get<Workflow>(WORKFLOWS, 'default', name)).metadata.annotations?.[RETRY_ANNOTATION]).toBe('plan');
  });

  test('stop and resume set spec.suspend, and refuse to repeat themselves', async () => {
    const name = await submitted(['--name', 'pausing', '-p', 'issue=3']);
    expect(await h.sk(['workflow', 'stop', name])).toMatchObject({ code: 0, stdout: `workflow.sidekicks.dev/${name} stopped\n` });
    expect((await h.client.get<Workflow>(WORKFLOWS, 'default', name)).spec.suspend).toBe(true);
    expect((await h.sk(['workflow', 'stop', name])).stderr).toContain('is already stopped');
    expect(await h.sk(['workflow', 'resume', `wf/${name}`])).toMatchObject({ code: 0, stdout: `workflow.sidekicks.dev/${name} resumed\n` });
    expect((await h.client.get<Workflow>(WORKFLOWS, 'default', name)).spec.suspend).toBe(false);
    expect((await h.sk(['workflow', 'resume', name])).stderr).toContain('is not stopped');
  });
});

describe('submit with several sessions', () => {
  const session = (name: string) => ({ apiVersion: V, kind: 'Session', metadata: { name }, spec: {} });
  const channel = (name: string, sessionName: string) => ({ apiVersion: V, kind: 'Channel', metadata: { name }, spec: { session: sessionName, agents: ['planner'] } });
  beforeAll(async () => {
    const more = [session('bare'), session('talk'), channel('talk-room', 'talk')];
    expect(await h.sk(['apply', '-f', '-'], { stdin: more.map((o) => stringify(o)).join('---\n') })).toMatchObject({ code: 0, stderr: '' });
  });

  test("picks the session of the namespace's only RepoMount", async () => {
    const wf = await h.client.get<Workflow>(WORKFLOWS, 'default', await submitted(['-p', 'issue=5']));
    expect(wf.spec).toMatchObject({ session: 'team', repoMount: 'repo' });
  });

  test("picks the session of the template's channel", async () => {
    const template = {
      apiVersion: V,
      kind: 'WorkflowTemplate',
      metadata: { name: 'discuss' },
      spec: { phases: [{ name: 'talk', type: 'MultiAgent', channel: 'talk-room', prompt: 'Discuss' }] },
    };
    expect(await h.sk(['apply', '-f', '-'], { stdin: stringify(template) })).toMatchObject({ code: 0, stderr: '' });
    const r = await h.sk(['submit', '--from', 'wft/discuss']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const name = /^workflow\.sidekicks\.dev\/(discuss-\S+) created\n$/.exec(r.stdout)![1]!;
    const wf = await h.client.get<Workflow>(WORKFLOWS, 'default', name);
    expect(wf.spec.session).toBe('talk');
    expect(wf.spec.repoMount).toBeUndefined();
  });

  test('refuses to guess, listing the sessions', async () => {
    const second = { apiVersion: V, kind: 'RepoMount', metadata: { name: 'talk-repo' }, spec: { session: 'talk', path: '/tmp/sidekick-workflows-test-repo' } };
    expect(await h.sk(['apply', '-f', '-'], { stdin: stringify(second) })).toMatchObject({ code: 0, stderr: '' });
    const r = await h.sk(['submit', '--from', 'workflowtemplate/review', '-p', 'issue=5']);
    expect(r).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'error: namespace default has 3 sessions (bare, talk, team) and workflowtemplate/review names none; choose one with --session\n',
    });
  });

  test('refuses a session without a repository for a template that works in one, in one line naming spec.repoMount', async () => {
    const r = await h.sk(['submit', '--from', 'workflowtemplate/review', '--session', 'bare', '-p', 'issue=5']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'The Workflow "review-" is invalid: spec.repoMount: Required value: workflowtemplate/review has phases that work in a repository (implement); session bare has no RepoMount\n',
    );
    const names = (await h.client.list<Workflow>(WORKFLOWS, { namespace: 'default' })).items.map((w) => w.spec.session);
    expect(names).not.toContain('bare');
  });
});
