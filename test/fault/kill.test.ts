/**
 * kill -9 of a `sidekick daemon run` process at seeded random points while Scripted runs call
 * tools, wait on approvals and get approved, and a workflow (examples/parallel-fanout) fans out,
 * each followed by a restart; at least 20 kill points, each while
 * some run is still working (a new run is started whenever all have finished). After the last
 * restart has settled: every run is Completed or Failed with a reason, no command's side effect
 * (a line appended to a file in the worktree) happened twice, `sidekick timeline verify` passes,
 * no worktree is left without its run and no process of a killed daemon is left behind.
 * FAULT_SEED replays a run; the seed is printed.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sidekickHome } from '../../api/home.js';
import { eventually } from '../eventually.js';
import { demoRepo, exampleObjects, GV, SocketApi, startDaemonProcess, stopDaemonProcess } from '../e2e/support.js';
import { approvePending, faultSeed, leakedWorktrees, lineCounts, listRuns, prng, strayProcesses, TERMINAL, timelineFailures, unsettled } from './support.js';

const KILLS = Number(process.env.FAULT_KILLS ?? 20);
const seed = faultSeed();

/** A run whose agent appends one line per command to side.log: an allowed one, then one that needs approval. */
function runObjects(name: string): Record<string, unknown>[] {
  const allowed = `echo ${name}-allowed >> side.log`;
  const approved = `echo ${name}-approved >> side.log`;
  return [
    {
      apiVersion: 'sidekicks.dev/v1alpha1',
      kind: 'Agent',
      metadata: { name },
      spec: {
        driver: 'Scripted',
        tools: ['RunCommand', 'WriteFile'],
        script: [
          { say: 'starting' },
          { tool: 'RunCommand', input: { command: allowed } },
          { wait: 0.3 },
          { tool: 'RunCommand', input: { command: approved } },
          { tool: 'WriteFile', input: { path: 'done.txt', content: `${name}\n` } },
          { say: 'finished' },
        ],
      },
    },
    {
      apiVersion: 'sidekicks.dev/v1alpha1',
      kind: 'ApprovalPolicy',
      metadata: { name },
      spec: { session: 'hello', rules: [{ category: 'ToolExecution', match: { tool: 'RunCommand', command: allowed }, action: 'Allow' }] },
    },
    { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name }, spec: { session: 'hello', agent: name, repoMount: 'demo', prompt: 'append and finish' } },
  ];
}

const PLURAL: Record<string, string> = {
  Session: 'sessions',
  RepoMount: 'repomounts',
  Agent: 'agents',
  ApprovalPolicy: 'approvalpolicies',
  Run: 'runs',
  WorkflowTemplate: 'workflowtemplates',
  Workflow: 'workflows',
};

interface WorkflowObject {
  metadata: { name: string };
  status?: { phase?: string; message?: string };
}

/** Creates objects, tolerating AlreadyExists (a create whose answer was lost to a kill may have landed). */
async function createAll(client: SocketApi, objects: Record<string, unknown>[]): Promise<void> {
  for (const o of objects) {
    try {
      await client.create(PLURAL[o.kind as string]!, 'default', o);
    } catch (err) {
      if ((err as { reason?: string }).reason !== 'AlreadyExists') throw err;
    }
  }
}

