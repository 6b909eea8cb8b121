import { describe, expect, it } from '@jest/globals';
import type { Approval } from '../../resources/kinds/approval.js';
import type { NotificationSink } from '../../resources/kinds/notificationsink.js';
import type { Run } from '../../resources/kinds/run.js';
import { notificationsFor, RUN_FAILED_WINDOW_MS } from './notifications.js';

const V = 'sidekicks.dev/v1alpha1';
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function sink(spec: Partial<NotificationSink['spec']> = {}, ns = 'default'): NotificationSink {
  return {
    apiVersion: V,
    kind: 'NotificationSink',
    metadata: { name: 'k', namespace: ns, creationTimestamp: iso(NOW - 3600_000) },
    spec: { events: ['ApprovalRequested', 'InputRequested', 'GateWaiting', 'RunFailed'], maxAttempts: 5, timeoutSeconds: 10, desktop: {}, ...spec },
  } as NotificationSink;
}

function approval(name: string, spec: Partial<Approval['spec']>, phase = 'Pending', ns = 'default'): Approval {
  return {
    apiVersion: V,
    kind: 'Approval',
    metadata: { name, namespace: ns, uid: `uid-${name}`, creationTimestamp: iso(NOW - 60_000) },
    spec: { session: 's1', category: 'ToolExecution', onExpiry: 'Reject', ...spec },
    status: { phase },
  } as Approval;
}

function run(name: string, phase: string, finishedAt?: number, session = 's1'): Run {
  return {
    apiVersion: V,
    kind: 'Run',
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: { session, agent: 'a', prompt: 'p' },
    status: { phase, reason: 'ProviderError', message: 'HTTP 500', ...(finishedAt !== undefined ? { finishedAt: iso(finishedAt) } : {}) },
  } as Run;
}

describe('notificationsFor', () => {
  const world = {
    approvals: [
      approval('tool-1', { run: 'r1', request: { command: 'npm install left-pad', summary: 'npm install left-pad' } }),
      approval('ask-1', { run: 'r1', category: 'UserInput', request: { summary: 'Keep the old API?' } }),
      approval('gate-1', { workflow: 'wf', phase: 'review', category: 'Gate', request: { summary: 'Ship it?' } }),
      approval('human-1', { workflow: 'wf', phase: 'ask', category: 'HumanPhaseContribution', request: { summary: 'Which name?' } }),
      approval('decided', { run: 'r1' }, 'Approved'),
      approval('other-session', { session: 's2', run: 'r9' }),
      approval('other-ns', { run: 'r1' }, 'Pending', 'team'),
    ],
    runs: [run('failed-now', 'Failed', NOW - 1000), run('running', 'Running'), run('failed-before-sink', 'Failed', NOW - 2 * 3600_000), run('failed-s2', 'Failed', NOW - 1000, 's2')],
    now: NOW,
  };

  it.each([
    ['tool-1', 'ApprovalRequested', 'sidekick approve tool-1', 'run r1 asks to run: npm install left-pad'],
    ['ask-1', 'InputRequested', 'sidekick respond run/r1 -m "<answer>"', 'run r1 asks: Keep the old API?'],
    ['gate-1', 'GateWaiting', 'sidekick approve gate-1', 'workflow wf (phase review) waits for you: Ship it?'],
    ['human-1', 'GateWaiting', 'sidekick approve human-1 --reason "<answer>"', 'workflow wf (phase ask) waits for you: Which name?'],
  ])('a Pending approval %s is %s, answered by `%s`', (name, event, command, summary) => {
    const n = notificationsFor(sink({ session: 's1' }), world).find((x) => x.approval === name);
    expect(n).toMatchObject({ key: `uid-${name}/${event}`, event, command, summary, object: `approval/${name}`, session: 's1', namespace: 'default' });
  });

  it('notifies a run that failed since the sink exists, and says how to see why', () => {
    const n = notificationsFor(sink(), world).filter((x) => x.event === 'RunFailed');
    expect(n.map((x) => x.run)).toEqual(['failed-now', 'failed-s2']);
    expect(n[0]).toMatchObject({ key: 'uid-failed-now/RunFailed', summary: 'run failed-now failed: ProviderError: HTTP 500', command: 'sidekick logs run/failed-now', object: 'run/failed-now' });
  });

  it('forgets a failure older than the window', () => {
    const old = { ...world, now: NOW + RUN_FAILED_WINDOW_MS };
    expect(notificationsFor(sink(), old).filter((x) => x.event === 'RunFailed')).toEqual([]);
  });

  it('keeps to its session, its namespace and its events; leaves out what no longer waits', () => {
    const all = notificationsFor(sink(), world).map((x) => x.object);
    expect(all).toEqual(expect.arrayContaining(['approval/other-session', 'run/failed-s2']));
    expect(all).not.toContain('approval/decided');
    expect(all).not.toContain('approval/other-ns');
    const s1 = notificationsFor(sink({ session: 's1' }), world).map((x) => x.object);
    expect(s1).not.toContain('approval/other-session');
    expect(s1).not.toContain('run/failed-s2');
    const onlyQuestions = notificationsFor(sink({ events: ['InputRequested'] }), world);
    expect(onlyQuestions.map((x) => x.object)).toEqual(['approval/ask-1']);
  });

  it('names the namespace in the command outside default', () => {
    const n = notificationsFor(sink({}, 'team'), world);
    expect(n.map((x) => x.command)).toEqual(['sidekick approve other-ns -n team']);
  });
});
