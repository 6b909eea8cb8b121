import { describe, expect, test } from '@jest/globals';
import type { Approval } from '../../resources/kinds/approval.js';
import type { Run } from '../../resources/kinds/run.js';
import { parseDuration } from './children.js';
import { agentCheckPasses, approvalGate, humanWork, runWork, stepWork } from './outcomes.js';

const run = (status: Run['status']) => ({ metadata: { name: 'wf-a-1' }, spec: {}, status }) as Run;
const approval = (status: Approval['status'], spec: Partial<Approval['spec']> = {}) => ({ metadata: { name: 'wf-a-1' }, spec: { onExpiry: 'Reject', ...spec }, status }) as Approval;

describe('runWork', () => {
  test('a completed run gives its summary, branch, head and diff as outputs', () => {
    const out = runWork(run({ phase: 'Completed', summary: 'done', workspace: { branch: 'sidekicks/s/wf-a-1', headCommit: 'abc', baseCommit: 'base' }, diff: { files: 2, insertions: 5, deletions: 1, artifact: 'wf-a-1-diff' } }));
    expect(out).toEqual({
      state: 'Succeeded',
      outputs: { run: 'wf-a-1', summary: 'done', branch: 'sidekicks/s/wf-a-1', headCommit: 'abc', baseCommit: 'base', diff: '2 files changed, +5 -1 (artifact wf-a-1-diff)', filesChanged: '2', insertions: '5', deletions: '1', diffArtifact: 'wf-a-1-diff' },
    });
  });

  test.each<[string, Run | undefined, string]>([
    ['no run yet', undefined, 'Pending'],
    ['a running run', run({ phase: 'Running' }), 'Pending'],
    ['a failed run', run({ phase: 'Failed', reason: 'ScriptFailed', message: 'no' }), 'Failed'],
    ['an interrupted run', run({ phase: 'Interrupted', reason: 'ParentEnded' }), 'Failed'],
    ['a canceled run', run({ phase: 'Canceled', reason: 'Canceled' }), 'Failed'],
  ])('%s', (_, r, state) => {
    expect(runWork(r).state).toBe(state);
  });

  test('the failure names the run and its reason', () => {
    expect(runWork(run({ phase: 'Failed', reason: 'ScriptFailed', message: 'no' }))).toEqual({ state: 'Failed', reason: 'ScriptFailed', message: 'run wf-a-1 ended Failed: no' });
    expect(runWork(run({ phase: 'Canceled' }))).toEqual({ state: 'Failed', reason: 'RunCanceled', message: 'run wf-a-1 ended Canceled' });
  });
});

test('stepWork: exit code and output tail; a non-zero exit fails with the last line', () => {
  expect(stepWork({ ok: true, exitCode: 0, output: 'fine\n', branch: 'b', headCommit: 'h', stats: { files: 1, insertions: 2, deletions: 0 } })).toEqual({
    state: 'Succeeded',
    outputs: { output: 'fine\n', exitCode: '0', branch: 'b', headCommit: 'h', diff: '1 file changed, +2 -0' },
  });
  expect(stepWork({ ok: false, exitCode: 2, output: 'a\nmissing file\n[exit code 2]' })).toMatchObject({ state: 'Failed', reason: 'CommandFailed', message: 'exit code 2: [exit code 2]' });
  expect((stepWork({ ok: true, exitCode: 0, output: 'x'.repeat(5000) + 'END' }) as { outputs: Record<string, string> }).outputs.output).toHaveLength(4096);
});

describe('humanWork and approvalGate', () => {
  test('an approved Human phase gives the answer (the decision reason) and who gave it', () => {
    expect(humanWork(approval({ phase: 'Approved', decidedBy: 'alice' }, { decision: { verdict: 'Approved', reason: 'use JWT' } }), undefined)).toEqual({
      state: 'Succeeded',
      outputs: { answer: 'use JWT', decidedBy: 'alice' },
    });
  });

  test('an expired Human phase fails, or continues with timeoutBehavior Continue', () => {
    const expired = approval({ phase: 'Expired' }, { expiresAt: '2030-01-01T00:00:00Z' });
    expect(humanWork(expired, { prompt: 'p', timeoutBehavior: 'Fail' })).toMatchObject({ state: 'Failed', reason: 'Expired' });
    expect(humanWork(expired, { prompt: 'p', timeoutBehavior: 'Continue' })).toMatchObject({ state: 'Succeeded', outputs: { answer: '', expired: 'true' } });
  });

  test.each<[string, Approval | undefined, string]>([
    ['no approval yet', undefined, 'Running'],
    ['pending', approval({ phase: 'Pending' }), 'Running'],
    ['approved', approval({ phase: 'Approved', decidedBy: 'bob' }), 'Passed'],
    ['rejected', approval({ phase: 'Rejected', decidedBy: 'bob' }), 'Failed'],
    ['expired, onExpiry Approve', approval({ phase: 'Expired' }, { onExpiry: 'Approve' }), 'Passed'],
    ['expired, onExpiry Reject', approval({ phase: 'Expired' }), 'Failed'],
  ])('a gate approval %s', (_, a, state) => {
    expect(approvalGate(a).state).toBe(state);
  });
});

test.each<[string, boolean]>([
  ['PASS', true],
  ['All tests pass.', true],
  ['passed with warnings', true],
  ['FAIL: the greeting is wrong', false],
  ['this does not pass, it fails', false],
  ['looks good', false],
])('agentCheckPasses(%j) = %s', (summary, expected) => {
  expect(agentCheckPasses(summary)).toBe(expected);
});

test.each<[string, number | undefined]>([
  ['90s', 90_000],
  ['1h30m', 5_400_000],
  ['500ms', 500],
  ['1.5h', 5_400_000],
  ['soon', undefined],
  ['', undefined],
])('parseDuration(%j)', (text, ms) => {
  expect(parseDuration(text)).toBe(ms);
});
