import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { RUNS, parseTable, runManifest, startHarness, type CliHarness } from '../../test/support/cli-harness.js';
import { isReason } from '../../api/errors.js';
import { eventually } from '../../test/eventually.js';

const EVENTS = { group: 'sidekicks.dev', version: 'v1alpha1', plural: 'events', kind: 'Event', namespaced: true };

let h: CliHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const ago = (ms: number): string => new Date(Date.now() - ms).toISOString();

describe('describe', () => {
  test('kubectl layout: header fields, Title Case nested fields, conditions table, Events with ages', async () => {
    const run = await h.client.create(RUNS, 'default', JSON.parse(runManifest('desc', { labels: { team: 'auth', a: 'b' }, spec: { repoMount: 'webapp' } })));
    await h.client.updateStatus(RUNS, 'default', {
      ...run,
      status: {
        phase: 'Running',
        usage: { inputTokens: 10, costUSD: 0.5 },
        conditions: [{ type: 'Admitted', status: 'True', reason: 'SlotAvailable', message: 'ok', lastTransitionTime: ago(30 * 60_000) }],
      },
    });
    await h.client.create(EVENTS, 'default', {
      apiVersion: 'sidekicks.dev/v1alpha1',
      kind: 'Event',
      metadata: { name: 'desc.1' },
      involvedObject: { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', name: 'desc', namespace: 'default', uid: run.metadata.uid },
      reason: 'WorktreeCreated',
      message: 'git worktree ready',
      type: 'Normal',
      count: 5,
      firstTimestamp: ago(50 * 60_000),
      lastTimestamp: ago(20 * 60_000),
      source: { component: 'run-controller' },
    });
    const r = await h.sk(['describe', 'run', 'desc']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('Name:         desc');
    expect(lines[1]).toBe('Namespace:    default');
    expect(lines[2]).toBe('Labels:       a=b');
    expect(lines[3]).toBe('              team=auth');
    // The API server records who created the object.
    expect(lines[4]).toBe(`Annotations:  sidekicks.dev/created-by: ${h.daemon.owner}`);
    expect(lines[5]).toBe('API Version:  sidekicks.dev/v1alpha1');
    expect(lines[6]).toBe('Kind:         Run');
    expect(lines[7]).toBe('Metadata:');
    expect(r.stdout).toMatch(/\n {2}Creation Timestamp: {2}\S+\n/);
    expect(r.stdout).toMatch(/\nSpec:\n {2}Agent: +a1\n/);
    expect(r.stdout).toMatch(/\n {2}Repo Mount: +webapp\n/);
    expect(r.stdout).toMatch(/\n {2}Usage:\n {4}Cost USD: +0\.5\n {4}Input Tokens: +10\n/);
    const conditions = r.stdout.slice(r.stdout.indexOf('  Conditions:\n') + '  Conditions:\n'.length).split('\n').slice(0, 3).map((l) => l.slice(4));
    expect(parseTable(conditions.join('\n'))[1]).toEqual({ Type: 'Admitted', Status: 'True', Reason: 'SlotAvailable', Age: '30m', Message: 'ok' });
    const events = r.stdout.slice(r.stdout.indexOf('Events:\n') + 'Events:\n'.length).split('\n').map((l) => l.slice(2));
    const eventRows = parseTable(events.join('\n'));
    expect(eventRows[0]).toEqual({ Type: '----', Reason: '------', Age: '----', From: '----', Message: '-------' });
    // Oldest first: ours (last seen 20m ago) precedes the API server's own Created event.
    expect(eventRows[1]).toEqual({ Type: 'Normal', Reason: 'WorktreeCreated', Age: '20m (x5 over 50m)', From: 'run-controller', Message: 'git worktree ready' });
    expect(eventRows.slice(2).map((e) => e.Reason)).toContain('Created');
  });

  test('no events prints <none>; a missing object is NotFound', async () => {
    await h.client.create(EVENTS, 'default', { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Event', metadata: { name: 'unrelated' }, involvedObject: { kind: 'Run', name: 'other' }, reason: 'X' });
    // An object the server has recorded nothing about: events of other objects must not show.
    const r = await h.sk(['describe', 'run/desc', '--show-events=false']);
    expect(r.stdout).not.toContain('Events:');
    const none = await h.sk(['describe', 'sessions', '-l', 'nothing=here']);
    expect(none).toMatchObject({ code: 0, stderr: 'No resources found in default namespace.\n' });
    expect(await h.sk(['describe', 'run', 'ghost'])).toMatchObject({ code: 1, stderr: 'Error from server (NotFound): runs.sidekicks.dev "ghost" not found\n' });
  });
});

describe('events', () => {
  test('lists events for an object with kubectl columns', async () => {
    const r = await h.sk(['events', '--for', 'run/desc']);
    expect(r.code).toBe(0);
    const rows = parseTable(r.stdout);
    expect(rows[0]).toEqual({ 'LAST SEEN': '20m (x5 over 50m)', TYPE: 'Normal', REASON: 'WorktreeCreated', OBJECT: 'Run/desc', MESSAGE: 'git worktree ready' });
    expect(rows.every((e) => e.OBJECT === 'Run/desc')).toBe(true);
  });
});

describe('delete', () => {
  const gone = async (name: string): Promise<boolean> =>
    h.client.get(RUNS, 'default', name).then(
      () => false,
      (err: unknown) => isReason(err, 'NotFound'),
    );

  test('by name and TYPE/NAME, kubectl wording, waits until gone', async () => {
    await h.client.create(RUNS, 'default', JSON.parse(runManifest('del-1')));
    await h.client.create(RUNS, 'default', JSON.parse(runManifest('del-2')));
    expect(await h.sk(['delete', 'run', 'del-1'])).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev "del-1" deleted\n' });
    expect(await h.sk(['delete', 'run/del-2'])).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev "del-2" deleted\n' });
    expect(await gone('del-1')).toBe(true);
    expect(await gone('del-2')).toBe(true);
  });

  test('with a finalizer: --wait=false returns while the object stays; the default wait ends when the finalizer goes', async () => {
    const obj = JSON.parse(runManifest('held'));
    obj.metadata.finalizers = ['sidekicks.dev/test-hold'];
    await h.client.create(RUNS, 'default', obj);
    expect(await h.sk(['delete', 'run', 'held', '--wait=false'])).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev "held" deleted\n' });
    const held = await h.client.get(RUNS, 'default', 'held');
    expect(held.metadata.deletionTimestamp).toBeDefined();

    const waiting = h.start(['delete', 'run', 'held']);
    let settled = false;
    void waiting.done.then(() => (settled = true));
    // kubectl prints "deleted" when the request is accepted, then waits for the object to be gone.
    await eventually(() => waiting.output() === 'run.sidekicks.dev "held" deleted\n');
    expect(settled).toBe(false);
    await h.client.patch(RUNS, 'default', 'held', 'merge', { metadata: { finalizers: null } });
    expect(await waiting.done).toMatchObject({ code: 0, stderr: '' });
    expect(await gone('held')).toBe(true);
  });

  test('--field-selector on a field the kind does not declare deletes nothing and says so', async () => {
    await h.client.create(RUNS, 'default', JSON.parse(runManifest('fs-1')));
    // A misspelled spec.session: accepted, it would have matched (and deleted) every run.
    expect(await h.sk(['delete', 'runs', '--field-selector', 'spec.sesion!=x'])).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'Error from server (BadRequest): field label not supported: "spec.sesion" is not a known field selector for runs; supported: metadata.name, metadata.namespace, spec.session, status.phase, spec.nodeName\n',
    });
    expect(await gone('fs-1')).toBe(false);
    expect(await h.sk(['delete', 'runs', '--field-selector', 'metadata.name=fs-1'])).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev "fs-1" deleted\n' });
  });

  test('-l, --all, --ignore-not-found, --dry-run, -f', async () => {
    await h.client.create(RUNS, 'default', JSON.parse(runManifest('sel-1', { labels: { batch: 'x' } })));
    await h.client.create(RUNS, 'default', JSON.parse(runManifest('sel-2', { labels: { batch: 'x' } })));
    expect(await h.sk(['delete', 'runs', '-l', 'batch=x', '--dry-run=server'])).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev "sel-1" deleted (server dry run)\nrun.sidekicks.dev "sel-2" deleted (server dry run)\n' });
    expect(await gone('sel-1')).toBe(false);
    expect((await h.sk(['delete', 'runs', '-l', 'batch=x'])).stdout.split('\n').filter(Boolean)).toHaveLength(2);
    expect(await h.sk(['delete', 'run', 'ghost'])).toMatchObject({ code: 1, stderr: 'Error from server (NotFound): runs.sidekicks.dev "ghost" not found\n' });
    expect(await h.sk(['delete', 'run', 'ghost', '--ignore-not-found'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    await h.write('del.yaml', runManifest('from-file'));
    await h.sk(['apply', '-f', 'del.yaml']);
    expect(await h.sk(['delete', '-f', 'del.yaml'])).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev "from-file" deleted\n' });
    expect(await h.sk(['delete', 'runs'])).toMatchObject({ code: 1, stderr: 'error: resource(s) were provided, but no name was specified\n' });
    await h.sk(['delete', 'runs', '--all']);
    expect((await h.client.list(RUNS, { namespace: 'default' })).items).toHaveLength(0);
  });
});
