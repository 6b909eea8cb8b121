/**
 * End to end: the session queue (priorities, maxQueuedRuns), budgets (run tokens, session cost,
 * the 80% Warning, BudgetExhausted) and child runs (spec.parent: one level, three children,
 * interrupted with the parent) against the real daemon with Scripted agents in scratch directories.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { eventually } from '../eventually.js';
import { applyAll, fetchTimeline, GV, runPhase, sidekick, SocketApi, startInProcessDaemon } from './support.js';

const V = 'sidekicks.dev/v1alpha1';

function session(name: string, limits: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: V, kind: 'Session', metadata: { name }, spec: { limits } };
}

function agent(name: string, script: Record<string, unknown>[], spec: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: V, kind: 'Agent', metadata: { name }, spec: { driver: 'Scripted', script, ...spec } };
}

function run(name: string, sessionName: string, agentName: string, spec: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: V, kind: 'Run', metadata: { name }, spec: { session: sessionName, agent: agentName, prompt: `do ${name}`, ...spec } };
}

/** An agent that asks a question and waits for the answer: its run holds a slot until answered. */
const asking = (name: string) => agent(name, [{ say: 'working' }, { ask: 'go on?' }, { say: 'done' }]);

async function phaseOf(client: SocketApi, name: string, phase: string): Promise<NonNullable<Awaited<ReturnType<typeof runPhase>>['status']>> {
  return eventually(async () => {
    const status = (await runPhase(client, name)).status;
    expect(status?.phase).toBe(phase);
    return status!;
  }, { timeoutMs: 20_000 });
}

async function eventsAbout(client: SocketApi, kind: string, name: string): Promise<{ reason: string; message: string; type: string }[]> {
  const list = (await client.raw('GET', `/api/v1/namespaces/default/events?fieldSelector=involvedObject.kind=${kind},involvedObject.name=${name}`)) as {
    items: { reason: string; message: string; type: string }[];
  };
  return list.items;
}

