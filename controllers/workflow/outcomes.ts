/**
 * What a child says about its attempt: a Run, a command step, an Approval or a Channel read as a
 * work or gate outcome, with the outputs later phases reference (`{{phases.P.outputs.K}}`). Pure.
 */
import type { Approval } from '../../resources/kinds/approval.js';
import type { Channel } from '../../resources/kinds/channel.js';
import { isTerminalPhase, type Run } from '../../resources/kinds/run.js';
import type { HumanPhase } from '../../resources/kinds/workflowtemplate.js';
import type { Static } from '@sinclair/typebox';
import type { GateOutcome, WorkOutcome } from './plan.js';
import type { StepResult } from './steps.js';

/** The tail of command output kept as the `output` output (the journal has more). */
export const OUTPUT_TAIL = 4096;

/** The outputs of a completed run: its summary, where its work landed, and its diff. */
export function runOutputs(run: Run): Record<string, string> {
  const s = run.status ?? {};
  const ws = s.workspace ?? {};
  const d = s.diff;
  const out: Record<string, string> = { run: run.metadata.name!, summary: s.summary ?? '' };
  if (ws.branch) out.branch = ws.branch;
  if (ws.headCommit) out.headCommit = ws.headCommit;
  if (ws.baseCommit) out.baseCommit = ws.baseCommit;
  if (d) {
    out.diff = `${d.files ?? 0} file${d.files === 1 ? '' : 's'} changed, +${d.insertions ?? 0} -${d.deletions ?? 0}${d.artifact ? ` (artifact ${d.artifact})` : ''}`;
    out.filesChanged = String(d.files ?? 0);
    out.insertions = String(d.insertions ?? 0);
    out.deletions = String(d.deletions ?? 0);
    if (d.artifact) out.diffArtifact = d.artifact;
  }
  return out;
}

/** The reason a phase gets from a run that ended other than Completed, when the run names none. */
const RUN_ENDED_REASON: Readonly<Record<string, string>> = { Failed: 'RunFailed', Interrupted: 'RunInterrupted', Canceled: 'RunCanceled' };

/**
 * An Agent phase's Run: Succeeded when Completed, Failed when it failed, was interrupted or was
 * canceled (a canceled run did not do the phase's work: the phase failed, and the workflow's
 * retry and join policies decide what follows, as for any failure).
 */
export function runWork(run: Run | undefined): WorkOutcome {
  const phase = run?.status?.phase;
  if (!run || phase === undefined) return { state: 'Pending' };
  if (phase === 'Completed') return { state: 'Succeeded', outputs: runOutputs(run) };
  if (isTerminalPhase(phase)) {
    return { state: 'Failed', reason: run.status?.reason ?? RUN_ENDED_REASON[phase]!, message: `run ${run.metadata.name} ended ${phase}${run.status?.message ? `: ${run.status.message}` : ''}` };
  }
  return { state: 'Pending' };
}

function tail(text: string): string {
  return text.length <= OUTPUT_TAIL ? text : text.slice(text.length - OUTPUT_TAIL);
}

/** An Automated phase's command: Succeeded on exit 0, with `exitCode`, the `output` tail and where its commit landed. */
export function stepWork(r: StepResult): WorkOutcome {
  const outputs: Record<string, string> = { output: tail(r.output), ...(r.exitCode !== undefined ? { exitCode: String(r.exitCode) } : {}) };
  if (r.branch) outputs.branch = r.branch;
  if (r.headCommit) outputs.headCommit = r.headCommit;
  if (r.stats) outputs.diff = `${r.stats.files} file${r.stats.files === 1 ? '' : 's'} changed, +${r.stats.insertions} -${r.stats.deletions}`;
  if (r.ok) return { state: 'Succeeded', outputs };
  const last = r.output.trim().split('\n').slice(-1)[0] ?? '';
  return { state: 'Failed', reason: r.exitCode !== undefined ? 'CommandFailed' : 'StepFailed', message: r.exitCode !== undefined ? `exit code ${r.exitCode}: ${last}` : last };
}

/** A Human phase's Approval: the answer is the decision's reason (`sidekick approve NAME --reason ANSWER`). */
export function humanWork(approval: Approval | undefined, human: Static<typeof HumanPhase> | undefined): WorkOutcome {
  const s = approval?.status;
  switch (s?.phase) {
    case 'Approved':
      return { state: 'Succeeded', outputs: { answer: approval!.spec.decision?.reason ?? '', decidedBy: s.decidedBy ?? '' } };
    case 'Rejected':
      return { state: 'Failed', reason: 'Rejected', message: `rejected by ${s.decidedBy ?? 'a reviewer'}${approval!.spec.decision?.reason ? `: ${approval!.spec.decision.reason}` : ''}` };
    case 'Expired':
      if (human?.timeoutBehavior === 'Continue') return { state: 'Succeeded', outputs: { answer: '', expired: 'true' }, message: 'no answer before the timeout; continuing' };
      return { state: 'Failed', reason: 'Expired', message: `no answer before ${approval!.spec.expiresAt}` };
    case 'Canceled':
      return { state: 'Failed', reason: 'Canceled', message: s.message ?? 'the approval was canceled' };
    default:
      return { state: 'Pending' };
  }
}

/** A HumanApproval gate's Approval (an expiry decides per onExpiry). */
export function approvalGate(approval: Approval | undefined): GateOutcome {
  const s = approval?.status;
  const why = approval?.spec.decision?.reason ? `: ${approval.spec.decision.reason}` : '';
  switch (s?.phase) {
    case 'Approved':
      return { state: 'Passed', result: `approved by ${s.decidedBy ?? 'a reviewer'}${why}` };
    case 'Rejected':
      return { state: 'Failed', result: `rejected by ${s.decidedBy ?? 'a reviewer'}${why}` };
    case 'Expired':
      return approval!.spec.onExpiry === 'Approve' ? { state: 'Passed', result: 'approved on expiry' } : { state: 'Failed', result: `expired at ${approval!.spec.expiresAt} without a decision` };
    case 'Canceled':
      return { state: 'Failed', result: s.message ?? 'the approval was canceled' };
    default:
      return { state: 'Running' };
  }
}

/** A MultiAgent phase's Channel: done when it is Muted (its turns are taken). */
export function channelWork(channel: Channel | undefined): WorkOutcome {
  const s = channel?.status;
  if (s?.phase === 'Muted') return { state: 'Succeeded', outputs: { channel: channel!.metadata.name!, turns: String(s.turn ?? 0), messages: String(s.messages ?? 0) } };
  if (s?.phase === 'Archived') return { state: 'Failed', reason: 'ChannelArchived', message: `channel ${channel!.metadata.name} was archived before its turns were done` };
  return { state: 'Pending' };
}

/**
 * The verdict of an agent check: the reviewing agent's summary must say pass and not fail
 * ("PASS", "the tests pass"); anything else fails the check.
 */
export function agentCheckPasses(summary: string | undefined): boolean {
  const text = summary ?? '';
  return /\bpass(es|ed)?\b/i.test(text) && !/\bfail/i.test(text);
}
