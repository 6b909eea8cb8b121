/**
 * Which notifications a sink owes, as a pure function of the world: the Approvals that wait on a
 * person (Pending) and the runs that failed, filtered by the sink's session and events. Each one
 * carries its dedupe key (`<object uid>/<event>`), what waits, and the exact command that answers
 * it, so every transport (Slack text, the Generic body, a desktop notification) says the same.
 */
import type { Approval } from '../../resources/kinds/approval.js';
import type { NotificationEvent, NotificationSink } from '../../resources/kinds/notificationsink.js';
import type { Run } from '../../resources/kinds/run.js';

/** A failed run older than this is not news: it is neither notified nor remembered. */
export const RUN_FAILED_WINDOW_MS = 24 * 3600_000;

/** One notification a sink owes. */
export interface Notification {
  /** `<object uid>/<event>`: a notification is delivered once per key. */
  key: string;
  event: NotificationEvent;
  namespace: string;
  session: string;
  /** What it is about, as kind/name (`approval/hello-x7k2q`, `run/hello`). */
  object: string;
  run?: string;
  approval?: string;
  workflow?: string;
  /** One line: what waits (or what failed). */
  summary: string;
  /** The command that answers it (for a failed run: the one that shows why). */
  command: string;
  /** When it happened (RFC 3339): the approval's creation, the run's end. */
  time: string;
}

/** The event a Pending approval is: a question, a workflow's gate, or a run's request. */
export function approvalEvent(a: Approval): NotificationEvent {
  if (a.spec.category === 'UserInput') return 'InputRequested';
  if (a.spec.category === 'Gate' || a.spec.category === 'HumanPhaseContribution') return 'GateWaiting';
  return 'ApprovalRequested';
}

/** ` -n <ns>` outside the default namespace, so a pasted command reaches the right object. */
function inNamespace(ns: string): string {
  return ns === 'default' ? '' : ` -n ${ns}`;
}

/** The command that answers a Pending approval. */
export function answerCommand(a: Approval): string {
  const ns = inNamespace(a.metadata.namespace ?? 'default');
  const name = a.metadata.name!;
  if (a.spec.category === 'UserInput' && a.spec.run) return `sidekick respond run/${a.spec.run}${ns} -m "<answer>"`;
  if (a.spec.category === 'HumanPhaseContribution') return `sidekick approve ${name}${ns} --reason "<answer>"`;
  return `sidekick approve ${name}${ns}`;
}

function approvalSummary(a: Approval): string {
  const r = a.spec.request;
  const what = r?.summary ?? r?.command ?? r?.path ?? r?.url ?? r?.tool ?? a.spec.category;
  const who = a.spec.run ? `run ${a.spec.run}` : a.spec.workflow ? `workflow ${a.spec.workflow}${a.spec.phase ? ` (phase ${a.spec.phase})` : ''}` : `session ${a.spec.session}`;
  switch (approvalEvent(a)) {
    case 'InputRequested':
      return `${who} asks: ${what}`;
    case 'GateWaiting':
      return `${who} waits for you: ${what}`;
    default:
      return `${who} asks to ${a.spec.category === 'ToolExecution' ? 'run' : `do (${a.spec.category})`}: ${what}`;
  }
}

function fromApproval(a: Approval): Notification {
  const event = approvalEvent(a);
  return {
    key: `${a.metadata.uid}/${event}`,
    event,
    namespace: a.metadata.namespace!,
    session: a.spec.session,
    object: `approval/${a.metadata.name}`,
    ...(a.spec.run ? { run: a.spec.run } : {}),
    approval: a.metadata.name!,
    ...(a.spec.workflow ? { workflow: a.spec.workflow } : {}),
    summary: approvalSummary(a),
    command: answerCommand(a),
    time: a.metadata.creationTimestamp ?? '',
  };
}

function fromFailedRun(r: Run): Notification {
  const why = [r.status?.reason, r.status?.message].filter(Boolean).join(': ');
  return {
    key: `${r.metadata.uid}/RunFailed`,
    event: 'RunFailed',
    namespace: r.metadata.namespace!,
    session: r.spec.session,
    object: `run/${r.metadata.name}`,
    run: r.metadata.name!,
    summary: `run ${r.metadata.name} failed${why ? `: ${why}` : ''}`,
    command: `sidekick logs run/${r.metadata.name}${inNamespace(r.metadata.namespace ?? 'default')}`,
    time: r.status?.finishedAt ?? '',
  };
}

/**
 * Whether a failed run is news to the sink: it failed once the sink existed (a new sink does not
 * announce last week's failures) and within {@link RUN_FAILED_WINDOW_MS} of `now`. A pending
 * approval, by contrast, is notified whenever it is found: it still waits.
 */
function failureIsNews(r: Run, sink: NotificationSink, now: number): boolean {
  const at = Date.parse(r.status?.finishedAt ?? '');
  const since = Date.parse(sink.metadata.creationTimestamp ?? '');
  return Number.isFinite(at) && (!Number.isFinite(since) || at >= since) && now - at < RUN_FAILED_WINDOW_MS;
}

/** The world a sink's notifications are derived from (its namespace's approvals and runs). */
export interface NotificationWorld {
  approvals: readonly Approval[];
  runs: readonly Run[];
  now: number;
}

/** Every notification `sink` owes now, oldest first (delivered ones included: dedupe is the caller's). */
export function notificationsFor(sink: NotificationSink, world: NotificationWorld): Notification[] {
  const ns = sink.metadata.namespace;
  const wanted = new Set<NotificationEvent>(sink.spec.events);
  const mine = (o: { metadata: { namespace?: string; deletionTimestamp?: string }; spec: { session: string } }) =>
    o.metadata.namespace === ns && !o.metadata.deletionTimestamp && (!sink.spec.session || o.spec.session === sink.spec.session);
  const out: Notification[] = [];
  for (const a of world.approvals) if (mine(a) && a.status?.phase === 'Pending' && wanted.has(approvalEvent(a))) out.push(fromApproval(a));
  if (wanted.has('RunFailed')) for (const r of world.runs) if (mine(r) && r.status?.phase === 'Failed' && failureIsNews(r, sink, world.now)) out.push(fromFailedRun(r));
  return out.sort((x, y) => x.time.localeCompare(y.time) || x.key.localeCompare(y.key));
}
