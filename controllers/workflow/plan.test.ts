import { describe, expect, test } from '@jest/globals';
import type { WorkflowStatus } from '../../resources/kinds/workflow.js';
import type { WorkflowTemplateSpec } from '../../resources/kinds/workflowtemplate.js';
import { phaseGraph } from '../../resources/workflow/graph.js';
import { endPlan, goBackRange, joinOutcome, MAX_TRANSITIONS, planWorkflow, readyPhases, type PhaseObservation, type PlanInput, type PhaseStatus } from './plan.js';

type PhaseDef = Partial<WorkflowTemplateSpec['phases'][number]> & { name: string };

function template(phases: PhaseDef[], extra: Partial<WorkflowTemplateSpec> = {}): WorkflowTemplateSpec {
  return {
    phases: phases.map((p) => ({ type: 'Agent' as const, agent: 'dev', prompt: `do ${p.name}`, retries: 0, ...p })),
    joinPolicy: 'FailFast',
    maxConcurrentPhases: 4,
    ...extra,
  };
}

const T0 = new Date('2030-01-01T00:00:00Z');
const later = (s: number) => new Date(T0.getTime() + s * 1000);

function plan(tpl: WorkflowTemplateSpec, status: WorkflowStatus | undefined, observed: Record<string, PhaseObservation> = {}, more: Partial<PlanInput> = {}) {
  return planWorkflow({ name: 'wf', template: tpl, digest: 'sha256:x', status, suspend: false, observed, now: later(1), ...more });
}

/** The phase of every phase, compactly. */
function phasesOf(status: WorkflowStatus): Record<string, string> {
  return Object.fromEntries(Object.entries(status.phases ?? {}).map(([n, p]) => [n, `${p.phase}#${p.attempts}`]));
}

const types = (events: { type: string; payload: Record<string, unknown> }[]) => events.map((e) => `${e.type.replace('workflow.', '')}${e.payload.phase ? `:${e.payload.phase}` : ''}`);
const ok = (outputs: Record<string, string> = {}): PhaseObservation => ({ work: { state: 'Succeeded', outputs } });
const failed = (reason = 'RunFailed', message = 'boom'): PhaseObservation => ({ work: { state: 'Failed', reason, message } });

/** Drives a workflow pass by pass: each step says what the running phases' children report. */
function drive(tpl: WorkflowTemplateSpec, steps: Record<string, PhaseObservation>[]) {
  let status: WorkflowStatus | undefined;
  const log: string[] = [];
  steps.forEach((observed, i) => {
    const p = plan(tpl, status, observed, { now: later(i + 1) });
    status = p.status;
    log.push(...types(p.events));
  });
  return { status: status!, log };
}

