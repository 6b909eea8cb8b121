/**
 * What the fault-injection suites share: a seeded PRNG (so a failing run replays with its printed
 * seed), the end-state invariants (every run settled with a reason, timelines verified, no leaked
 * worktree or process) and a loop that decides pending approvals the way a user would.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { Run } from '../../resources/kinds/run.js';
import type { ChildProcess } from 'node:child_process';
import { sidekickHome } from '../../api/home.js';
import { applyAll, demoRepo, GV, git, helloObjects, sidekick, SocketApi, startDaemonProcess } from '../e2e/support.js';

/** mulberry32: a small seeded PRNG; `next()` is uniform in [0, 1). */
export function prng(seed: number): { next(): number; between(lo: number, hi: number): number } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, between: (lo, hi) => Math.floor(lo + next() * (hi - lo)) };
}

/** The seed of this run: FAULT_SEED to replay one, else the clock. */
export function faultSeed(): number {
  return Number(process.env.FAULT_SEED ?? Date.now() % 2 ** 31);
}

export const TERMINAL = new Set(['Completed', 'Failed', 'Interrupted', 'Canceled']);

export async function listRuns(client: SocketApi): Promise<Run[]> {
  return ((await client.raw('GET', `${GV}/runs`)) as { items: Run[] }).items;
}

/** Approves every pending approval (a merge patch of spec.decision, as `sidekick approve` sends); returns how many. */
export async function approvePending(client: SocketApi): Promise<number> {
  const approvals = ((await client.raw('GET', `${GV}/approvals`)) as { items: { metadata: { name: string }; status?: { phase?: string }; spec?: { decision?: unknown } }[] }).items;
  let decided = 0;
  for (const a of approvals.filter((x) => x.status?.phase === 'Pending' && !x.spec?.decision)) {
    try {
      await client.raw('PATCH', `${GV}/approvals/${a.metadata.name}`, { spec: { decision: { verdict: 'Approved', reason: 'fault suite' } } }, 'application/merge-patch+json');
      decided++;
    } catch {
      // Decided or gone meanwhile (the daemon may have been killed mid-request): the next pass sees it.
    }
  }
  return decided;
}

/** Runs that ended neither Completed nor Failed with a reason: what a crash must never leave. */
export function unsettled(runs: Run[]): string[] {
  return runs
    .filter((r) => !(r.status?.phase === 'Completed' || (r.status?.phase === 'Failed' && r.status.reason && r.status.message)))
    .map((r) => `${r.metadata.name}: ${r.status?.phase ?? 'no phase'} ${r.status?.reason ?? ''} ${r.status?.message ?? ''}`.trim());
}

/** `sidekick timeline verify session/NAME` for each session; returns the failures. */
export async function timelineFailures(home: string, sessions: string[]): Promise<string[]> {
  const failures: string[] = [];
  for (const s of sessions) {
    const r = await sidekick(home, ['timeline', 'verify', `session/${s}`]);
    if (r.code !== 0) failures.push(`${s}: exit ${r.code} ${r.stdout.trim()} ${r.stderr.trim()}`);
  }
  return failures;
}

/** Worktrees of `repo` that no run owns (a run's status.workspace.path), or whose directory is gone. */
export function leakedWorktrees(repo: string, runs: Run[]): string[] {
  const owned = new Set(runs.map((r) => r.status?.workspace?.path).filter((p): p is string => !!p));
  const blocks = git(repo, 'worktree', 'list', '--porcelain').split('\n\n').filter((b) => b.trim());
  return blocks
    .slice(1) // the main checkout
    .filter((b) => {
      const path = /^worktree (.*)$/m.exec(b)?.[1] ?? '';
      return !owned.has(path) || /^prunable/m.test(b);
    })
    .map((b) => b.replace(/\n/g, ' '));
}

/** Processes (other than `except`) whose command line or working directory is under `dir`. */
export function strayProcesses(dir: string, except: number[]): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || except.includes(pid) || pid === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        // A process of another user, or gone: its command line still tells.
      }
      const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      if (state === 'Z') continue; // reaped by whoever adopts it; holds nothing
      if (cmdline.includes(dir) || cwd.startsWith(dir)) found.push(`${pid} (cwd ${cwd}): ${cmdline.slice(0, 200)}`);
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** A line count per distinct line of a file (a side effect that ran twice shows 2). */
export function lineCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.split('\n').filter(Boolean)) counts.set(line, (counts.get(line) ?? 0) + 1);
  return counts;
}



