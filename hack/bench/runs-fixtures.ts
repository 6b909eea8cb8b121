/**
 * The objects the Runs benchmark applies (shaped like examples/hello/*.yaml) and the waits
 * between applying them and measuring: a run is only timed once its session, agent and mount
 * are ready, so set-up latency never counts as run latency.
 */
import type { ScriptStep } from '../../resources/kinds/agent-script.js';
import { API, type SocketClient } from './runs-socket.js';
import { EDITED_FILE, EDITED_TEXT } from './runs-repo.js';

const apiVersion = 'sidekicks.dev/v1alpha1';

/** The short script of issue 3: edit a tracked file, run a trivial command, report. */
export const EDIT_SCRIPT: ScriptStep[] = [
  { tool: 'EditFile', input: { path: EDITED_FILE, oldText: EDITED_TEXT, newText: 'Hello, edited by a benchmark run' } },
  { tool: 'RunCommand', input: { command: 'echo ok' } },
  { say: 'Edited the README and ran the check.', usage: { inputTokens: 100, outputTokens: 20 } },
];

/** Keeps a run Running for `seconds` (the RSS measurement needs runs that stay active). */
export function waitScript(seconds: number): ScriptStep[] {
  return [{ say: 'Working on it.' }, { wait: seconds }, { say: 'Done.' }];
}

export function session(name: string, maxActiveRuns: number): object {
  return {
    apiVersion,
    kind: 'Session',
    metadata: { name, labels: { bench: 'runs' } },
    spec: { title: `bench ${name}`, limits: { maxActiveRuns, maxQueuedRuns: 1000 } },
  };
}

export function agent(name: string, script: ScriptStep[]): object {
  return {
    apiVersion,
    kind: 'Agent',
    metadata: { name, labels: { bench: 'runs' } },
    spec: { driver: 'Scripted', tools: ['ReadFile', 'EditFile', 'WriteFile', 'ListFiles', 'RunCommand'], script },
  };
}

export function repoMount(name: string, sessionName: string, path: string): object {
  return {
    apiVersion,
    kind: 'RepoMount',
    metadata: { name, labels: { bench: 'runs' } },
    spec: { session: sessionName, path, mode: 'Worktree', cleanup: 'OnDelete' },
  };
}

/**
 * Lets EDIT_SCRIPT run unattended: its command (ToolExecution) and its edit (FileWrite) ask by
 * default, and a benchmark run waiting for `sidekick approve` would never finish. Explicit rules
 * naming exactly these calls, as a remembered decision would.
 */
export function approvalPolicy(sessionName: string): object {
  return {
    apiVersion,
    kind: 'ApprovalPolicy',
    metadata: { name: `${sessionName}-bench`, labels: { bench: 'runs' } },
    spec: {
      session: sessionName,
      rules: [
        { category: 'ToolExecution', match: { tool: 'RunCommand', command: 'echo ok' }, action: 'Allow' },
        { category: 'FileWrite', match: { tool: 'EditFile', path: EDITED_FILE }, action: 'Allow' },
      ],
    },
  };
}

/** A run; without `mount` it works in a Scratch directory. `group` labels it bench=<group>. */
export function run(name: string, group: string, sessionName: string, agentName: string, mount?: string): object {
  return {
    apiVersion,
    kind: 'Run',
    metadata: { name, labels: { bench: group } },
    spec: { session: sessionName, agent: agentName, ...(mount ? { repoMount: mount } : {}), prompt: 'Edit the README, then run the check.' },
  };
}

/** Creates each object (plural, body) in order. */
export async function createAll(client: SocketClient, objects: [string, object][]): Promise<void> {
  for (const [plural, body] of objects) await client.json('POST', `${API}/${plural}`, body, [201]);
}

/** Polls an object until its status.phase is `phase` (controllers fill it in shortly after creation). */
export async function waitForPhase(client: SocketClient, plural: string, name: string, phase: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const obj = await client.json<{ status?: { phase?: string; message?: string } }>('GET', `${API}/${plural}/${name}`);
    if (obj.status?.phase === phase) return;
    if (Date.now() > deadline) throw new Error(`${plural}/${name} is ${obj.status?.phase ?? 'not observed'} after ${timeoutMs / 1000} s, not ${phase}: ${obj.status?.message ?? ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Phases of the runs labelled bench=<group>, counted. */
export async function phaseCounts(client: SocketClient, group: string): Promise<Record<string, number>> {
  const list = await client.json<{ items: { status?: { phase?: string } }[] }>('GET', `${API}/runs?labelSelector=bench%3D${group}`);
  const counts: Record<string, number> = {};
  for (const r of list.items) {
    const phase = r.status?.phase ?? 'Queued';
    counts[phase] = (counts[phase] ?? 0) + 1;
  }
  return counts;
}
