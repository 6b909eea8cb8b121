/**
 * Command steps: the command of an Automated phase and each command of a QualityChecks gate. A
 * step runs with the local tool runner a run's RunCommand uses (timeout, output cap, stripped
 * environment, process group killed at the end) in a workspace of its own, made by the run
 * workspace manager from the head of the phase's line, and is recorded in the session journal
 * like a run's tool call: `tool.invoked`, then `tool.result` or `tool.error` with the exit code and
 * output, under the step's derived name as `run`. An Automated phase's changes are committed like a
 * run's (`diff.created`); a check's are not. The workspace is retired when the step ends.
 *
 * What a step did is read back from the journal, so a restarted daemon reaches the same answer; a
 * step that was running when the daemon stopped has an invocation without a result.
 */
import type { Journal } from '../../api/journal/journal.js';
import { sessionKey } from '../../api/journal/journal.js';
import type { JournalEvent, JournalEventInput } from '../../api/journal/event.js';
import { createLocalTools } from '../../node/tools/local-tools.js';
import type { Workspaces } from '../../node/ports.js';
import type { DiffStats, PrepareRequest, Workspace } from '../../node/workspace/workspace.js';
import { workflowActor } from './names.js';

/** Tool output kept in the journal (as for runs); the outputs keep a shorter tail. */
const JOURNAL_OUTPUT_CAP = 16 * 1024;
/** Default time limit of a command when its phase sets none. */
const DEFAULT_TIMEOUT_MS = 60 * 60 * 1000;

export interface StepRef {
  namespace: string;
  session: string;
  workflow: string;
  workflowUid: string;
  phase: string;
  /** The step's derived name: its journal `run` and its workspace's name. */
  name: string;
}

export interface StepSpec {
  command: string;
  /** Commit what the command changed (an Automated phase), or leave it (a quality check). */
  commit: boolean;
  /** How the workspace is made; the step's own name and uid are added. */
  workspace: Omit<PrepareRequest, 'run'>;
  timeoutMs?: number;
}

export interface StepResult {
  ok: boolean;
  exitCode?: number;
  output: string;
  branch?: string;
  headCommit?: string;
  stats?: DiffStats;
}

export type StepState = { state: 'NotStarted' } | { state: 'Running' } | { state: 'Interrupted' } | { state: 'Done'; result: StepResult };

export interface CommandStepsDeps {
  journal: Journal;
  workspaces: Workspaces;
  /** Wakes the workflow (`namespace/name`) when a step ends. */
  wake(workflowKey: string): void;
  /** The environment commands start from (sanitized; default `process.env`). */
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

interface Task {
  workflowKey: string;
  abort: AbortController;
}

/** Thrown into a step's signal when the daemon stops: nothing is recorded, the journal shows it unfinished. */
const SHUTDOWN = 'shutdown';

function cap(text: string): string {
  return text.length <= JOURNAL_OUTPUT_CAP ? text : `${text.slice(0, JOURNAL_OUTPUT_CAP)}\n… (${text.length - JOURNAL_OUTPUT_CAP} more characters)`;
}

/** Runs command steps in this process and reads their outcomes back from the journal. */
export class CommandSteps {
  private readonly tasks = new Map<string, Task>();

  constructor(private readonly d: CommandStepsDeps) {}

  /** Where a step is: running here, done (journalled result), interrupted by a restart, or not started. */
  async state(ref: StepRef): Promise<StepState> {
    // Memory first: a task journals its result before it leaves the map, so "not in memory and
    // no result" can only mean it never ran here.
    if (this.tasks.has(key(ref))) return { state: 'Running' };
    const events = await this.eventsOf(ref);
    const invoked = events.findLastIndex((e) => e.type === 'tool.invoked' || e.type === 'tool.replayed');
    if (invoked < 0) return { state: 'NotStarted' };
    const after = events.slice(invoked + 1);
    const result = after.find((e) => e.type === 'tool.result' || e.type === 'tool.error');
    if (!result) return { state: 'Interrupted' };
    const p = result.payload as { ok?: boolean; exitCode?: number; output?: string; workspace?: { branch?: string; headCommit?: string } };
    const diff = after.find((e) => e.type === 'diff.created')?.payload as (DiffStats & { headCommit?: string; branch?: string }) | undefined;
    return {
      state: 'Done',
      result: {
        ok: p.ok === true,
        ...(p.exitCode !== undefined ? { exitCode: p.exitCode } : {}),
        output: p.output ?? '',
        ...((diff?.branch ?? p.workspace?.branch) ? { branch: diff?.branch ?? p.workspace?.branch } : {}),
        ...((diff?.headCommit ?? p.workspace?.headCommit) ? { headCommit: diff?.headCommit ?? p.workspace?.headCommit } : {}),
        ...(diff ? { stats: { files: diff.files, insertions: diff.insertions, deletions: diff.deletions } } : {}),
      },
    };
  }

  /** Journals the invocation (or, after a restart, the replay) and runs the step in the background. */
  async start(ref: StepRef, spec: StepSpec, replay = false): Promise<void> {
    if (this.tasks.has(key(ref))) return;
    const input = { command: spec.command };
    await this.append(ref, [{ type: replay ? 'tool.replayed' : 'tool.invoked', actor: workflowActor, payload: { callId: ref.name, tool: 'RunCommand', input, workflow: ref.workflow, phase: ref.phase } }]);
    const task: Task = { workflowKey: `${ref.namespace}/${ref.workflow}`, abort: new AbortController() };
    this.tasks.set(key(ref), task);
    void this.execute(ref, spec, task).catch((err: unknown) => this.d.log?.(`workflow step ${key(ref)}: ${(err as Error).message}`));
  }

