/**
 * Runtime nodes as people run them: a control plane process on a fresh Postgres database and a
 * nats-server of this test's own, and two `sidekick serve` processes, each with its own HOME (its
 * credentials, local store and workspace) and its own git repository. Runs are scheduled onto the
 * node that has their repository, execute there, and their status and journal reach the control
 * plane over JetStream — also across a NATS outage, a node cut off the network for 30 s, a control
 * plane restart and a node killed mid-run. The refusals: a wrong token, a revoked node, plain HTTP
 * to a host off this machine, and a control plane whose identity changed (then `--repin`).
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { ApiClient } from '../../api/client/index.js';
import type { JournalEvent } from '../../api/journal/event.js';
import { cliEntry, controlPlaneToken, startControlPlaneProcess, writeSigningKey, type ControlPlaneProcess } from '../../hack/controlplane-process.js';
import { startNodeProcess, type NodeProcess } from '../../hack/node-process.js';
import type { KubeObject } from '../../resources/meta.js';
import { eventually } from '../eventually.js';
import { describeWithPostgres, freePort, pgAdmin } from '../services.js';
import { startOwnNatsServer, type OwnNatsServer } from '../../hack/nats-server.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const run = promisify(execFile);
const RUNS = { group: 'sidekicks.dev', version: 'v1alpha1', plural: 'runs', kind: 'Run', namespaced: true };
const NODES = { group: 'sidekicks.dev', version: 'v1alpha1', plural: 'runtimenodes', kind: 'RuntimeNode', namespaced: false };
const APPROVALS = { group: 'sidekicks.dev', version: 'v1alpha1', plural: 'approvals', kind: 'Approval', namespaced: true };
type Run = KubeObject & { spec: Record<string, unknown>; status?: { phase?: string; reason?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] } };

async function sidekick(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cliEntry(), ...args], { env: { ...process.env, ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function gitRepo(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const git = (...a: string[]): void => void execFileSync('git', a, { cwd: dir, env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' } });
  git('init', '-q', '-b', 'main');
  writeFileSync(join(dir, 'README.md'), '# repo\n');
  git('add', '.');
  git('commit', '-qm', 'init');
  return dir;
}

/**
 * The ids of the control plane's events that came from the node, in the control plane's order:
 * equal to the node's own list when every event arrived once and in order (the control plane adds
 * its own, such as run.scheduled and approval decisions, between them).
 */
function fromNode(onCp: JournalEvent[], onNode: JournalEvent[]): string[] {
  const ids = new Set(onNode.map((e) => e.id));
  return onCp.map((e) => e.id).filter((id) => ids.has(id));
}

/** Keeps a simulated outage going for `ms` more. */
function holdOutage(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}

