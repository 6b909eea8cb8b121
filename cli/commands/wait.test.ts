import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { RUNS, runManifest, startHarness, type CliHarness } from '../../test/support/cli-harness.js';
import { parseWaitFor } from '../wait-condition.js';

let h: CliHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('wait', () => {
  test('--for=jsonpath waits for a status written later by another client', async () => {
    const run = await h.client.create(RUNS, 'default', JSON.parse(runManifest('w1')));
    const waiting = h.start(['wait', 'run/w1', `--for=jsonpath={.status.phase}=Completed`, '--timeout=20s']);
    let settled = false;
    void waiting.done.then(() => (settled = true));
    await h.client.updateStatus(RUNS, 'default', { ...run, status: { phase: 'Running' } });
    expect(settled).toBe(false);
    const latest = await h.client.get(RUNS, 'default', 'w1');
    await h.client.updateStatus(RUNS, 'default', { ...latest, status: { phase: 'Completed' } });
    expect(await waiting.done).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev/w1 condition met\n' });
  });

  test('--for=condition and an already-met condition return at once', async () => {
    const run = await h.client.create(RUNS, 'default', JSON.parse(runManifest('w2')));
    await h.client.updateStatus(RUNS, 'default', { ...run, status: { conditions: [{ type: 'Ready', status: 'True', observedGeneration: 1 }] } });
    expect(await h.sk(['wait', 'run', 'w2', '--for=condition=Ready'])).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev/w2 condition met\n' });
    expect(await h.sk(['wait', 'run', 'w2', '--for=condition=ready=false', '--timeout=50ms'])).toMatchObject({ code: 1, stderr: 'error: timed out waiting for the condition on runs/w2\n' });
  });

  test('--for=delete ends when the object is gone', async () => {
    await h.client.create(RUNS, 'default', JSON.parse(runManifest('w3')));
    const waiting = h.start(['wait', 'run/w3', '--for=delete', '--timeout=20s']);
    await h.client.delete(RUNS, 'default', 'w3');
    expect(await waiting.done).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev/w3 condition met\n' });
  });

  test('timeout and bad input', async () => {
    await h.client.create(RUNS, 'default', JSON.parse(runManifest('w4')));
    expect(await h.sk(['wait', 'run/w4', '--for=jsonpath={.status.phase}=Completed', '--timeout=200ms'])).toMatchObject({ code: 1, stderr: 'error: timed out waiting for the condition on runs/w4\n' });
    expect(await h.sk(['wait', 'run/ghost', '--for=condition=Ready'])).toMatchObject({ code: 1, stderr: 'Error from server (NotFound): runs.sidekicks.dev "ghost" not found\n' });
    expect(await h.sk(['wait', 'run/w4'])).toMatchObject({ code: 1, stderr: 'error: --for must be specified\n' });
    expect(await h.sk(['wait', 'run/w4', '--for=sometime'])).toMatchObject({ code: 1, stderr: 'error: unrecognized condition: "sometime"\n' });
  });
});

describe('parseWaitFor', () => {
  const obj = (status: unknown, generation = 1) => ({ apiVersion: 'v', kind: 'Run', metadata: { name: 'x', generation }, status });
  test.each([
    ['condition=Ready', obj({ conditions: [{ type: 'Ready', status: 'True' }] }), true],
    ['condition=Ready', obj({ conditions: [{ type: 'Ready', status: 'False' }] }), false],
    ['condition=Ready=false', obj({ conditions: [{ type: 'Ready', status: 'False' }] }), true],
    ['condition=Ready', obj({ conditions: [{ type: 'Ready', status: 'True', observedGeneration: 1 }] }, 2), false],
    ['jsonpath={.status.phase}=Completed', obj({ phase: 'Completed' }), true],
    ["jsonpath='{.status.phase}'=Completed", obj({ phase: 'Running' }), false],
    ['jsonpath={.status.phase}', obj({ phase: 'Running' }), true],
    ['jsonpath={.status.conditions[?(@.type=="Ready")].status}=True', obj({ conditions: [{ type: 'Ready', status: 'True' }] }), true],
    ['delete', undefined, true],
    ['create', undefined, false],
  ])('%s', (spec, o, met) => expect(parseWaitFor(spec).met(o)).toBe(met));
});
