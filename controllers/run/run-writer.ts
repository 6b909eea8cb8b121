/**
 * Writes a Run's status together with the journal events that record the change, through the
 * controllers' one StatusWriter (one transaction, serialized per run, conflict retries), and
 * reads what the journal says about the run's tool calls.
 */
import { sessionKey, type Journal } from '../../api/journal/journal.js';
import type { JournalEventInput } from '../../api/journal/event.js';
import type { Run } from '../../resources/kinds/run.js';
import { StatusWriter, type StatusTarget, type StatusMutation } from '../runtime/status-writer.js';

/** A mutation of a fresh copy of the run: returns the events to journal, or null for "no change". */
export type RunMutation = StatusMutation<Run>;

/** Where a Run's status and events go: its session's journal, each event naming the run. */
const runStatus: StatusTarget<Run> = {
  plural: 'runs',
  sessionOf: (run) => run.spec.session,
  eventDefaults: (run) => ({ run: run.metadata.name, runUid: run.metadata.uid }),
};

export class RunWriter {
  private readonly journal: Journal;

  /**
   * `written` hears of every run this writer committed (or found unchanged), before the commit
   * resolves: the session queue counts this process's own writes before their watch events.
   */
  constructor(
    private readonly status: StatusWriter,
    private readonly written: (run: Run) => void = () => undefined,
  ) {
    this.journal = status.journal;
  }

  /** Applies `mutate` to the stored run and commits status + events; resolves the written run (or undefined if gone). */
  async commit(namespace: string, name: string, mutate: RunMutation): Promise<Run | undefined> {
    const run = await this.status.commit(runStatus, namespace, name, mutate);
    if (run) this.written(run);
    return run;
  }

  /** Appends events about a run without changing its status; those naming the run carry its uid. */
  async record(run: { namespace: string; session: string; name: string; uid: string } | Run, events: JournalEventInput[]): Promise<void> {
    const [namespace, session, name, uid] = 'spec' in run ? [run.metadata.namespace!, run.spec.session, run.metadata.name, run.metadata.uid] : [run.namespace, run.session, run.name, run.uid];
    const stamped = events.map((e) => (e.run === name && uid && !e.runUid ? { ...e, runUid: uid } : e));
    await this.journal.append(sessionKey(namespace, session), stamped);
  }

  /**
   * The tool calls of a run that were invoked (or replayed) but never reported a result: what was
   * in flight when the daemon stopped. Read from the journal, the record that survives a kill -9.
   */
  async interruptedToolCalls(run: Run): Promise<string[]> {
    return (await this.toolCallsOf(run)).inFlight;
  }

  /**
   * What the journal says about a run's tool calls: those in flight (invoked, no result — a call
   * still waiting for its approval never started, so it is not among them: it is simply asked
   * again) and how many finished.
   */
  async toolCallsOf(run: Run): Promise<{ inFlight: string[]; finished: number }> {
    const open = new Set<string>();
    // Approval name → the call it decides; the call has not started until its approval lets it
    // (those events name the approval, not always the call). Refused or canceled, it never did.
    const awaiting = new Map<string, string>();
    let finished = 0;
    const key = sessionKey(run.metadata.namespace!, run.spec.session);
    for (let after = 0; ; ) {
      const page = await this.journal.read(key, { after, limit: 10_000, run: run.metadata.name!, types: ['tool.', 'approval.'] });
      for (const e of page.events) {
        const { callId, approval } = (e.payload ?? {}) as { callId?: string; approval?: string };
        if (e.type === 'approval.requested' && approval && callId) awaiting.set(approval, callId);
        else if (e.type.startsWith('approval.')) {
          if (approval && startsTheCall(e.type, e.payload)) awaiting.delete(approval);
        } else if (!callId) continue;
        else if (e.type === 'tool.invoked' || e.type === 'tool.replayed') open.add(callId);
        else if (e.type.startsWith('tool.') && open.delete(callId)) finished++;
      }
      if (!page.hasMore) {
        const unstarted = new Set(awaiting.values());
        return { inFlight: [...open].filter((id) => !unstarted.has(id)), finished };
      }
      after = page.next;
    }
  }
}

/** Whether a settled approval's journal event let its tool call run. */
function startsTheCall(type: string, payload: unknown): boolean {
  return type === 'approval.approved' || (type === 'approval.expired' && (payload as { onExpiry?: string } | undefined)?.onExpiry === 'Approve');
}
