import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { RUNS, parseTable, runManifest, startHarness, type CliHarness } from '../../test/support/cli-harness.js';
import { eventually } from '../../test/eventually.js';

let h: CliHarness;
beforeAll(async () => {
  h = await startHarness();
  await h.write('runs.yaml', [
    runManifest('beta', { labels: { team: 'auth', tier: 'gold' }, spec: { priority: 5 } }),
    runManifest('alpha', { labels: { team: 'web' }, spec: { priority: 9 } }),
    runManifest('gamma', { namespace: 'other', spec: { priority: 1 } }),
  ].join('\n---\n'));
  const applied = await h.sk(['apply', '-f', 'runs.yaml']);
  if (applied.code !== 0) throw new Error(applied.stderr);
});
afterAll(async () => {
  await h.close();
});

describe('get', () => {
  test('default table: upper-case headers, aligned columns, sorted by name from the server', async () => {
    const r = await h.sk(['get', 'runs']);
    expect(r.code).toBe(0);
    const [header] = r.stdout.split('\n');
    expect(header).toMatch(/^NAME {4}SESSION {3}AGENT {3}PHASE {3}REASON {3}QUEUE {3}TURNS {3}AGE$/);
    const rows = parseTable(r.stdout);
    expect(rows.map((x) => x.NAME).sort()).toEqual(['alpha', 'beta']);
    expect(rows[0]).toMatchObject({ SESSION: 's1', AGENT: 'a1' });
    expect(rows[0].AGE).toMatch(/^\d+s$/);
    for (const line of r.stdout.split('\n')) expect(line).toBe(line.trimEnd());
  });

  test('-o wide adds priority columns; --show-labels and -L decorate; --no-headers', async () => {
    const wide = parseTable((await h.sk(['get', 'runs', '-o', 'wide'])).stdout);
    expect(Object.keys(wide[0])).toEqual(['NAME', 'SESSION', 'AGENT', 'PHASE', 'REASON', 'QUEUE', 'TURNS', 'AGE', 'BRANCH', 'NODE', 'TOKENS']);
    const labelled = parseTable((await h.sk(['get', 'runs', '--show-labels', '-L', 'team', '-L', 'tier'])).stdout);
    const beta = labelled.find((x) => x.NAME === 'beta')!;
    expect(beta).toMatchObject({ TEAM: 'auth', TIER: 'gold', LABELS: 'team=auth,tier=gold' });
    const noHeaders = await h.sk(['get', 'runs', '--no-headers']);
    expect(noHeaders.stdout).not.toContain('NAME');
    expect(noHeaders.stdout.trim().split('\n')).toHaveLength(2);
  });

  test('-A adds NAMESPACE; -n selects another namespace', async () => {
    const all = parseTable((await h.sk(['get', 'runs', '-A'])).stdout);
    expect(all.map((x) => `${x.NAMESPACE}/${x.NAME}`).sort()).toEqual(['default/alpha', 'default/beta', 'other/gamma']);
    const other = parseTable((await h.sk(['get', 'runs', '-n', 'other'])).stdout);
    expect(other.map((x) => x.NAME)).toEqual(['gamma']);
  });

  test('--sort-by and -l', async () => {
    const sorted = parseTable((await h.sk(['get', 'runs', '-A', '--sort-by', '.spec.priority'])).stdout);
    expect(sorted.map((x) => x.NAME)).toEqual(['gamma', 'beta', 'alpha']);
    const selected = parseTable((await h.sk(['get', 'runs', '-l', 'team=auth'])).stdout);
    expect(selected.map((x) => x.NAME)).toEqual(['beta']);
    const byField = parseTable((await h.sk(['get', 'runs', '--field-selector', 'metadata.name=alpha'])).stdout);
    expect(byField.map((x) => x.NAME)).toEqual(['alpha']);
  });

  test('-o yaml and -o json: a bare object by name, a List otherwise', async () => {
    const one = parse((await h.sk(['get', 'run', 'alpha', '-o', 'yaml'])).stdout);
    expect(one).toMatchObject({ apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name: 'alpha' }, spec: { priority: 9 } });
    const list = JSON.parse((await h.sk(['get', 'runs', '-o', 'json'])).stdout);
    expect(list.kind).toBe('List');
    expect(list.items.map((i: { metadata: { name: string } }) => i.metadata.name).sort()).toEqual(['alpha', 'beta']);
    const slash = JSON.parse((await h.sk(['get', 'run/beta', '-o', 'json'])).stdout);
    expect(slash.metadata.labels).toEqual({ team: 'auth', tier: 'gold' });
  });

  test('-o name, jsonpath, jsonpath-file, custom-columns, custom-columns-file', async () => {
    expect((await h.sk(['get', 'runs', '-o', 'name'])).stdout.split('\n').filter(Boolean).sort()).toEqual(['run.sidekicks.dev/alpha', 'run.sidekicks.dev/beta']);
    const jp = await h.sk(['get', 'runs', '--sort-by', '.metadata.name', '-o', 'jsonpath={range .items[*]}{.metadata.name}{"="}{.spec.priority}{"\\n"}{end}']);
    expect(jp.stdout).toBe('alpha=9\nbeta=5\n');
    expect((await h.sk(['get', 'run', 'beta', '-o', 'jsonpath={.metadata.labels.team}'])).stdout).toBe('auth');
    await h.write('tpl.txt', '{.spec.agent}');
    expect((await h.sk(['get', 'run', 'beta', '-o', 'jsonpath-file=tpl.txt'])).stdout).toBe('a1');
    const cc = parseTable((await h.sk(['get', 'runs', '--sort-by', '.metadata.name', '-o', 'custom-columns=NAME:.metadata.name,PRIO:.spec.priority,NODE:.spec.nodeName'])).stdout);
    expect(cc).toEqual([
      { NAME: 'alpha', PRIO: '9', NODE: '<none>' },
      { NAME: 'beta', PRIO: '5', NODE: '<none>' },
    ]);
    await h.write('cols.txt', 'NAME AGENT\n.metadata.name .spec.agent\n');
    expect(parseTable((await h.sk(['get', 'run', 'alpha', '-o', 'custom-columns-file=cols.txt'])).stdout)).toEqual([{ NAME: 'alpha', AGENT: 'a1' }]);
  });

  test('several kinds and `all` prefix names with kind.group', async () => {
    const r = await h.sk(['get', 'all']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('run.sidekicks.dev/alpha');
  });

  test('empty lists and missing objects, like kubectl', async () => {
    expect(await h.sk(['get', 'runs', '-n', 'empty'])).toMatchObject({ code: 0, stdout: '', stderr: 'No resources found in empty namespace.\n' });
    expect(await h.sk(['get', 'sessions', '-A'])).toMatchObject({ code: 0, stdout: '', stderr: 'No resources found\n' });
    expect(await h.sk(['get', 'run', 'nope'])).toMatchObject({ code: 1, stderr: 'Error from server (NotFound): runs.sidekicks.dev "nope" not found\n' });
    expect(await h.sk(['get', 'run', 'nope', '--ignore-not-found'])).toMatchObject({ code: 0, stderr: '' });
    expect(await h.sk(['get', 'widgets'])).toMatchObject({ code: 1, stderr: 'error: the server doesn\'t have a resource type "widgets"\n' });
    expect(await h.sk(['get'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error: You must specify the type of resource to get/) });
    expect(await h.sk(['get', 'runs', '-o', 'xml'])).toMatchObject({ code: 1, stderr: expect.stringContaining('unable to match a printer suitable for the output format "xml"') });
    expect(await h.sk(['get', 'runs', '--bogus'])).toMatchObject({ code: 1, stderr: 'error: unknown flag: --bogus\n' });
    expect(await h.sk(['frobnicate'])).toMatchObject({ code: 1, stderr: 'error: unknown command "frobnicate" for "sidekick"\n' });
  });

  test('the daemon not answering is one line', async () => {
    const r = await h.sk(['get', 'runs'], { env: { SIDEKICK_HOME: `${h.home}/nowhere` } });
    expect(r).toMatchObject({ code: 1, stderr: `error: cannot reach the sidekick daemon at ${h.home}/nowhere/sidekick.sock (start it with: sidekick daemon start)\n` });
  });

  test('-w lists, then prints an update made by another client', async () => {
    const watch = h.start(['get', 'runs', '-w', '-l', 'team']);
    await eventually(() => parseTable(watch.output()).length === 2);
    const live = await h.client.get(RUNS, 'default', 'beta');
    await h.client.updateStatus(RUNS, 'default', { ...live, status: { phase: 'Running', turns: 2 } });
    const rows = await eventually(() => {
      const parsed = parseTable(watch.output());
      return parsed.find((x) => x.NAME === 'beta' && x.PHASE === 'Running') ? parsed : undefined;
    });
    expect(rows!.find((x) => x.PHASE === 'Running')).toMatchObject({ NAME: 'beta', TURNS: '2' });
    expect((await watch.stop()).code).toBe(0);
  });

  test('--watch-only --output-watch-events prints only new events with their type', async () => {
    const watch = h.start(['get', 'runs', '--watch-only', '--output-watch-events']);
    // The watch is open once the server counts it; then create from another client.
    await eventually(async () => {
      await h.client.create(RUNS, 'default', JSON.parse(runManifest(`watched-${Date.now()}`)));
      return parseTable(watch.output()).some((x) => x.EVENT === 'ADDED');
    });
    expect(parseTable(watch.output()).every((x) => x.NAME.startsWith('watched-'))).toBe(true);
    await watch.stop();
  });
});