  /**
   * Records that a step running when the daemon stopped is not run again (a command with effects
   * must not run twice) and retires its workspace; returns the failed result.
   */
  async recordSkipped(ref: StepRef, spec: StepSpec): Promise<StepResult> {
    const output = 'not run again: the daemon stopped while the command ran, so its result is unknown';
    await this.retire(await this.d.workspaces.prepare(this.request(ref, spec)).catch(() => undefined), ref);
    await this.append(ref, [
      { type: 'tool.skipped_during_recovery', actor: workflowActor, payload: { callId: ref.name, tool: 'RunCommand', input: { command: spec.command } } },
      { type: 'tool.error', actor: workflowActor, payload: { callId: ref.name, tool: 'RunCommand', ok: false, output } },
    ]);
    return { ok: false, output };
  }

  /** Stops the steps of a workflow that are not in `keep` (their attempt ended); their end is journalled. */
  stopStray(workflowKey: string, keep: ReadonlySet<string>, reason: string): void {
    for (const [k, task] of this.tasks) {
      if (task.workflowKey === workflowKey && !keep.has(k.slice(k.indexOf('/') + 1))) task.abort.abort(reason);
    }
  }

  /** Stops every step without recording an end: the daemon is stopping. */
  stopAll(): void {
    for (const task of this.tasks.values()) task.abort.abort(SHUTDOWN);
  }

  private request(ref: StepRef, spec: StepSpec): PrepareRequest {
    return { ...spec.workspace, run: { namespace: ref.namespace, name: ref.name, uid: ref.workflowUid, session: ref.session } };
  }

  private async execute(ref: StepRef, spec: StepSpec, task: Task): Promise<void> {
    const signal = task.abort.signal;
    let ws: Workspace | undefined;
    let result: StepResult;
    let durationMs: number | undefined;
    let truncated = false;
    const events: JournalEventInput[] = [];
    try {
      ws = await this.d.workspaces.prepare(this.request(ref, spec));
      const tools = createLocalTools({ root: ws.path, readOnly: ws.readOnly, commandTimeoutMs: spec.timeoutMs ?? DEFAULT_TIMEOUT_MS, ...(this.d.env ? { baseEnv: this.d.env } : {}) });
      const r = await tools.execute({ callId: ref.name, tool: 'RunCommand', input: { command: spec.command } }, signal);
      durationMs = r.durationMs;
      truncated = r.truncated === true;
      result = { ok: r.ok, ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}), output: r.output, ...(ws.branch ? { branch: ws.branch } : {}), ...(ws.headCommit ? { headCommit: ws.headCommit } : {}) };
      if (spec.commit && r.ok && ws.mode !== 'ReadOnly' && ws.mode !== 'Scratch') {
        const message = `${ref.phase}: ${spec.command}`.split('\n')[0]!.slice(0, 72) + `\n\nWorkflow ${ref.namespace}/${ref.workflow}, phase ${ref.phase}: ${spec.command}`;
        const f = await this.d.workspaces.finish(ws, { runUid: ref.workflowUid, agentName: `workflow-${ref.workflow}`, message });
        result = { ...result, ...(f.headCommit ? { headCommit: f.headCommit } : {}), stats: f.stats };
        events.push({ type: 'diff.created', actor: workflowActor, payload: { ...f.stats, baseCommit: f.baseCommit, headCommit: f.headCommit, ...(f.commit ? { commit: f.commit } : {}), ...(ws.branch ? { branch: ws.branch } : {}) } });
      }
    } catch (err) {
      if (signal.aborted && signal.reason === SHUTDOWN) {
        this.tasks.delete(key(ref));
        return;
      }
      result = { ok: false, output: signal.aborted ? `canceled: ${String(signal.reason)}` : `the step could not run: ${(err as Error).message}` };
    }
    await this.retire(ws, ref);
    const payload = {
      callId: ref.name,
      tool: 'RunCommand',
      ok: result.ok,
      output: cap(result.output),
      ...(result.exitCode !== undefined ? { exitCode: result.exitCode } : {}),
      ...(durationMs !== undefined ? { durationMs } : {}),
      ...(truncated ? { truncated: true } : {}),
      ...(result.branch || result.headCommit ? { workspace: { ...(result.branch ? { branch: result.branch } : {}), ...(result.headCommit ? { headCommit: result.headCommit } : {}) } } : {}),
    };
    try {
      await this.append(ref, [{ type: result.ok ? 'tool.result' : 'tool.error', actor: workflowActor, payload }, ...events]);
    } finally {
      this.tasks.delete(key(ref));
      this.d.wake(task.workflowKey);
    }
  }

  /** A step's workspace is transient: removed when the step ends (its branch stays). */
  private async retire(ws: Workspace | undefined, ref: StepRef): Promise<void> {
    if (!ws) return;
    await this.d.workspaces.retire(ws, 'OnRunComplete', 'RunCompleted').catch((err: unknown) => this.d.log?.(`workflow step ${key(ref)}: retiring ${ws.path}: ${(err as Error).message}`));
  }

  private async append(ref: StepRef, events: JournalEventInput[]): Promise<void> {
    await this.d.journal.append(sessionKey(ref.namespace, ref.session), events.map((e) => ({ ...e, run: ref.name })));
  }

  private async eventsOf(ref: StepRef): Promise<JournalEvent[]> {
    const out: JournalEvent[] = [];
    for (let after = 0; ; ) {
      const page = await this.d.journal.read(sessionKey(ref.namespace, ref.session), { after, limit: 1000, run: ref.name, types: ['tool.', 'diff.created'] });
      out.push(...page.events);
      if (!page.hasMore) return out;
      after = page.next;
    }
  }
}

function key(ref: StepRef): string {
  return `${ref.namespace}/${ref.name}`;
}