describe(`kill -9 of the daemon at ${KILLS} random points during runs, approvals and a workflow`, () => {
  let dir: string;
  let home: string;
  let demo: string;
  let child: ChildProcess | undefined;
  const killedPids: number[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sidekick-fault-kill-'));
    home = join(dir, 'home');
    demo = demoRepo(dir);
  });
  afterAll(async () => {
    await stopDaemonProcess(child);
    rmSync(dir, { recursive: true, force: true });
  });

  it(`every run settles, no side effect twice, timelines verify, nothing leaks (seed printed on failure)`, async () => {
    const rng = prng(seed);
    const context = `FAULT_SEED=${seed}`;
    child = await startDaemonProcess(home);
    let client = new SocketApi(sidekickHome(home).socket);
    const base = exampleObjects('hello', demo).filter((o) => o.kind === 'Session' || o.kind === 'RepoMount');
    await createAll(client, base);
    // A workflow (examples/parallel-fanout: three Scripted phases, then a join) in its own session.
    await createAll(client, exampleObjects('parallel-fanout', demo));
    let started = 0;
    const startRun = (): Promise<void> => createAll(client, runObjects(`r${started++}`));
    await startRun();

    const killsDuringWork: string[] = [];
    let childrenSeen = 0;
    for (let k = 0; k < KILLS; k++) {
      const runs = await listRuns(client);
      if (runs.every((r) => TERMINAL.has(r.status?.phase ?? ''))) await startRun();
      if (rng.next() < 0.5) await approvePending(client);
      const delay = rng.between(50, 1200);
      await new Promise((r) => setTimeout(r, delay));
      const at = (await listRuns(client).catch(() => [])).map((r) => `${r.metadata.name}:${r.status?.phase ?? '-'}`).join(' ');
      killsDuringWork.push(`kill ${k + 1} after ${delay} ms: ${at}`);
      // The daemon's own drivers and commands, which the leak check must be able to see.
      childrenSeen = Math.max(childrenSeen, strayProcesses(dir, [child.pid!]).length);
      killedPids.push(child.pid!);
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      child = await startDaemonProcess(home);
      client = new SocketApi(sidekickHome(home).socket);
    }

    const report = [`${context}`, ...killsDuringWork].join('\n');
    // Settle: approvals decided as they come, until every run has ended.
    let runs = await eventually(async () => {
      await approvePending(client);
      const all = await listRuns(client);
      const open = all.filter((r) => !TERMINAL.has(r.status?.phase ?? ''));
      if (open.length > 0) {
        const approvals = ((await client.raw('GET', `${GV}/approvals`)) as { items: { metadata: { name: string }; spec?: { run?: string; decision?: unknown }; status?: unknown }[] }).items;
        const detail = open.map((r) => `${r.metadata.name}: ${JSON.stringify(r.status)}\n  approvals: ${JSON.stringify(approvals.filter((a) => a.spec?.run === r.metadata.name).map((a) => ({ name: a.metadata.name, decision: a.spec?.decision, status: a.status })))}`);
        expect({ report, open: detail }).toEqual({ report, open: [] });
      }
      return all;
    }, { timeoutMs: 60_000 });

    const workflows = await eventually(async () => {
      // A phase started after the runs above settled may ask too.
      await approvePending(client);
      const all = ((await client.raw('GET', `${GV}/workflows`)) as { items: WorkflowObject[] }).items;
      expect(all.map((w) => `${w.metadata.name}:${w.status?.phase}`).filter((w) => !/:(Completed|Failed|Cancelled)$/.test(w))).toEqual([]);
      return all;
    }, { timeoutMs: 30_000 });
    // The runs again: a workflow that was still starting its last phase when every run listed above
    // had ended (its summarize run not yet created) has created and finished it since.
    runs = await eventually(async () => {
      await approvePending(client);
      const all = await listRuns(client);
      expect(all.filter((r) => !TERMINAL.has(r.status?.phase ?? '')).map((r) => r.metadata.name)).toEqual([]);
      return all;
    }, { timeoutMs: 30_000 });
    expect({ report, unsettled: unsettled(runs) }).toEqual({ report, unsettled: [] });
    const badWorkflows = workflows.filter((w) => !(w.status?.phase === 'Completed' || (w.status?.phase === 'Failed' && w.status.message))).map((w) => `${w.metadata.name}: ${JSON.stringify(w.status)}`);
    expect({ report, badWorkflows }).toEqual({ report, badWorkflows: [] });
    const twice: string[] = [];
    for (const r of runs) {
      const log = r.status?.workspace?.path ? join(r.status.workspace.path, 'side.log') : undefined;
      if (log && existsSync(log)) for (const [line, n] of lineCounts(readFileSync(log, 'utf8'))) if (n > 1) twice.push(`${r.metadata.name}: "${line}" ${n} times`);
    }
    expect({ report, twice }).toEqual({ report, twice: [] });
    expect({ report, timelines: await timelineFailures(home, ['hello', 'fanout']) }).toEqual({ report, timelines: [] });
    expect({ report, worktrees: leakedWorktrees(demo, runs) }).toEqual({ report, worktrees: [] });
    // Nothing of a killed daemon lives on: its drivers and commands ended with it or were reaped.
    expect({ report, processes: strayProcesses(dir, [child.pid!]) }).toEqual({ report, processes: [] });
    expect(killedPids).toHaveLength(KILLS);
    // Not vacuous: while runs worked, their processes were found by the same check.
    expect(childrenSeen).toBeGreaterThan(0);
  }, 180_000);
});