describe('session queue, budgets and child runs (in-process daemon)', () => {
  let dir: string;
  let home: string;
  let client: SocketApi;
  let stop: () => Promise<void>;

  beforeAll(async () => ({ dir, home, client, stop } = await startInProcessDaemon('sidekick-limits-')));
  afterAll(() => stop());

  it('admits queued runs by priority, then in creation order, the moment the slot frees', async () => {
    await applyAll(client, [session('prio', { maxActiveRuns: 1 }), asking('prio-blocker'), agent('prio-quick', [{ say: 'quick' }])]);
    await client.create('runs', 'default', run('blocker', 'prio', 'prio-blocker'));
    await phaseOf(client, 'blocker', 'WaitingForInput');
    for (const [name, priority] of [['low-a', 0], ['high', 5], ['low-b', 0], ['mid', 2]] as const) {
      await client.create('runs', 'default', run(name, 'prio', 'prio-quick', { priority }));
    }
    await eventually(async () => {
      const positions = await Promise.all(['high', 'mid', 'low-a', 'low-b'].map(async (n) => (await runPhase(client, n)).status?.queuePosition));
      expect(positions).toEqual([1, 2, 3, 4]);
      return true;
    });
    const table = await sidekick(home, ['get', 'runs', '--field-selector', 'spec.session=prio']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/PHASE\s+REASON\s+QUEUE\s+TURNS/);
    // A run waiting for a slot says so: REASON QueueFull.
    expect(table.stdout).toMatch(/high\s+prio\s+prio-quick\s+Queued\s+QueueFull\s+1\s/);

    expect((await sidekick(home, ['respond', 'run/blocker', '-m', 'yes'])).code).toBe(0);
    await eventually(async () => {
      const phases = await Promise.all(['high', 'mid', 'low-a', 'low-b'].map(async (n) => (await runPhase(client, n)).status?.phase));
      expect(phases).toEqual(['Completed', 'Completed', 'Completed', 'Completed']);
      return true;
    }, { timeoutMs: 30_000 });
    const admitted = (await fetchTimeline(client, 'prio'))
      .filter((e) => e.type === 'run.Starting')
      .map((e) => (e as { run?: string }).run);
    expect(admitted).toEqual(['blocker', 'high', 'mid', 'low-a', 'low-b']);
  });

  it('refuses a run beyond maxActiveRuns + maxQueuedRuns with a 403 naming the limit, and takes it once there is room', async () => {
    await applyAll(client, [session('tight', { maxActiveRuns: 1, maxQueuedRuns: 1 }), asking('tight-agent')]);
    await client.create('runs', 'default', run('tight-1', 'tight', 'tight-agent'));
    await client.create('runs', 'default', run('tight-2', 'tight', 'tight-agent'));
    const refused = await client.create('runs', 'default', run('tight-3', 'tight', 'tight-agent')).then(
      () => undefined,
      (err: Error & { code?: number }) => err,
    );
    expect(refused?.message).toBe(
      'runs "tight-3" is forbidden: session "tight" already has 2 unfinished runs (limits.maxActiveRuns 1 + limits.maxQueuedRuns 1); wait for runs to finish or raise the limit',
    );
    expect(refused?.code).toBe(403);
    await expect(client.get('runs', 'default', 'tight-3')).rejects.toThrow(/not found/);
    const file = join(dir, 'tight-3.yaml');
    writeFileSync(file, stringify(run('tight-3', 'tight', 'tight-agent')));
    const cli = await sidekick(home, ['apply', '-f', file]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain('runs "tight-3" is forbidden: session "tight" already has 2 unfinished runs');

    // Room again: the first run finishes, so the same create is taken.
    await phaseOf(client, 'tight-1', 'WaitingForInput');
    expect((await sidekick(home, ['respond', 'run/tight-1', '-m', 'yes'])).code).toBe(0);
    await phaseOf(client, 'tight-1', 'Completed');
    await client.create('runs', 'default', run('tight-3', 'tight', 'tight-agent'));
    expect((await runPhase(client, 'tight-3')).spec.session).toBe('tight');
  });

  it('warns at 80% of a run\'s token budget and ends the run Failed BudgetExhausted at 100%, before its next step', async () => {
    await applyAll(client, [
      session('tokens'),
      agent('spender', [
        { say: 'first', usage: { inputTokens: 700, outputTokens: 150 } },
        { say: 'second', usage: { inputTokens: 100, outputTokens: 100 } },
        { wait: 30 },
        { say: 'never said' },
      ]),
    ]);
    await client.create('runs', 'default', run('spend', 'tokens', 'spender', { budget: { tokens: 1000 } }));
    const status = await phaseOf(client, 'spend', 'Failed');
    expect(status).toMatchObject({ reason: 'BudgetExhausted', failureCategory: 'Budget', usage: { inputTokens: 800, outputTokens: 250 } });
    expect(status.message).toBe('the run used 1050 tokens of its 1000 tokens budget');
    const events = await eventually(async () => {
      const list = await eventsAbout(client, 'Run', 'spend');
      expect(list.map((e) => e.reason)).toEqual(expect.arrayContaining(['BudgetWarning', 'BudgetExhausted']));
      return list;
    });
    expect(events.find((e) => e.reason === 'BudgetWarning')).toMatchObject({ type: 'Warning', message: 'the run used 850 tokens of its 1000 tokens budget (85%)' });
    const said = (await fetchTimeline(client, 'tokens')).filter((e) => e.type === 'assistant.message').map((e) => (e.payload as { text: string }).text);
    expect(said).toEqual(['first', 'second']);
  });

  it('warns at 80% of the turn limit', async () => {
    await applyAll(client, [session('turns'), agent('talker', [{ say: '1' }, { say: '2' }, { say: '3' }, { say: '4' }, { say: '5' }], { maxTurns: 5 })]);
    await client.create('runs', 'default', run('talk', 'turns', 'talker'));
    await phaseOf(client, 'talk', 'Completed');
    const warning = await eventually(async () => (await eventsAbout(client, 'Run', 'talk')).find((e) => e.reason === 'BudgetWarning'));
    expect(warning?.message).toBe('the run took 4 of its 5 turns (80%)');
  });

  it('ends runs at the session cost budget and keeps the rest of the queue waiting until the budget is raised', async () => {
    await applyAll(client, [
      session('costly', { maxActiveRuns: 1, budget: { usd: 0.05 } }),
      agent('pricey', [
        { say: 'spent', usage: { inputTokens: 10, outputTokens: 10, costUSD: 0.02 } },
        { say: 'spent more', usage: { inputTokens: 10, outputTokens: 10, costUSD: 0.02 } },
      ]),
    ]);
    await client.create('runs', 'default', run('cost-1', 'costly', 'pricey'));
    await phaseOf(client, 'cost-1', 'Completed');
    const warned = await eventually(async () => (await eventsAbout(client, 'Session', 'costly')).find((e) => e.reason === 'BudgetWarning'));
    expect(warned).toMatchObject({ type: 'Warning', message: 'the session "costly" used $0.04 of its $0.05 budget (80%)' });
    await client.create('runs', 'default', run('cost-2', 'costly', 'pricey'));
    const failed = await phaseOf(client, 'cost-2', 'Failed');
    expect(failed).toMatchObject({ reason: 'BudgetExhausted', message: 'the session "costly" used $0.06 of its $0.05 budget' });

    await client.create('runs', 'default', run('cost-3', 'costly', 'pricey'));
    const waiting = await eventually(async () => {
      const s = (await runPhase(client, 'cost-3')).status;
      expect(s?.conditions?.find((c) => c.type === 'Admitted')).toMatchObject({ status: 'False', reason: 'BudgetExhausted' });
      return s!;
    });
    expect(waiting.phase).toBe('Queued');

    await client.raw('PATCH', `${GV}/sessions/costly`, { spec: { limits: { budget: { usd: 1 } } } }, 'application/merge-patch+json');
    await phaseOf(client, 'cost-3', 'Completed');
  });

  it('counts the turns of all the session\'s runs against its turn budget', async () => {
    await applyAll(client, [session('chatty', { maxActiveRuns: 1, budget: { turns: 5 } }), agent('three-turns', [{ say: 'one' }, { say: 'two' }, { say: 'three' }])]);
    await client.create('runs', 'default', run('chat-1', 'chatty', 'three-turns'));
    await phaseOf(client, 'chat-1', 'Completed');
    await client.create('runs', 'default', run('chat-2', 'chatty', 'three-turns'));
    const failed = await phaseOf(client, 'chat-2', 'Failed');
    expect(failed).toMatchObject({ reason: 'BudgetExhausted', message: 'the session "chatty" used 5 turns of its 5 turns budget' });
    const warned = await eventually(async () => (await eventsAbout(client, 'Session', 'chatty')).find((e) => e.reason === 'BudgetWarning'));
    expect(warned?.message).toBe('the session "chatty" used 4 turns of its 5 turns budget (80%)');
  });

  it('allows three children per parent, one level deep, and interrupts them when the parent is cancelled', async () => {
    await applyAll(client, [session('family', { maxActiveRuns: 10 }), asking('family-agent')]);
    await client.create('runs', 'default', run('parent', 'family', 'family-agent'));
    await phaseOf(client, 'parent', 'WaitingForInput');
    for (const n of ['child-1', 'child-2', 'child-3']) await client.create('runs', 'default', run(n, 'family', 'family-agent', { parent: 'parent' }));

    const refusal = (body: Record<string, unknown>) => client.create('runs', 'default', body).then(() => 'created', (err: Error) => err.message);
    expect(await refusal(run('child-4', 'family', 'family-agent', { parent: 'parent' }))).toBe(
      'runs "child-4" is forbidden: spec.parent: run "parent" already has 3 children (at most 3)',
    );
    expect(await refusal(run('grandchild', 'family', 'family-agent', { parent: 'child-1' }))).toBe(
      'runs "grandchild" is forbidden: spec.parent: run "child-1" is itself a child of "parent"; delegation is one level deep',
    );
    expect(await refusal(run('stray', 'family', 'family-agent', { parent: 'nobody' }))).toBe('runs "stray" is forbidden: spec.parent: run "nobody" is not a run of session "family"');

    for (const n of ['child-1', 'child-2', 'child-3']) await phaseOf(client, n, 'WaitingForInput');
    expect((await sidekick(home, ['cancel', 'run/parent'])).code).toBe(0);
    await phaseOf(client, 'parent', 'Canceled');
    for (const n of ['child-1', 'child-2', 'child-3']) {
      const status = await phaseOf(client, n, 'Interrupted');
      expect(status).toMatchObject({ reason: 'ParentEnded' });
      expect(status.message).toBe('the parent run "parent" was canceled');
    }
    expect(await refusal(run('late', 'family', 'family-agent', { parent: 'parent' }))).toBe('runs "late" is forbidden: spec.parent: run "parent" has ended (Canceled)');
    const timeline = await fetchTimeline(client, 'family');
    const ended = (type: string) => timeline.filter((e) => e.type === type).map((e) => (e as { run?: string }).run);
    expect(ended('run.Interrupted').sort()).toEqual(['child-1', 'child-2', 'child-3']);
    expect(ended('run.Canceled')).toEqual(['parent']);
  });

  it('leaves children running when the parent completes', async () => {
    await applyAll(client, [session('done-family'), asking('df-agent'), agent('df-quick', [{ say: 'ok' }])]);
    await client.create('runs', 'default', run('df-parent', 'done-family', 'df-agent'));
    await phaseOf(client, 'df-parent', 'WaitingForInput');
    await client.create('runs', 'default', run('df-child', 'done-family', 'df-agent', { parent: 'df-parent' }));
    await phaseOf(client, 'df-child', 'WaitingForInput');
    expect((await sidekick(home, ['respond', 'run/df-parent', '-m', 'yes'])).code).toBe(0);
    await phaseOf(client, 'df-parent', 'Completed');
    expect((await sidekick(home, ['respond', 'run/df-child', '-m', 'yes'])).code).toBe(0);
    await phaseOf(client, 'df-child', 'Completed');
  });
});

