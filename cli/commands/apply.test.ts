import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { RUNS, runManifest, startHarness, type CliHarness } from '../../test/support/cli-harness.js';
import { isReason } from '../../api/errors.js';
import { eventually } from '../../test/eventually.js';
import { join } from 'node:path';

let h: CliHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const exists = async (name: string): Promise<boolean> =>
  h.client.get(RUNS, 'default', name).then(
    () => true,
    (err: unknown) => {
      if (isReason(err, 'NotFound')) return false;
      throw err;
    },
  );

describe('apply', () => {
  test('created, unchanged, configured; a dropped field is removed', async () => {
    await h.write('a/run.yaml', runManifest('hello', { labels: { team: 'auth', tier: 'x' }, spec: { timeoutSeconds: 30 } }));
    expect(await h.sk(['apply', '-f', 'a/run.yaml'])).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev/hello created\n' });
    expect(await h.sk(['apply', '-f', 'a/run.yaml'])).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev/hello unchanged\n' });

    await h.write('a/run.yaml', runManifest('hello', { labels: { team: 'web' } }));
    expect(await h.sk(['apply', '-f', 'a/run.yaml'])).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev/hello configured\n' });
    const live = await h.client.get(RUNS, 'default', 'hello');
    expect(live.metadata.labels).toEqual({ team: 'web' });
    expect((live.spec as Record<string, unknown>).timeoutSeconds).toBeUndefined();
    // Server defaults the manifest never set survive the three-way merge.
    expect((live.spec as Record<string, unknown>).channel).toBe('main');
  });

  test('stdin, directories with -R, multi-document files', async () => {
    await h.write('tree/one.yaml', `${runManifest('tree-1')}\n---\n${runManifest('tree-2')}\n`);
    await h.write('tree/sub/two.yml', runManifest('tree-3'));
    const flat = await h.sk(['apply', '-f', 'tree']);
    expect(flat.stdout.trim().split('\n')).toEqual(['run.sidekicks.dev/tree-1 created', 'run.sidekicks.dev/tree-2 created']);
    const deep = await h.sk(['apply', '-R', '-f', 'tree']);
    expect(deep.stdout).toContain('run.sidekicks.dev/tree-3 created');
    expect(await h.sk(['apply', '-f', '-'], { stdin: runManifest('from-stdin') })).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev/from-stdin created\n' });
  });

  test('--dry-run=server and --dry-run=client store nothing', async () => {
    await h.write('dry.yaml', runManifest('dry'));
    expect(await h.sk(['apply', '-f', 'dry.yaml', '--dry-run=server'])).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev/dry created (server dry run)\n' });
    expect(await h.sk(['apply', '-f', 'dry.yaml', '--dry-run=client'])).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev/dry created (dry run)\n' });
    expect(await exists('dry')).toBe(false);
  });

  test('bad YAML names the file and line and applies nothing from that document', async () => {
    await h.write('bad.yaml', `apiVersion: sidekicks.dev/v1alpha1\nkind: Run\nmetadata:\n  name: broken\nspec: {session: s, agent: a, prompt: p\n`);
    const r = await h.sk(['apply', '-f', 'bad.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: error parsing bad\.yaml: line \d+: /);
    expect(await exists('broken')).toBe(false);
  });

  test('a multi-document file with one bad document applies the others and exits 1', async () => {
    const unknownKind = JSON.stringify({ apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Foo', metadata: { name: 'x' } });
    const invalid = JSON.stringify({ apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name: 'invalid' }, spec: { session: 's', agent: 7 } });
    await h.write('mixed.yaml', [runManifest('good-1'), unknownKind, invalid, runManifest('good-2')].join('\n---\n'));
    const r = await h.sk(['apply', '-f', 'mixed.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n')).toEqual(['run.sidekicks.dev/good-1 created', 'run.sidekicks.dev/good-2 created']);
    const errors = r.stderr.trim().split('\n');
    expect(errors[0]).toBe('error: resource mapping not found for name: "x" namespace: "" from "mixed.yaml": no matches for kind "Foo" in version "sidekicks.dev/v1alpha1"');
    expect(r.stderr).toContain('The Run "invalid" is invalid');
    expect(r.stderr).toContain('spec.agent');
    expect(r.stderr).toContain('spec.prompt');
    expect(await exists('invalid')).toBe(false);
  });

  test('--atomic applies nothing when one document fails', async () => {
    const invalid = JSON.stringify({ apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name: 'atomic-bad' }, spec: { session: 's' } });
    await h.write('atomic.yaml', [runManifest('atomic-good'), invalid].join('\n---\n'));
    const r = await h.sk(['apply', '--atomic', '-f', 'atomic.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('The Run "atomic-bad" is invalid');
    expect(await exists('atomic-good')).toBe(false);
    await h.write('atomic.yaml', runManifest('atomic-good'));
    expect(await h.sk(['apply', '--atomic', '-f', 'atomic.yaml'])).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev/atomic-good created\n' });
  });

  test('--prune -l deletes previously applied objects missing from the manifests', async () => {
    const labels = { 'managed-by': 'gitops' };
    await h.write('gitops/a.yaml', runManifest('prune-a', { labels }));
    await h.write('gitops/b.yaml', runManifest('prune-b', { labels }));
    await h.client.create(RUNS, 'default', JSON.parse(runManifest('prune-manual', { labels })));
    expect((await h.sk(['apply', '-f', 'gitops', '--prune', '-l', 'managed-by=gitops'])).code).toBe(0);
    await h.write('gitops/b.yaml', '');
    const r = await h.sk(['apply', '-f', 'gitops', '--prune', '-l', 'managed-by=gitops']);
    expect(r.stdout.trim().split('\n')).toEqual(['run.sidekicks.dev/prune-a unchanged', 'run.sidekicks.dev/prune-b pruned']);
    expect(await exists('prune-b')).toBe(false);
    // Never applied (no last-applied annotation): not ours to prune.
    expect(await exists('prune-manual')).toBe(true);
    expect(await h.sk(['apply', '-f', 'gitops', '--prune'])).toMatchObject({ code: 1, stderr: expect.stringContaining('without explicitly passing --all') });
  });

  test('--server-side apply', async () => {
    await h.write('ssa.yaml', runManifest('ssa', { labels: { a: 'b' } }));
    expect(await h.sk(['apply', '--server-side', '-f', 'ssa.yaml'])).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev/ssa serverside-applied\n' });
    const live = await h.client.get(RUNS, 'default', 'ssa');
    expect(live.metadata.managedFields?.some((m) => m.manager === 'sidekick' && m.operation === 'Apply')).toBe(true);
  });

  test('--watch applies again when a file changes', async () => {
    await h.write('watched/run.yaml', runManifest('watched', { spec: { priority: 1 } }));
    const watching = h.start(['apply', '-f', 'watched', '--watch']);
    await eventually(() => watching.output().includes('run.sidekicks.dev/watched created'));
    // The file watcher is ready once the CLI says so on stderr; then edit the manifest once.
    await eventually(() => watching.errors().includes('for changes'));
    await h.write('watched/run.yaml', runManifest('watched', { spec: { priority: 2 } }));
    await eventually(() => watching.output().includes('run.sidekicks.dev/watched configured'));
    expect((await h.client.get(RUNS, 'default', 'watched')).spec).toMatchObject({ priority: 2 });
    expect((await watching.stop()).code).toBe(0);
  });

  test('usage errors are one line', async () => {
    expect(await h.sk(['apply'])).toMatchObject({ code: 1, stderr: 'error: must specify one of -f and -k\n' });
    expect(await h.sk(['apply', '-f', 'nope.yaml'])).toMatchObject({ code: 1, stderr: 'error: the path "nope.yaml" does not exist\n' });
    expect(await h.sk(['apply', '-f', 'dry.yaml', '--dry-run=maybe'])).toMatchObject({ code: 1, stderr: expect.stringContaining('Invalid dry-run value (maybe)') });
  });

  describe('unknown fields', () => {
    const POLICIES = { group: 'sidekicks.dev', version: 'v1alpha1', plural: 'approvalpolicies', kind: 'ApprovalPolicy', namespaced: true };
    // `mtach` instead of `match`: dropped silently, this rule would allow every command.
    const misspelled = (name: string): string =>
      `apiVersion: sidekicks.dev/v1alpha1\nkind: ApprovalPolicy\nmetadata:\n  name: ${name}\nspec:\n  session: s\n  rules:\n    - category: ToolExecution\n      mtach: { tool: RunCommand, command: "sh test.sh" }\n      action: Allow\n`;
    const policyExists = async (name: string): Promise<boolean> =>
      h.client.get(POLICIES, 'default', name).then(
        () => true,
        (err: unknown) => (isReason(err, 'NotFound') ? false : Promise.reject(err)),
      );

    test('are refused by default, naming the field, and nothing is stored', async () => {
      await h.write('policy.yaml', misspelled('typo'));
      for (const extra of [[], ['--validate'], ['--validate=true'], ['--validate=Strict'], ['--server-side'], ['--dry-run=server'], ['--dry-run=client']]) {
        const r = await h.sk(['apply', '-f', 'policy.yaml', ...extra]);
        expect([extra, r.code, r.stdout]).toEqual([extra, 1, '']);
        expect(r.stderr).toContain('strict decoding error: unknown field "spec.rules[0].mtach"');
      }
      expect(await policyExists('typo')).toBe(false);
    });

    test('are refused on update too', async () => {
      await h.write('update.yaml', runManifest('strict-update'));
      expect((await h.sk(['apply', '-f', 'update.yaml'])).code).toBe(0);
      await h.write('update.yaml', runManifest('strict-update', { spec: { priortiy: 3 } }));
      const r = await h.sk(['apply', '-f', 'update.yaml']);
      expect(r).toMatchObject({ code: 1, stderr: expect.stringContaining('unknown field "spec.priortiy"') });
    });

    test('--validate=warn applies without them and prints a warning; ignore and false drop them silently', async () => {
      await h.write('warn.yaml', misspelled('warned'));
      expect(await h.sk(['apply', '-f', 'warn.yaml', '--validate=warn'])).toEqual({
        code: 0,
        stdout: 'approvalpolicy.sidekicks.dev/warned created\n',
        stderr: 'Warning: unknown field "spec.rules[0].mtach"\n',
      });
      for (const [i, value] of ['ignore', 'false'].entries()) {
        await h.write(`ignore-${i}.yaml`, misspelled(`ignored-${i}`));
        expect(await h.sk(['apply', '-f', `ignore-${i}.yaml`, `--validate=${value}`])).toEqual({ code: 0, stdout: `approvalpolicy.sidekicks.dev/ignored-${i} created\n`, stderr: '' });
      }
    });

    test('a --validate value other than strict, warn, ignore, true or false is a usage error', async () => {
      expect(await h.sk(['apply', '-f', 'warn.yaml', '--validate=maybe'])).toEqual({
        code: 1,
        stdout: '',
        stderr: 'error: invalid - validate option "maybe"; must be one of: strict (or true), warn, ignore (or false)\n',
      });
    });
  });

  test('a document whose envelope has the wrong types is reported, naming the field; the others are applied', async () => {
    const docs = [
      'apiVersion: 5\nkind: Run\nmetadata: {name: x}',
      'apiVersion: sidekicks.dev/v1alpha1\nkind: [Run]\nmetadata: {name: x}',
      'apiVersion: sidekicks.dev/v1alpha1\nkind: Run\nmetadata: just-a-string',
      'apiVersion: sidekicks.dev/v1alpha1\nkind: Run\nmetadata: {name: 5}',
      runManifest('typed-ok'),
    ];
    await h.write('typed.yaml', docs.join('\n---\n'));
    const r = await h.sk(['apply', '-f', 'typed.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('run.sidekicks.dev/typed-ok created\n');
    expect(r.stderr.trim().split('\n')).toEqual([
      'error: error validating "typed.yaml": error validating data: apiVersion must be a string, got 5',
      'error: error validating "typed.yaml": error validating data: kind must be a string, got ["Run"]',
      'error: error validating "typed.yaml": error validating data: metadata must be a mapping, got "just-a-string"',
      'error: error validating "typed.yaml": error validating data: metadata.name must be a string, got 5',
    ]);
  });

  test('a file with no objects is an error, as kubectl says it', async () => {
    await h.write('empty.yaml', '');
    await h.write('comments.yaml', '# nothing here\n---\n---\n');
    for (const file of ['empty.yaml', 'comments.yaml']) {
      expect(await h.sk(['apply', '-f', file])).toEqual({ code: 1, stdout: '', stderr: 'error: no objects passed to apply\n' });
    }
    expect(await h.sk(['apply', '-f', '-'], { stdin: '' })).toMatchObject({ code: 1, stderr: 'error: no objects passed to apply\n' });
  });

  describe('a relative RepoMount spec.path', () => {
    const REPOMOUNTS = { ...RUNS, plural: 'repomounts', kind: 'RepoMount' };
    const mount = (name: string, path: string): string =>
      `apiVersion: sidekicks.dev/v1alpha1\nkind: RepoMount\nmetadata:\n  name: ${name}\nspec:\n  session: s1\n  path: ${path}\n`;

    test('is resolved against the directory of its manifest file (apply and diff), and stdin against the working directory', async () => {
      const file = await h.write('checkout/.sidekick/repomount.yaml', mount('rel', '..'));
      expect(await h.sk(['apply', '-f', file])).toMatchObject({ code: 0, stdout: 'repomount.sidekicks.dev/rel created\n' });
      expect((await h.client.get(REPOMOUNTS, 'default', 'rel')).spec).toMatchObject({ path: join(h.home, 'checkout') });
      // Run from another directory, the same file means the same path: nothing to apply, nothing to diff.
      expect(await h.sk(['apply', '-f', 'checkout/.sidekick/'])).toMatchObject({ code: 0, stdout: 'repomount.sidekicks.dev/rel unchanged\n' });
      expect(await h.sk(['diff', '-f', 'checkout/.sidekick/repomount.yaml'])).toMatchObject({ code: 0, stdout: '' });

      expect(await h.sk(['apply', '-f', '-'], { stdin: mount('from-stdin', 'checkout/sub') })).toMatchObject({ code: 0 });
      expect((await h.client.get(REPOMOUNTS, 'default', 'from-stdin')).spec).toMatchObject({ path: join(h.home, 'checkout', 'sub') });
    });

    test('is refused by the server, naming the field, when sent as is (kubectl)', async () => {
      const obj = { apiVersion: 'sidekicks.dev/v1alpha1', kind: 'RepoMount', metadata: { name: 'kubectl-rel' }, spec: { session: 's1', path: '..' } };
      const err = await h.client.create(REPOMOUNTS, 'default', obj).then(() => undefined, (e: unknown) => e as Error);
      expect(isReason(err, 'Invalid')).toBe(true);
      expect(err?.message).toContain('spec.path: Invalid value: "..": must be an absolute path');
    });
  });
});