describe('planWorkflow: starting phases', () => {
  test('the first pass admits the workflow and starts the independent phases in declaration order, up to maxConcurrentPhases', () => {
    const p = plan(template([{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd', dependsOn: ['a'] }], { maxConcurrentPhases: 2 }), undefined);
    expect(phasesOf(p.status)).toEqual({ a: 'Running#1', b: 'Running#1', c: 'Pending#0', d: 'Pending#0' });
    expect(types(p.events)).toEqual(['admitted', 'phase_admitted:a', 'phase_started:a', 'phase_admitted:b', 'phase_started:b']);
    expect(p.status).toMatchObject({ phase: 'Running', templateDigest: 'sha256:x', transitions: 2, startedAt: '2030-01-01T00:00:01Z' });
    expect(p.status.phases!.a!.runs).toEqual(['wf-a-1']);
  });

  test('a phase starts only after its dependency succeeded, in the same pass and after the completion event', () => {
    const tpl = template([{ name: 'a' }, { name: 'b', dependsOn: ['a'] }]);
    const first = plan(tpl, undefined);
    const second = plan(tpl, first.status, { a: ok({ summary: 'planned' }) });
    expect(phasesOf(second.status)).toEqual({ a: 'Succeeded#1', b: 'Running#1' });
    expect(types(second.events)).toEqual(['phase_completed:a', 'phase_admitted:b', 'phase_started:b']);
    expect(second.status.phases!.a!.outputs).toEqual({ summary: 'planned' });
  });

  test('a freed slot goes to the next ready phase', () => {
    const tpl = template([{ name: 'a' }, { name: 'b' }, { name: 'c' }], { maxConcurrentPhases: 1 });
    const { status, log } = drive(tpl, [{}, { a: ok() }, { b: ok() }]);
    expect(phasesOf(status)).toEqual({ a: 'Succeeded#1', b: 'Succeeded#1', c: 'Running#1' });
    expect(log.filter((e) => e.startsWith('phase_started') || e.startsWith('phase_completed'))).toEqual([
      'phase_started:a',
      'phase_completed:a',
      'phase_started:b',
      'phase_completed:b',
      'phase_started:c',
    ]);
  });

  test('nothing changes while the children have not reported', () => {
    const tpl = template([{ name: 'a' }]);
    const first = plan(tpl, undefined);
    const again = plan(tpl, first.status, { a: { work: { state: 'Pending' } } });
    expect(again.events).toEqual([]);
    expect(again.status).toEqual(first.status);
  });
});

describe('planWorkflow: gates', () => {
  const checked = (onFailure: 'Retry' | 'GoBackTo' | 'Stop', retries = 2) =>
    template([
      { name: 'plan' },
      { name: 'implement', dependsOn: ['plan'], retries, gate: { type: 'QualityChecks', checks: [{ command: 'sh test.sh' }], onFailure, ...(onFailure === 'GoBackTo' ? { goBackTo: 'implement' } : {}) } },
      { name: 'review', dependsOn: ['implement'] },
    ]);
  const gateFailed: PhaseObservation = { gate: { state: 'Failed', result: 'check sh test.sh failed (exit code 1)' } };

  test('QualityChecks: the work done, the gate runs; a passing gate is resolved before the phase completes', () => {
    const { status, log } = drive(checked('Stop'), [{}, { plan: ok() }, { implement: ok({ headCommit: 'c1' }) }, { implement: { gate: { state: 'Passed', result: '1 check passed' } } }]);
    expect(phasesOf(status)).toEqual({ plan: 'Succeeded#1', implement: 'Succeeded#1', review: 'Running#1' });
    expect(status.phases!.implement!.gate).toEqual({ state: 'Passed', result: '1 check passed' });
    expect(log.slice(-4)).toEqual(['gate_resolved:implement', 'phase_completed:implement', 'phase_admitted:review', 'phase_started:review']);
  });

  test('GoBackTo implement, at most `retries` times: the third failure fails the phase and the workflow', () => {
    const tpl = checked('GoBackTo', 2);
    const { status, log } = drive(tpl, [{}, { plan: ok() }, { implement: ok() }, { implement: gateFailed }, { implement: ok() }, { implement: gateFailed }, { implement: ok() }, { implement: gateFailed }]);
    expect(log.filter((e) => e.startsWith('phase_started:implement'))).toHaveLength(3);
    expect(log.filter((e) => e === 'phase_retried:implement')).toHaveLength(2);
    expect(status.phases!.implement).toMatchObject({ phase: 'Failed', attempts: 3, runs: ['wf-implement-1', 'wf-implement-2', 'wf-implement-3'] });
    expect(status.phase).toBe('Failed');
    expect(status.phases!.review!.phase).toBe('Skipped');
    expect(log.slice(-4)).toEqual(['gate_resolved:implement', 'phase_failed:implement', 'phase_skipped:review', 'failed']);
  });

  test('Retry starts a new attempt of the phase right away, gate resolved first', () => {
    const { status, log } = drive(checked('Retry', 1), [{}, { plan: ok() }, { implement: ok() }, { implement: gateFailed }]);
    expect(phasesOf(status)).toEqual({ plan: 'Succeeded#1', implement: 'Running#2', review: 'Pending#0' });
    expect(log.slice(-4)).toEqual(['gate_resolved:implement', 'phase_retried:implement', 'phase_admitted:implement', 'phase_started:implement']);
  });

  test('Stop ends the workflow at once, cancelling running siblings', () => {
    const tpl = template([{ name: 'a', gate: { type: 'HumanApproval', onFailure: 'Stop' } }, { name: 'b' }], { joinPolicy: 'AllSettled' });
    const { status } = drive(tpl, [{}, { a: ok() }, { a: { gate: { state: 'Failed', result: 'rejected by alice' } } }]);
    expect(phasesOf(status)).toEqual({ a: 'Failed#1', b: 'Cancelled#1' });
    expect(status.message).toBe('GateFailed: phase a: gate failed (onFailure Stop): rejected by alice');
  });

  test('AutoContinue with a declared gate records the gate as passed', () => {
    const tpl = template([{ name: 'a', gate: { type: 'AutoContinue', onFailure: 'Stop' } }]);
    const { status, log } = drive(tpl, [{}, { a: ok() }]);
    expect(status.phases!.a!.gate).toEqual({ state: 'Passed', result: 'AutoContinue' });
    expect(log.slice(-3)).toEqual(['gate_resolved:a', 'phase_completed:a', 'completed']);
  });
});

describe('goBackRange', () => {
  // plan → implement → test → review; implement → docs (another line from implement).
  const g = phaseGraph(template([{ name: 'plan' }, { name: 'implement', dependsOn: ['plan'] }, { name: 'test', dependsOn: ['implement'] }, { name: 'docs', dependsOn: ['implement'] }, { name: 'review', dependsOn: ['test'] }]));
  test.each<[string, string, string[]]>([
    ['implement', 'implement', ['implement']],
    ['implement', 'review', ['implement', 'test', 'review']],
    ['plan', 'test', ['plan', 'implement', 'test']],
  ])('back to %s from %s', (target, from, expected) => {
    expect(goBackRange(g, target, from)).toEqual(expected);
  });

  test('GoBackTo resets the phases between, keeps other lines, and keeps outputs until the new attempt writes them', () => {
    const tpl = template([
      { name: 'implement' },
      { name: 'test', dependsOn: ['implement'] },
      { name: 'docs', dependsOn: ['implement'] },
      { name: 'review', dependsOn: ['test'], retries: 1, gate: { type: 'QualityChecks', checks: [{ command: 'x' }], onFailure: 'GoBackTo', goBackTo: 'implement' } },
    ]);
    const { status, log } = drive(tpl, [{}, { implement: ok({ headCommit: 'c1' }) }, { test: ok(), docs: ok() }, { review: ok() }, { review: { gate: { state: 'Failed', result: 'no' } } }]);
    expect(phasesOf(status)).toEqual({ implement: 'Running#2', test: 'Pending#1', docs: 'Succeeded#1', review: 'Pending#1' });
    expect(status.phases!.implement!.outputs).toEqual({ headCommit: 'c1' });
    expect(log.slice(-6)).toEqual(['gate_resolved:review', 'phase_retried:implement', 'phase_retried:test', 'phase_retried:review', 'phase_admitted:implement', 'phase_started:implement']);
  });
});

describe('planWorkflow: failures and join policies', () => {
  test('a failed run is retried while retries allow, then fails the phase', () => {
    const tpl = template([{ name: 'a', retries: 1 }]);
    const { status, log } = drive(tpl, [{}, { a: failed() }, { a: failed('ScriptFailed', 'again') }]);
    expect(status.phases!.a).toMatchObject({ phase: 'Failed', attempts: 2, message: 'ScriptFailed: again' });
    expect(log).toEqual(['admitted', 'phase_admitted:a', 'phase_started:a', 'phase_retried:a', 'phase_admitted:a', 'phase_started:a', 'phase_failed:a', 'failed']);
  });

  test('FailFast: a failure cancels running siblings (SiblingFailure) and skips what never started', () => {
    const tpl = template([{ name: 'slow' }, { name: 'broken' }, { name: 'after', dependsOn: ['slow'] }]);
    const { status, log } = drive(tpl, [{}, { broken: failed('ScriptFailed', 'no') }]);
    expect(phasesOf(status)).toEqual({ slow: 'Cancelled#1', broken: 'Failed#1', after: 'Skipped#0' });
    expect(status.phases!.slow!.message).toBe('SiblingFailure: phase broken failed (joinPolicy FailFast)');
    expect(status).toMatchObject({ phase: 'Failed', message: 'PhaseFailed: phase broken failed (joinPolicy FailFast)' });
    expect(log.slice(-4)).toEqual(['phase_failed:broken', 'phase_cancelled:slow', 'phase_skipped:after', 'failed']);
  });

  test('AllSettled: dependents of a failure are skipped, the rest runs, and the workflow fails at the end', () => {
    const tpl = template([{ name: 'a' }, { name: 'b', dependsOn: ['a'] }, { name: 'c' }], { joinPolicy: 'AllSettled' });
    const mid = drive(tpl, [{}, { a: failed() }]);
    expect(phasesOf(mid.status)).toEqual({ a: 'Failed#1', b: 'Skipped#0', c: 'Running#1' });
    expect(mid.status.phase).toBe('Running');
    const end = plan(tpl, mid.status, { c: ok() });
    expect(end.status).toMatchObject({ phase: 'Failed', message: 'PhaseFailed: phase a failed, b skipped' });
  });

  test.each<[string, Record<string, string>, boolean]>([
    ['every phase succeeded', { a: 'Succeeded', b: 'Succeeded', c: 'Succeeded' }, true],
    ['a terminal branch succeeded', { a: 'Failed', b: 'Skipped', c: 'Succeeded' }, true],
    ['only a non-terminal phase succeeded', { a: 'Succeeded', b: 'Failed', c: 'Failed' }, false],
  ])('AnySuccess: %s', (_, phases, expected) => {
    const tpl = template([{ name: 'a' }, { name: 'b', dependsOn: ['a'] }, { name: 'c' }], { joinPolicy: 'AnySuccess' });
    const status = Object.fromEntries(Object.entries(phases).map(([n, phase]) => [n, { phase } as PhaseStatus]));
    expect(joinOutcome(tpl, status).ok).toBe(expected);
  });
});

describe('planWorkflow: limits', () => {
  test('an attempt past timeoutSeconds fails like its work did (and is retried while retries allow)', () => {
    const tpl = template([{ name: 'a', timeoutSeconds: 60, retries: 1 }]);
    const first = plan(tpl, undefined);
    const p = plan(tpl, first.status, {}, { now: later(62) });
    expect(p.events.find((e) => e.type === 'workflow.phase_retried')?.payload).toMatchObject({ phase: 'a', reason: 'Timeout', message: 'attempt 1 ran longer than 60s' });
    expect(phasesOf(p.status)).toEqual({ a: 'Running#2' });
  });

  test('24 hours after it started the workflow fails DeadlineExceeded', () => {
    const tpl = template([{ name: 'a' }]);
    const first = plan(tpl, undefined);
    const p = plan(tpl, first.status, {}, { now: later(24 * 3600 + 1) });
    expect(p.status).toMatchObject({ phase: 'Failed', message: 'DeadlineExceeded: the workflow ran longer than 24h' });
    expect(p.status.phases!.a!.phase).toBe('Cancelled');
  });

  test(`a start that would pass ${MAX_TRANSITIONS} phase transitions fails the workflow TooManyTransitions`, () => {
    const tpl = template([{ name: 'a' }, { name: 'b', dependsOn: ['a'] }]);
    const first = plan(tpl, undefined);
    // a's completion is transition 100; b's start would be 101.
    const p = plan(tpl, { ...first.status, transitions: MAX_TRANSITIONS - 1 }, { a: ok() });
    expect(p.status.message).toBe(`TooManyTransitions: starting phase b would pass ${MAX_TRANSITIONS} phase transitions`);
    expect(phasesOf(p.status)).toEqual({ a: 'Succeeded#1', b: 'Skipped#0' });
  });
});

describe('planWorkflow: suspend and retry', () => {
  const tpl = template([{ name: 'a' }, { name: 'b', dependsOn: ['a'] }]);

  test('suspend starts nothing new; the running phase finishes; then the workflow is Suspended until resumed', () => {
    const first = plan(tpl, undefined);
    const suspending = plan(tpl, first.status, {}, { suspend: true });
    expect(suspending.status).toMatchObject({ phase: 'Running', message: 'suspending: no new phases start; running phases finish' });
    const suspended = plan(tpl, suspending.status, { a: ok() }, { suspend: true });
    expect(phasesOf(suspended.status)).toEqual({ a: 'Succeeded#1', b: 'Pending#0' });
    expect(suspended.status.phase).toBe('Suspended');
    expect(types(suspended.events)).toEqual(['phase_completed:a', 'suspended']);
    const resumed = plan(tpl, suspended.status);
    expect(phasesOf(resumed.status)).toEqual({ a: 'Succeeded#1', b: 'Running#1' });
    expect(types(resumed.events)).toEqual(['phase_admitted:b', 'phase_started:b', 'resumed']);
    expect(resumed.status.message).toBeUndefined();
  });

  test('retry "*" starts new attempts of the failed phases and their descendants, once', () => {
    const failedRun = drive(tpl, [{}, { a: failed() }]).status;
    expect(failedRun.phase).toBe('Failed');
    const retried = plan(tpl, failedRun, {}, { retry: '*' });
    expect(phasesOf(retried.status)).toEqual({ a: 'Running#2', b: 'Pending#0' });
    expect(retried.status.phase).toBe('Running');
    expect(types(retried.events)).toEqual(['phase_retried:a', 'phase_retried:b', 'retried', 'phase_admitted:a', 'phase_started:a']);
    // The annotation seen again (not removed yet when a crash came) starts nothing more.
    const again = plan(tpl, retried.status, {}, { retry: '*' });
    expect(again.events).toEqual([]);
    expect(phasesOf(again.status)).toEqual({ a: 'Running#2', b: 'Pending#0' });
  });

  test('retry of a named phase resets it and its descendants, even when they succeeded', () => {
    const done = drive(tpl, [{}, { a: ok() }, { b: ok() }]).status;
    expect(done.phase).toBe('Completed');
    const p = plan(tpl, done, {}, { retry: 'b' });
    expect(phasesOf(p.status)).toEqual({ a: 'Succeeded#1', b: 'Running#2' });
  });

  test('retry of an unknown phase is ignored with the reason', () => {
    const p = plan(tpl, plan(tpl, undefined).status, {}, { retry: 'nope' });
    expect(p.retryIgnored).toBe('no phase "nope" in the template (phases: a, b)');
  });
});

test('readyPhases: pending phases whose dependencies all succeeded, in dependency order', () => {
  const tpl = template([{ name: 'x', dependsOn: ['a', 'b'] }, { name: 'a' }, { name: 'b' }, { name: 'y', dependsOn: ['a'] }]);
  const s = (phase: PhaseStatus['phase']) => ({ phase }) as PhaseStatus;
  expect(readyPhases(tpl, { a: s('Succeeded'), b: s('Running'), x: s('Pending'), y: s('Pending') })).toEqual(['y']);
  expect(readyPhases(tpl, { a: s('Succeeded'), b: s('Succeeded'), x: s('Pending'), y: s('Running') })).toEqual(['x']);
});

describe('endPlan', () => {
  const tpl = template([{ name: 'a' }, { name: 'b', dependsOn: ['a'] }]);

  test('a workflow deleted while it runs ends Cancelled: running phases cancelled, waiting ones skipped', () => {
    const running = plan(tpl, undefined).status;
    const p = endPlan('wf', running, { phase: 'Cancelled', reason: 'Deleted', message: 'the workflow was deleted' }, later(5));
    expect(phasesOf(p.status)).toEqual({ a: 'Cancelled#1', b: 'Skipped#0' });
    expect(p.status).toMatchObject({ phase: 'Cancelled', message: 'Deleted: the workflow was deleted', finishedAt: '2030-01-01T00:00:05Z' });
    expect(types(p.events)).toEqual(['phase_cancelled:a', 'phase_skipped:b', 'cancelled']);
  });

  test('a workflow that already ended keeps its end', () => {
    const done = drive(tpl, [{}, { a: ok() }, { b: ok() }]).status;
    const p = endPlan('wf', done, { phase: 'Failed', reason: 'TemplateNotFound', message: 'gone' }, later(9));
    expect(p.events).toEqual([]);
    expect(p.status).toEqual(done);
  });
});