/** One create's outcome, as the client saw it. */
export interface WriteAnswer {
  name: string;
  code: number;
  reason?: string;
  message?: string;
}

/** Creates a Session every 50 ms until stopped, recording each answer: the load a fault lands on. */
export function startSessionWriter(client: SocketApi, prefix: string): { stop(): Promise<WriteAnswer[]> } {
  const answers: WriteAnswer[] = [];
  let writing = true;
  const loop = (async () => {
    for (let i = 0; writing; i++) {
      const name = `${prefix}-${i}`;
      try {
        await client.create('sessions', 'default', { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name }, spec: { title: name } });
        answers.push({ name, code: 201 });
      } catch (err) {
        const e = err as { code?: number; reason?: string; message?: string };
        answers.push({ name, code: e.code ?? 0, reason: e.reason, message: e.message });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    stop: async () => {
      writing = false;
      await loop;
      return answers;
    },
  };
}

/**
 * What a store fault may do to writes: answers other than 201 or a 503/507 with a message, and
 * writes lost (acknowledged, yet absent) or phantom (refused, yet present).
 */
export async function writeViolations(client: SocketApi, answers: WriteAnswer[]): Promise<{ bad: WriteAnswer[]; lost: string[]; phantom: string[] }> {
  const sessions = new Set(((await client.raw('GET', `${GV}/sessions`)) as { items: { metadata: { name: string } }[] }).items.map((s) => s.metadata.name));
  return {
    bad: answers.filter((a) => !(a.code === 201 || ((a.code === 503 || a.code === 507) && a.message))),
    lost: answers.filter((a) => a.code === 201 && !sessions.has(a.name)).map((a) => a.name),
    phantom: answers.filter((a) => a.code !== 201 && sessions.has(a.name)).map((a) => `${a.name} (${a.code})`),
  };
}

/** A Scripted agent's step, as far as the journal shows it. */
export interface ScriptStep {
  say?: string;
  tool?: string;
}

/**
 * What a Completed Scripted run's journal lacks of its script: every `say` as an
 * assistant.message, every tool call invoked once and answered. A fault may delay events, never
 * drop them.
 */
export function missingFromJournal(events: { type: string; payload: unknown }[], script: ScriptStep[]): string[] {
  const missing: string[] = [];
  const said = events.filter((e) => e.type === 'assistant.message').length;
  const says = script.filter((s) => s.say !== undefined).length;
  if (said !== says) missing.push(`${says} assistant messages in the script, ${said} in the journal`);
  const invoked = events.filter((e) => e.type === 'tool.invoked').map((e) => e.payload as { tool: string; callId: string });
  const tools = script.filter((s) => s.tool !== undefined).map((s) => s.tool);
  if (JSON.stringify(invoked.map((i) => i.tool)) !== JSON.stringify(tools)) missing.push(`tools invoked ${JSON.stringify(invoked.map((i) => i.tool))}, script ${JSON.stringify(tools)}`);
  const answered = new Set(events.filter((e) => e.type === 'tool.result' || e.type === 'tool.error').map((e) => (e.payload as { callId: string }).callId));
  for (const i of invoked) if (!answered.has(i.callId)) missing.push(`${i.tool} ${i.callId} has no result`);
  return missing;
}

/**
 * Starts a daemon process on `home` and applies the paced hello example (a demo repository made
 * in `dir`): the run every store-fault suite injects its faults into.
 */
export async function startPacedHello(dir: string, home: string): Promise<{ child: ChildProcess; client: SocketApi; script: ScriptStep[] }> {
  const demo = demoRepo(dir);
  const child = await startDaemonProcess(home);
  const client = new SocketApi(sidekickHome(home).socket);
  const { objects, script } = pacedHelloObjects(demo);
  await applyAll(client, objects);
  return { child, client, script };
}

/**
 * The hello example's objects with its agent's script paced (a say and a second's wait before and
 * after it), so faults injected by time land while the run works. Returns the script it plays.
 */
export function pacedHelloObjects(demo: string): { objects: Record<string, any>[]; script: ScriptStep[] } {
  let script: ScriptStep[] = [];
  const objects = helloObjects(demo).map((o: Record<string, any>) => {
    if (o.kind !== 'Agent') return o;
    script = [{ say: 'one' }, { wait: 1 }, ...o.spec.script, { wait: 1 }, { say: 'done' }];
    return { ...o, spec: { ...o.spec, script } };
  });
  return { objects, script };
}
