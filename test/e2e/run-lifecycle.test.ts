/**
 * End to end, the README tour as a new user meets it, against the in-process daemon (real git,
 * real SQLite, the CLI in-process): a run whose mount path does not exist yet waits Queued and
 * says why (`get runs` REASON, `describe`, a Warning Event) and starts by itself once the path is
 * a repository; deleting it says its branch is kept, applying it again works on the next free
 * branch name, and `delete --delete-branch` takes the branch with the run; `cancel` ends a run
 * Canceled.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { join } from 'node:path';
import { eventually } from '../eventually.js';
import { applyAll, demoRepo, git, helloObjects, runInPhase, runPhase, sidekick, SocketApi, startInProcessDaemon } from './support.js';

/** The rows of `sidekick get runs`, each as its column → value. */
async function runRows(home: string): Promise<Record<string, string>[]> {
  const out = await sidekick(home, ['get', 'runs']);
  expect(out.code).toBe(0);
  const [header, ...lines] = out.stdout.trimEnd().split('\n');
  const columns = header!.split(/\s{2,}/);
  return lines.map((line) => Object.fromEntries(line.split(/\s{2,}/).map((v, i) => [columns[i], v])));
}

describe('the run lifecycle a new user meets', () => {
  let dir: string;
  let home: string;
  let client: SocketApi;
  let stop: () => Promise<void>;

  beforeAll(async () => ({ dir, home, client, stop } = await startInProcessDaemon('sidekick-lifecycle-')));
  afterAll(() => stop());

  it('waits RepoMountNotReady while the mount path is missing, says so, and starts once the path is a repository', async () => {
    const demo = join(dir, 'demo');
    await applyAll(client, helloObjects(demo));
    const waiting = await eventually(async () => {
      const r = await runPhase(client, 'hello');
      expect([r.status?.phase, r.status?.reason]).toEqual(['Queued', 'RepoMountNotReady']);
      return r;
    }, { timeoutMs: 20_000 });
    expect(waiting.status?.message).toBe(`repomount/demo: mount path ${demo} does not exist`);
    expect(waiting.status?.conditions?.find((c) => c.type === 'Admitted')).toMatchObject({ status: 'False', reason: 'RepoMountNotReady' });

    const [row] = await runRows(home);
    expect(row).toMatchObject({ NAME: 'hello', PHASE: 'Queued', REASON: 'RepoMountNotReady' });
    const described = await sidekick(home, ['describe', 'run', 'hello']);
    expect(described.stdout).toMatch(/Reason:\s+RepoMountNotReady/);
    expect(described.stdout).toContain(`repomount/demo: mount path ${demo} does not exist`);
    // One Warning, for what the user must fix (the session applied after the run is not one).
    expect(described.stdout.match(/Warning\s+\S+/g)).toEqual([expect.stringMatching(/^Warning\s+RepoMountNotReady$/)]);

    // Fixing the cause is all it takes: nobody touches the run.
    demoRepo(dir);
    const done = await runInPhase(client, 'hello', 'Completed', 30_000);
    expect([done.status?.reason, done.status?.workspace?.branch]).toEqual([undefined, 'sidekicks/hello/hello']);
    const [completed] = await runRows(home);
    expect(completed).toMatchObject({ NAME: 'hello', PHASE: 'Completed' });
    expect(completed!.REASON ?? '').not.toContain('NotReady');
  }, 90_000);

  it('says a deleted run keeps its branch, and a run applied again under the name works on the next free branch', async () => {
    const demo = join(dir, 'demo');
    const deleted = await sidekick(home, ['delete', 'run', 'hello']);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toBe(`run.sidekicks.dev "hello" deleted (branch sidekicks/hello/hello kept: git -C ${git(demo, 'rev-parse', '--show-toplevel').trim()} branch -D sidekicks/hello/hello removes it)\n`);
    const first = git(demo, 'rev-parse', 'sidekicks/hello/hello').trim();

    await applyAll(client, helloObjects(demo).filter((o) => o.kind === 'Run'));
    const again = await runInPhase(client, 'hello', 'Completed', 30_000);
    expect(again.status?.workspace?.branch).toBe('sidekicks/hello/hello-2');
    // The earlier run's work is untouched; the new one has its own commit with its own trailers.
    expect(git(demo, 'rev-parse', 'sidekicks/hello/hello').trim()).toBe(first);
    expect(git(demo, 'log', '-1', '--format=%B', 'sidekicks/hello/hello-2')).toContain(`Agent-Run: ${again.metadata.uid}`);
    const described = await sidekick(home, ['describe', 'run', 'hello']);
    expect(described.stdout).toMatch(/Normal\s+BranchTaken\s+.*branch sidekicks\/hello\/hello exists \(left by an earlier run\): this run commits to sidekicks\/hello\/hello-2/);

    // --delete-branch: the run's finalizer deletes its branch (only its own work is on it); the
    // earlier run's branch stays. The CLI waits until the run is gone, so the branch is gone too.
    const both = await sidekick(home, ['delete', 'run', 'hello', '--delete-branch']);
    expect([both.code, both.stdout]).toEqual([0, 'run.sidekicks.dev "hello" deleted (branch sidekicks/hello/hello-2 deleted with it)\n']);
    expect(git(demo, 'branch', '--list', 'sidekicks/hello/*').trim().split('\n').map((b) => b.trim())).toEqual(['sidekicks/hello/hello']);
  }, 90_000);

  it('a run behind a full session says what it waits for now: its mount, then a slot', async () => {
    const busy = join(dir, 'busy', 'demo');
    await applyAll(client, [
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name: 'busy' }, spec: { limits: { maxActiveRuns: 1 } } },
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Agent', metadata: { name: 'holder' }, spec: { driver: 'Scripted', script: [{ say: 'holding' }, { wait: 60 }] } },
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Agent', metadata: { name: 'quick' }, spec: { driver: 'Scripted', script: [{ say: 'done' }] } },
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'RepoMount', metadata: { name: 'busy' }, spec: { session: 'busy', path: busy } },
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name: 'holder' }, spec: { session: 'busy', agent: 'holder', prompt: 'hold the slot' } },
    ]);
    await runInPhase(client, 'holder', 'Running', 20_000);
    // A run waiting for the slot is at the front of the queue; the one waiting for the mount behind it.
    await applyAll(client, [{ apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name: 'ahead' }, spec: { session: 'busy', agent: 'quick', prompt: 'go' } }]);
    await eventually(async () => (await runPhase(client, 'ahead')).status?.reason === 'QueueFull', { timeoutMs: 20_000 });
    await applyAll(client, [{ apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name: 'behind' }, spec: { session: 'busy', agent: 'quick', repoMount: 'busy', prompt: 'go' } }]);
    await eventually(async () => (await runPhase(client, 'behind')).status?.reason === 'RepoMountNotReady', { timeoutMs: 20_000 });

    demoRepo(join(dir, 'busy'));
    const queued = await eventually(async () => {
      const r = await runPhase(client, 'behind');
      expect([r.status?.phase, r.status?.reason]).toEqual(['Queued', 'QueueFull']);
      return r;
    }, { timeoutMs: 20_000 });
    expect(queued.status?.message).toBe('session busy has no free slot: all 1 (limits.maxActiveRuns) are taken');
    expect((await sidekick(home, ['cancel', 'run/holder'])).code).toBe(0);
    await runInPhase(client, 'ahead', 'Completed', 30_000);
    await runInPhase(client, 'behind', 'Completed', 30_000);
  }, 90_000);

  it('cancel ends a run Canceled, for good', async () => {
    await applyAll(client, [
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Agent', metadata: { name: 'slow' }, spec: { driver: 'Scripted', script: [{ say: 'starting' }, { wait: 60 }] } },
      { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name: 'slow' }, spec: { session: 'hello', agent: 'slow', prompt: 'take your time' } },
    ]);
    await runInPhase(client, 'slow', 'Running', 20_000);
    const out = await sidekick(home, ['cancel', 'run/slow']);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('(Applied: the run was canceled: it ended Canceled)');
    const run = await runPhase(client, 'slow');
    expect([run.status?.phase, run.status?.reason]).toEqual(['Canceled', 'Canceled']);
    expect((await runRows(home)).find((r) => r.NAME === 'slow')).toMatchObject({ PHASE: 'Canceled', REASON: 'Canceled' });
    const resumed = await sidekick(home, ['resume', 'run/slow']);
    expect([resumed.code, resumed.stderr]).toEqual([1, 'error: run/slow is Canceled: nothing to resume\n']);
  }, 60_000);
});
