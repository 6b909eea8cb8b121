/**
 * The README's "Workflows and channels" block, run as written after `sidekick apply -f
 * examples/review-workflow/`, next to the quickstart's session (two sessions, two RepoMounts, as a
 * user following the tour has): submit from the template with `-p issue=142`, the phase tree,
 * `workflow retry --from implement`, `workflow stop|resume`, a post to the channel and its logs.
 * The example is copied with its RepoMount pointed at a throwaway demo repository.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Approval } from '../../resources/kinds/approval.js';
import type { Workflow } from '../../resources/kinds/workflow.js';
import { eventually } from '../eventually.js';
import { startCli } from '../support/cli.js';
import { applyAll, demoRepo, helloObjects, repo, sidekick, startInProcessDaemon, type SocketApi } from './support.js';

describe('the README workflow block', () => {
  let dir: string;
  let home: string;
  let client: SocketApi;
  let stop: () => Promise<void>;
  beforeAll(async () => ({ dir, home, client, stop } = await startInProcessDaemon('sidekick-readme-workflow-')));
  afterAll(() => stop());

  const workflow = async (name: string): Promise<Workflow> => (await client.get('workflows', 'default', name)) as Workflow;

  it('submits from workflowtemplate/review with -p issue=142, shows the phase tree, retries, stops and resumes it', async () => {
    // The quickstart's session and repo mount come first, as in the tour.
    await applyAll(client, helloObjects(demoRepo(join(dir, 'hello'))));
    const demo = demoRepo(join(dir, 'review'));
    const example = join(dir, 'examples', 'review-workflow');
    cpSync(join(repo, 'examples', 'review-workflow'), example, { recursive: true });
    const mountFile = join(example, 'repomount.yaml');
    writeFileSync(mountFile, readFileSync(mountFile, 'utf8').replace(/^  path: .*$/m, `  path: ${demo}`));
    expect(await sidekick(home, ['apply', '-f', `${example}/`])).toMatchObject({ code: 0, stderr: '' });

    const submitted = await sidekick(home, ['submit', '--from', 'workflowtemplate/review', '-p', 'issue=142']);
    expect(submitted).toMatchObject({ code: 0, stderr: '' });
    const name = /^workflow\.sidekicks\.dev\/(review-[a-z0-9]{5}) created\n$/.exec(submitted.stdout)?.[1];
    expect(name).toBeDefined();
    const wf = await workflow(name!);
    // The session of the template's channel, and that session's only RepoMount.
    expect(wf.spec).toMatchObject({ session: 'review', repoMount: 'review-demo', params: { issue: '142' } });

    // It runs up to the review's HumanApproval gate; the tree shows every phase.
    const gate = `${name}-review-1-gate`;
    await eventually(async () => ((await client.get('approvals', 'default', gate)) as Approval).status?.phase === 'Pending', { timeoutMs: 90_000 });
    const tree = await sidekick(home, ['get', 'workflow', name!]);
    expect(tree).toMatchObject({ code: 0, stderr: '' });
    expect(tree.stdout).toMatch(new RegExp(`^${name}\\s+Running\\s`, 'm'));
    expect(tree.stdout).toMatch(/^├─ ✔ plan\s+Agent\s+planner\s/m);
    expect(tree.stdout).toMatch(/^├─ ✔ implement #2\s+Agent\s+implementer\s/m);
    expect(tree.stdout).toMatch(/^└─ ● review\s+MultiAgent\s/m);
    const plan = (await client.get('runs', 'default', `${name}-plan-1`)) as { spec: { prompt: string } };
    expect(plan.spec.prompt).toBe('Plan the change for issue 142: make the greeting say "Hello, reviewed".');

    // retry --from implement: a new attempt of implement (and of review after it).
    expect(await sidekick(home, ['workflow', 'retry', name!, '--from', 'implement'])).toMatchObject({ code: 0, stdout: `workflow.sidekicks.dev/${name} retried from implement\n`, stderr: '' });
    await eventually(async () => {
      const w = await workflow(name!);
      if (w.metadata.annotations?.['sidekicks.dev/retry'] !== undefined || (w.status?.phases?.implement?.attempts ?? 0) < 3) throw new Error(`implement at ${w.status?.phases?.implement?.attempts} attempts`);
      return w;
    }, { timeoutMs: 60_000 });

    expect(await sidekick(home, ['workflow', 'stop', name!])).toMatchObject({ code: 0, stdout: `workflow.sidekicks.dev/${name} stopped\n`, stderr: '' });
    expect((await workflow(name!)).spec.suspend).toBe(true);
    expect(await sidekick(home, ['workflow', 'resume', name!])).toMatchObject({ code: 0, stdout: `workflow.sidekicks.dev/${name} resumed\n`, stderr: '' });
    expect((await workflow(name!)).spec.suspend).toBe(false);
    await eventually(async () => {
      const phase = (await workflow(name!)).status?.phase;
      if (phase === 'Suspended' || phase === 'Pending') throw new Error(`workflow is ${phase}`);
      return phase;
    }, { timeoutMs: 30_000 });

    // The channel line of the block: a post to review-room shows in its logs.
    expect(await sidekick(home, ['post', 'channel/review-room', '-m', 'check the error path too'])).toMatchObject({ code: 0, stderr: '' });
    const logs = startCli(home, ['logs', 'channel/review-room', '-f']);
    await eventually(() => {
      if (!logs.output().includes('check the error path too')) throw new Error(`logs so far: ${logs.output()}${logs.errors()}`);
      return true;
    });
    expect((await logs.stop()).code).toBe(0);
  }, 180_000);
});