describeWithPostgres('runtime nodes: a control plane and two nodes on one machine', (getPgUrl) => {
  const dir = mkdtempSync(join(tmpdir(), 'sk-nodes-e2e-'));
  let database = '';
  let key = '';
  let token = '';
  let port = 0;
  let nats: OwnNatsServer;
  let cp: ControlPlaneProcess;
  let api: ApiClient;
  let n2Http: TcpProxy;
  let n2Nats: TcpProxy;
  const nodes = new Map<string, NodeProcess>();
  const url = (): string => `http://127.0.0.1:${port}`;
  const onCp = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => sidekick([...args, '--server', url(), '--token', token]);

  const startCp = async (signingKey = key): Promise<ControlPlaneProcess> =>
    (cp = await startControlPlaneProcess({ database, nats: nats.url, replicaId: 'cp', signingKey, listen: `127.0.0.1:${port}`, args: ['--node-monitor-grace', '6s', '--node-lost-grace', '60s'] }));
  const registrationToken = async (node: string): Promise<string> => {
    const r = await onCp(['token', 'create', '--node', node]);
    if (r.code !== 0) throw new Error(r.stderr);
    return r.stdout.trim();
  };
  const startNode = async (name: string, opts: { token?: string; args?: string[]; viaProxies?: boolean } = {}): Promise<NodeProcess> => {
    const home = join(dir, `home-${name}`);
    mkdirSync(home, { recursive: true });
    const target = opts.viaProxies ? `http://127.0.0.1:${n2Http.port}` : url();
    const args = [...(opts.viaProxies ? ['--nats', `nats://127.0.0.1:${n2Nats.port}`] : []), '--max-runs', '4', ...(opts.args ?? [])];
    const p = await startNodeProcess({ url: target, token: opts.token, name, home, args });
    nodes.set(name, p);
    return p;
  };
  const getRun = (name: string): Promise<Run> => api.get<Run>(RUNS, 'team', name);
  const phaseOf = async (name: string): Promise<string | undefined> => (await getRun(name)).status?.phase;
  const createRun = (name: string, agent: string, mount: string, extra: Record<string, unknown> = {}): Promise<Run> =>
    api.create<Run>(RUNS, 'team', { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name, namespace: 'team' }, spec: { session: 'team', agent, repoMount: mount, prompt: `do ${name}`, ...extra } } as KubeObject);
  const cpJournal = async (runName: string): Promise<JournalEvent[]> => {
    const r = await onCp(['timeline', 'session/team', '-n', 'team', '-o', 'json']);
    if (r.code !== 0) throw new Error(r.stderr);
    return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as JournalEvent).filter((e) => e.run === runName);
  };
  /** The node's own journal, read from its local store (what it will send). */
  const nodeJournal = (node: string, runName: string): JournalEvent[] => {
    const db = new Database(join(dir, `home-${node}`, '.sidekick', node, 'node.db'), { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT event FROM sk_journal WHERE run = ? ORDER BY session, sequence').all(runName) as { event: string }[]).map((r) => JSON.parse(r.event) as JournalEvent);
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    const name = `${new URL(getPgUrl()).pathname.slice(1)}_nodes`;
    await pgAdmin(getPgUrl(), `CREATE DATABASE ${name}`);
    const u = new URL(getPgUrl());
    u.pathname = `/${name}`;
    database = u.toString();
    key = writeSigningKey(dir);
    token = await controlPlaneToken(key, 'alice', 'Owner');
    port = await freePort();
    nats = await startOwnNatsServer(mkdtempSync(join(dir, 'nats-')));
    await startCp();
    api = new ApiClient({ baseUrl: url(), token });
    n2Http = await startTcpProxy(port);
    n2Nats = await startTcpProxy(nats.port);
    const repo1 = gitRepo(join(dir, 'repo-one'));
    const repo2 = gitRepo(join(dir, 'repo-two'));
    const manifests = join(dir, 'team.yaml');
    writeFileSync(
      manifests,
      `apiVersion: sidekicks.dev/v1alpha1
kind: Session
metadata: { name: team, namespace: team }
spec: { title: team }
---
apiVersion: sidekicks.dev/v1alpha1
kind: Agent
metadata: { name: writer, namespace: team }
spec:
  driver: Scripted
  tools: [WriteFile, RunCommand]
  script:
    - say: writing
    - tool: WriteFile
      input: { path: OUT.md, content: "written on a node\\n" }
    - say: done
---
apiVersion: sidekicks.dev/v1alpha1
kind: Agent
metadata: { name: asker, namespace: team }
spec:
  driver: Scripted
  tools: [WriteFile, RunCommand]
  script:
    - say: asking
    - tool: RunCommand
      input: { command: "echo asked" }
    - tool: WriteFile
      input: { path: ASKED.md, content: "asked\\n" }
    - say: done
---
apiVersion: sidekicks.dev/v1alpha1
kind: Agent
metadata: { name: sleeper, namespace: team }
spec:
  driver: Scripted
  tools: [WriteFile, RunCommand]
  script:
    - say: sleeping
    - tool: RunCommand
      input: { command: "sleep 4" }
    - tool: WriteFile
      input: { path: SLEPT.md, content: "slept\\n" }
    - say: done
---
apiVersion: sidekicks.dev/v1alpha1
kind: ApprovalPolicy
metadata: { name: sleep, namespace: team }
spec:
  session: team
  rules:
    - category: ToolExecution
      match: { tool: RunCommand, command: "sleep 4" }
      action: Allow
---
apiVersion: sidekicks.dev/v1alpha1
kind: RepoMount
metadata: { name: one, namespace: team }
spec: { session: team, path: ${repo1}, mode: Worktree, nodeName: n1 }
---
apiVersion: sidekicks.dev/v1alpha1
kind: RepoMount
metadata: { name: two, namespace: team }
spec: { session: team, path: ${repo2}, mode: Worktree, nodeName: n2 }
---
apiVersion: sidekicks.dev/v1alpha1
kind: RepoMount
metadata: { name: gpu, namespace: team }
spec: { session: team, path: ${repo1}, mode: Worktree, nodeSelector: { matchLabels: { gpu: "true" } } }
`,
    );
    const applied = await onCp(['apply', '-f', manifests]);
    if (applied.code !== 0) throw new Error(applied.stderr);
  }, 120_000);

  afterAll(async () => {
    api?.close();
    await Promise.all([...nodes.values()].map((n) => n.kill()));
    await cp?.kill();
    await n2Http?.close();
    await n2Nats?.close();
    await nats?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('refuses plain HTTP to a host off this machine, and a wrong token, caching nothing', async () => {
    const home = join(dir, 'home-refused');
    mkdirSync(home, { recursive: true });
    const env = { HOME: home, SIDEKICK_HOME: '' };
    const insecure = await sidekick(['serve', '--url', 'http://192.0.2.10:8000', '--token', 'x', '--name', 'x'], env);
    expect(insecure.code).not.toBe(0);
    expect(insecure.stderr).toMatch(/refusing plain http to 192\.0\.2\.10.*--allow-insecure/i);
    const wrong = await sidekick(['serve', '--url', url(), '--token', 'not-a-token', '--name', 'x'], env);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/token/i);
    expect(() => execFileSync('ls', [join(home, '.sidekick', 'credentials.json')], { stdio: 'ignore' })).toThrow();
  }, 60_000);

  it('two nodes register with one-time tokens and are Ready in `sidekick get nodes`', async () => {
    const t1 = await registrationToken('n1');
    await startNode('n1', { token: t1, args: ['--label', 'zone=a'] });
    await startNode('n2', { token: await registrationToken('n2'), viaProxies: true });
    // A token is used once.
    const again = await sidekick(['serve', '--url', url(), '--token', t1, '--name', 'n1-again'], { HOME: join(dir, 'home-again') });
    expect(again.code).not.toBe(0);
    await eventually(async () => {
      const r = await onCp(['get', 'nodes']);
      expect(r.stdout).toMatch(/^NAME\s+STATUS\s+/);
      expect(r.stdout).toMatch(/^n1\s+Ready\s+/m);
      expect(r.stdout).toMatch(/^n2\s+Ready\s+/m);
      return true;
    }, { timeoutMs: 30_000 });
    const n1 = await api.get<KubeObject & { spec: { owner: string; labels?: Record<string, string> }; status?: { capabilities?: { driver: string; available?: boolean }[] } }>(NODES, undefined, 'n1');
    expect(n1.spec.owner).toBe('alice');
    expect(n1.spec.labels).toMatchObject({ zone: 'a' });
    expect(n1.status?.capabilities?.find((c) => c.driver === 'Scripted')?.available).toBe(true);
  }, 120_000);

  it('a run is scheduled onto the node with its repository, runs there, and its timeline verifies on the control plane', async () => {
    await createRun('first', 'writer', 'one');
    await eventually(async () => (await phaseOf('first')) === 'Completed' || undefined, { timeoutMs: 60_000 });
    const r = await getRun('first');
    expect(r.spec.nodeName).toBe('n1');
    expect(r.status?.conditions?.find((c) => c.type === 'Scheduled')).toMatchObject({ status: 'True' });
    const events = await cpJournal('first');
    expect(events.map((e) => e.type)).toContain('run.Completed');
    expect(fromNode(events, nodeJournal('n1', 'first'))).toEqual(nodeJournal('n1', 'first').map((e) => e.id));
    const verify = await onCp(['timeline', 'verify', 'session/team', '-n', 'team']);
    expect(verify.code).toBe(0);
    const scheduled = await onCp(['events', '-n', 'team', '--for', 'run/first']);
    expect(scheduled.stdout).toMatch(/Scheduled\s+.*Successfully assigned team\/first to n1/);
  }, 90_000);

  it('a run no node fits waits, with the reason in an Event', async () => {
    await createRun('needs-gpu', 'writer', 'gpu');
    await eventually(async () => {
      const cond = (await getRun('needs-gpu')).status?.conditions?.find((c) => c.type === 'Scheduled');
      expect(cond).toMatchObject({ status: 'False', reason: 'Unschedulable' });
      expect(cond?.message).toMatch(/0\/2 nodes are available/);
      return true;
    }, { timeoutMs: 30_000 });
    const ev = await onCp(['events', '-n', 'team', '--for', 'run/needs-gpu']);
    expect(ev.stdout).toMatch(/FailedScheduling/);
    expect((await getRun('needs-gpu')).spec.nodeName).toBeUndefined();
  }, 60_000);

  /** Approves run `asked` on the control plane (over HTTP) and waits for the node to finish it on its own. */
  const approveWhileNatsIsDown = async (): Promise<void> => {
    const approvals = (await api.list<KubeObject & { spec: { run?: string } }>(APPROVALS, { namespace: 'team' })).items.filter((a) => a.spec.run === 'asked');
    expect(approvals).toHaveLength(1);
    const approved = await onCp(['approve', approvals[0].metadata.name as string, '-n', 'team']);
    expect(approved.code).toBe(0);
    // The node finishes on its own while NATS is down; the control plane cannot know yet.
    await eventually(() => nodeJournal('n1', 'asked').some((e) => e.type === 'run.Completed') || undefined, { timeoutMs: 60_000 });
    expect(await phaseOf('asked')).not.toBe('Completed');
  };

  it('NATS stopped mid-run: the approval still reaches the node, the run completes there, and the control plane gets every event once, in order', async () => {
    await createRun('asked', 'asker', 'one');
    await eventually(async () => (await phaseOf('asked')) === 'WaitingForApproval' || undefined, { timeoutMs: 60_000 });
    await nats.stop();
    try {
      await approveWhileNatsIsDown();
    } finally {
      await nats.restart();
    }
    await eventually(async () => (await phaseOf('asked')) === 'Completed' || undefined, { timeoutMs: 60_000 });
    const onNode = nodeJournal('n1', 'asked');
    await eventually(async () => (expect(fromNode(await cpJournal('asked'), onNode)).toEqual(onNode.map((e) => e.id)), true), { timeoutMs: 30_000 });
    expect((await onCp(['timeline', 'verify', 'session/team', '-n', 'team'])).code).toBe(0);
  }, 180_000);

  it('a node cut off the network for 30 s finishes its run and catches up when it returns', async () => {
    await createRun('offline', 'sleeper', 'two');
    await eventually(async () => (await phaseOf('offline')) === 'Running' || undefined, { timeoutMs: 60_000 });
    const cutAt = Date.now();
    n2Http.cut();
    n2Nats.cut();
    try {
      await eventually(() => nodeJournal('n2', 'offline').some((e) => e.type === 'run.Completed') || undefined, { timeoutMs: 60_000 });
      // Away past the control plane's node-monitor grace, so it shows NotReady.
      await eventually(async () => (expect((await onCp(['get', 'nodes'])).stdout).toMatch(/^n2\s+NotReady\s+/m), true), { timeoutMs: 30_000 });
      // The outage lasts 30 s (the figure): how long the node stays away is the scenario, not a wait for something.
      await holdOutage(cutAt + 30_000 - Date.now());
    } finally {
      n2Http.restore();
      n2Nats.restore();
    }
    await eventually(async () => (await phaseOf('offline')) === 'Completed' || undefined, { timeoutMs: 60_000 });
    const onNode = nodeJournal('n2', 'offline');
    await eventually(async () => (expect(fromNode(await cpJournal('offline'), onNode)).toEqual(onNode.map((e) => e.id)), true), { timeoutMs: 30_000 });
    await eventually(async () => (expect((await onCp(['get', 'nodes'])).stdout).toMatch(/^n2\s+Ready\s+/m), true), { timeoutMs: 30_000 });
  }, 180_000);

  it('a control plane restart: the nodes reconnect by themselves and take new runs', async () => {
    await cp.stop();
    await startCp();
    await createRun('after-restart', 'writer', 'one');
    await eventually(async () => (await phaseOf('after-restart')) === 'Completed' || undefined, { timeoutMs: 90_000 });
  }, 150_000);

  it('kill -9 of a node mid-run: on restart the run resumes or fails explicitly', async () => {
    await createRun('killed', 'sleeper', 'one');
    await eventually(async () => (await phaseOf('killed')) === 'Running' || undefined, { timeoutMs: 60_000 });
    await nodes.get('n1')!.kill();
    await startNode('n1');
    await eventually(async () => {
      const r = await getRun('killed');
      if (r.status?.phase === 'Completed') return true;
      if (r.status?.phase === 'Failed') return (expect(r.status.reason).toBe('RecoveryNeeded'), true);
      return undefined;
    }, { timeoutMs: 90_000 });
  }, 150_000);

  it('unstarted runs of a node that stopped renewing are re-queued to another fitting node', async () => {
    await nodes.get('n2')!.stop();
    await eventually(async () => (expect((await onCp(['get', 'nodes'])).stdout).toMatch(/^n2\s+NotReady\s+/m), true), { timeoutMs: 30_000 });
    // Bound by hand to the absent node; the mount lets any node have it.
    writeFileSync(join(dir, 'any.yaml'), `apiVersion: sidekicks.dev/v1alpha1\nkind: RepoMount\nmetadata: { name: anywhere, namespace: team }\nspec: { session: team, path: ${join(dir, 'repo-one')}, mode: Worktree }\n`);
    expect((await onCp(['apply', '-f', join(dir, 'any.yaml')])).code).toBe(0);
    await createRun('requeued', 'writer', 'anywhere', { nodeName: 'n2' });
    await eventually(async () => (await phaseOf('requeued')) === 'Completed' || undefined, { timeoutMs: 90_000 });
    expect((await getRun('requeued')).spec.nodeName).toBe('n1');
  }, 150_000);

  it('a revoked node is refused at its next call', async () => {
    const running = await startNode('n2', { viaProxies: true });
    const revoked = await onCp(['token', 'revoke', '--node', 'n2']);
    expect(revoked.code).toBe(0);
    // The running node hears it at its next heartbeat and stops, saying why.
    expect(await running.exited()).toBe(1);
    expect(running.log()).toMatch(/ERROR node "n2" was revoked/);
    const n2 = await startNode('n2', { viaProxies: true, args: [] }).catch((err: Error) => err);
    expect(n2).toBeInstanceOf(Error);
    expect((n2 as Error).message).toMatch(/revoked/);
    await eventually(async () => (expect((await onCp(['get', 'nodes'])).stdout).toMatch(/^n2\s+Revoked\s+/m), true), { timeoutMs: 30_000 });
  }, 90_000);

  it('a control plane whose identity changed is refused until --repin', async () => {
    await nodes.get('n1')!.stop();
    await cp.stop();
    const otherKey = writeSigningKey(mkdtempSync(join(dir, 'other-')));
    await startCp(otherKey);
    const refused = await startNode('n1').catch((err: Error) => err);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(/identity.*changed/i);
    expect((refused as Error).message).toContain('--repin');
    await startNode('n1', { args: ['--repin'] });
    expect(nodes.get('n1')!.log()).toMatch(/repin/i);
  }, 120_000);
});
