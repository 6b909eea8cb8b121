/**
 * `sidekick approve|deny|respond` in-process against a real daemon (API only: the decision is what
 * these verbs write; the approval controller that acts on it is covered end to end elsewhere).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startHarness, type CliHarness } from '../../test/support/cli-harness.js';

let h: CliHarness;

function approval(name: string, category = 'ToolExecution', run = 'r1'): string {
  return JSON.stringify({
    apiVersion: 'sidekicks.dev/v1alpha1',
    kind: 'Approval',
    metadata: { name, labels: { 'sidekicks.dev/run': run } },
    spec: { session: 's1', run, category, request: { tool: 'RunCommand', command: 'npm install', summary: 'npm install' } },
  });
}

const APPROVALS = { group: 'sidekicks.dev', version: 'v1alpha1', plural: 'approvals', kind: 'Approval', namespaced: true };

beforeAll(async () => {
  h = await startHarness();
  for (const [name, category, run] of [['a1'], ['a2'], ['q1', 'UserInput', 'asker']] as const) {
    expect((await h.sk(['apply', '-f', '-'], { stdin: approval(name, category, run) })).code).toBe(0);
    // Status is ignored on create; with no approval controller here, the test sets it as that controller would.
    const created = await h.client.get(APPROVALS, 'default', name);
    await h.client.updateStatus(APPROVALS, 'default', { ...created, status: { phase: 'Pending' } });
  }
});

afterAll(async () => {
  await h?.close();
});

const decision = async (name: string) => JSON.parse((await h.sk(['get', 'approval', name, '-o', 'jsonpath={.spec.decision}'])).stdout || '{}') as Record<string, unknown>;

describe('approve / deny', () => {
  test('approve records the decision with its reason and remembered scope; a second decision is refused', async () => {
    const r = await h.sk(['approve', 'approval/a1', '--reason', 'fine', '--remember', 'session']);
    expect(r).toMatchObject({ code: 0, stdout: 'approval.sidekicks.dev/a1 approved (remembered for this session)\n' });
    expect(await decision('a1')).toMatchObject({ verdict: 'Approved', reason: 'fine', remember: { scope: 'Session' } });
    const again = await h.sk(['deny', 'a1']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('spec.decision');
    expect(await decision('a1')).toMatchObject({ verdict: 'Approved' });
  });

  test('deny records a rejection; bad flags are usage errors', async () => {
    expect(await h.sk(['deny', 'a2', '--reason', 'no network'])).toMatchObject({ code: 0, stdout: 'approval.sidekicks.dev/a2 denied\n' });
    expect(await decision('a2')).toMatchObject({ verdict: 'Rejected', reason: 'no network' });
    expect((await h.sk(['approve', 'a2', '--remember', 'forever'])).code).toBe(1);
    expect((await h.sk(['approve', 'run/a2'])).code).toBe(1);
  });
});

describe('respond', () => {
  test('answers the pending question of a run, and says so when there is none', async () => {
    const r = await h.sk(['respond', 'run/asker', '-m', 'Hello, Sidekicks']);
    expect(r).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev/asker answered (approval.sidekicks.dev/q1)\n' });
    expect(await decision('q1')).toMatchObject({ verdict: 'Approved', reason: 'Hello, Sidekicks' });
    const none = await h.sk(['respond', 'run/r1', '-m', 'x']);
    expect(none).toMatchObject({ code: 1, stderr: 'error: run r1 is not waiting for input\n' });
  });
});

describe('describe approval', () => {
  test('a multi-line request.details keeps every line under its key', async () => {
    const details = 'The agent asks:\n  1. keep the old API as a shim?\n  2. or remove it now?';
    const manifest = JSON.parse(approval('d1', 'UserInput', 'asker')) as { spec: { request: Record<string, unknown> } };
    manifest.spec.request.details = details;
    expect((await h.sk(['apply', '-f', '-'], { stdin: JSON.stringify(manifest) })).code).toBe(0);
    const r = await h.sk(['describe', 'approval', 'd1', '--show-events=false']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const at = lines.findIndex((l) => /^\s+Details:/.test(l));
    const column = lines[at].indexOf('The agent asks:');
    expect(column).toBeGreaterThan(0);
    expect(lines.slice(at, at + 3).map((l) => l.slice(column))).toEqual(details.split('\n'));
    for (const l of lines.slice(at + 1, at + 3)) expect(l.slice(0, column).trim()).toBe('');
  });
});

describe('get approvals', () => {
  const NS = 'ordering';
  const names = ['a-approved', 'b-pending', 'c-rejected', 'd-pending'];

  beforeAll(async () => {
    for (const name of names) {
      const obj = { ...JSON.parse(approval(name)), metadata: { name, namespace: NS, labels: { 'sidekicks.dev/run': 'r1' } } };
      expect((await h.sk(['apply', '-f', '-'], { stdin: JSON.stringify(obj) })).code).toBe(0);
      const created = await h.client.get(APPROVALS, NS, name);
      const phase = name.split('-')[1]!.replace(/^./, (c) => c.toUpperCase());
      await h.client.updateStatus(APPROVALS, NS, { ...created, status: { phase } });
    }
  });

  const column = (stdout: string): string[] => stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/)[0]!);

  test('lists pending approvals first, with their age', async () => {
    const r = await h.sk(['get', 'approvals', '-n', NS]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^NAME\s+RUN\s+CATEGORY\s+SUMMARY\s+PHASE\s+AGE$/);
    const listed = column(r.stdout);
    expect(listed.slice(0, 2).sort()).toEqual(['b-pending', 'd-pending']);
    expect(listed.slice(2).sort()).toEqual(['a-approved', 'c-rejected']);
    const json = JSON.parse((await h.sk(['get', 'approvals', '-n', NS, '-o', 'json'])).stdout) as { items: { status: { phase: string } }[] };
    expect(json.items.map((i) => i.status.phase)).toEqual(['Pending', 'Pending', expect.not.stringMatching(/^Pending$/), expect.not.stringMatching(/^Pending$/)]);
  });

  test('--pending and --field-selector status.phase=Pending list only the pending ones', async () => {
    for (const args of [['--pending'], ['--field-selector', 'status.phase=Pending'], ['--field-selector=status.phase=Pending', '-o', 'name']]) {
      const r = await h.sk(['get', 'approvals', '-n', NS, ...args]);
      expect(r.code).toBe(0);
      const listed = args.includes('name') ? r.stdout.trim().split('\n').map((l) => l.replace('approval.sidekicks.dev/', '')) : column(r.stdout);
      expect(listed.sort()).toEqual(['b-pending', 'd-pending']);
    }
    const notPending = await h.sk(['get', 'approvals', '-n', NS, '--field-selector', 'status.phase!=Pending', '-o', 'name']);
    expect(notPending.stdout.trim().split('\n').sort()).toEqual(['approval.sidekicks.dev/a-approved', 'approval.sidekicks.dev/c-rejected']);
  });

  test('--pending is for approvals only', async () => {
    const r = await h.sk(['get', 'runs', '--pending']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--pending goes with approvals only');
  });
});
