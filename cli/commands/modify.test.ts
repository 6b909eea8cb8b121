import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { chmod } from 'node:fs/promises';
import { RUNS, runManifest, startHarness, type CliHarness } from '../../test/support/cli-harness.js';

let h: CliHarness;
beforeAll(async () => {
  h = await startHarness();
  await h.client.create(RUNS, 'default', JSON.parse(runManifest('target', { labels: { team: 'auth' } })));
});
afterAll(async () => {
  await h.close();
});

const live = () => h.client.get(RUNS, 'default', 'target');

describe('diff', () => {
  test('exit 0 without differences, 1 with a unified diff, >1 on error', async () => {
    await h.write('d.yaml', runManifest('diffed', { spec: { priority: 1 } }));
    const created = await h.sk(['diff', '-f', 'd.yaml']);
    expect(created.code).toBe(1);
    expect(created.stdout).toMatch(/^\+kind: Run$/m);
    expect((await h.client.list(RUNS, { namespace: 'default' })).items.map((i) => i.metadata.name)).not.toContain('diffed');

    await h.sk(['apply', '-f', 'd.yaml']);
    expect(await h.sk(['diff', '-f', 'd.yaml'])).toMatchObject({ code: 0, stdout: '' });

    await h.write('d.yaml', runManifest('diffed', { spec: { priority: 7 } }));
    const changed = await h.sk(['diff', '-f', 'd.yaml']);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toMatch(/^-  priority: 1$/m);
    expect(changed.stdout).toMatch(/^\+  priority: 7$/m);
    expect(changed.stdout).toMatch(/^@@ /m);

    await h.write('bad-diff.yaml', JSON.stringify({ apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Nope', metadata: { name: 'x' } }));
    const failed = await h.sk(['diff', '-f', 'bad-diff.yaml']);
    expect(failed.code).toBeGreaterThan(1);
    expect(failed.stderr).toContain('no matches for kind "Nope"');
  });

  test('the built-in diff is used when the diff program is missing', async () => {
    const r = await h.sk(['diff', '-f', 'd.yaml'], { env: { PATH: '/nonexistent' } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^-  priority: 1$/m);
    expect(r.stdout).toMatch(/^\+  priority: 7$/m);
  });
});

describe('patch, label, annotate', () => {
  test('patch --type merge and json', async () => {
    expect(await h.sk(['patch', 'run', 'target', '--type', 'merge', '-p', '{"spec":{"priority":3}}'])).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev/target patched\n' });
    expect((await live()).spec).toMatchObject({ priority: 3 });
    expect(await h.sk(['patch', 'run/target', '--type', 'merge', '-p', '{"spec":{"priority":3}}'])).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev/target patched (no change)\n' });
    expect(await h.sk(['patch', 'run/target', '--type=json', '-p', '[{"op":"replace","path":"/spec/priority","value":4}]'])).toMatchObject({ code: 0 });
    expect((await live()).spec).toMatchObject({ priority: 4 });
    // strategic is sent as a merge patch; YAML patches are accepted.
    expect(await h.sk(['patch', 'run/target', '-p', 'spec: {priority: 5}'])).toMatchObject({ code: 0 });
    expect((await live()).spec).toMatchObject({ priority: 5 });
    const invalid = await h.sk(['patch', 'run/target', '--type', 'merge', '-p', '{"spec":{"priority":"high"}}']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('spec.priority');
  });

  test('label: set, refuse overwrite, --overwrite, remove, not labeled', async () => {
    expect(await h.sk(['label', 'run', 'target', 'env=dev'])).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev/target labeled\n' });
    expect(await h.sk(['label', 'run', 'target', 'team=web'])).toMatchObject({ code: 1, stderr: "error: 'team' already has a value (auth), and --overwrite is false\n" });
    expect(await h.sk(['label', 'run', 'target', 'team=web', '--overwrite'])).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev/target labeled\n' });
    expect(await h.sk(['label', 'run/target', 'env-'])).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev/target labeled\n' });
    expect((await live()).metadata.labels).toEqual({ team: 'web' });
    expect(await h.sk(['label', 'run', 'target', 'team=web'])).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev/target not labeled\n' });
    expect(await h.sk(['label', 'runs', '-l', 'team=web', 'batch=1'])).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev/target labeled\n' });
  });

  test('annotate', async () => {
    expect(await h.sk(['annotate', 'run', 'target', 'note=first try'])).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev/target annotated\n' });
    expect((await live()).metadata.annotations).toMatchObject({ note: 'first try' });
    expect(await h.sk(['annotate', 'run', 'target', 'note-'])).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev/target annotated\n' });
    expect((await live()).metadata.annotations?.note).toBeUndefined();
  });
});

describe('edit', () => {
  test('saves the editor changes; an invalid change reopens the file with the error on top', async () => {
    // The "editor" breaks the priority; only when reopened with the error header does it fix it, so
    // priority 8 proves the file came back with the failure on top.
    const editor = await h.write(
      'editor.sh',
      `#!/bin/sh
if grep -q 'was not valid' "$1"; then
  sed -i 's/priority: .*/priority: 8/' "$1"
else
  sed -i 's/priority: .*/priority: not-a-number/' "$1"
fi
`,
    );
    await chmod(editor, 0o755);
    const r = await h.sk(['edit', 'run', 'target'], { env: { EDITOR: editor, KUBE_EDITOR: '' } });
    expect(r).toMatchObject({ code: 0, stdout: 'run.sidekicks.dev/target edited\n' });
    expect((await live()).spec).toMatchObject({ priority: 8 });
  });

  test('an unchanged file cancels the edit', async () => {
    expect(await h.sk(['edit', 'run/target'], { env: { EDITOR: 'true', KUBE_EDITOR: '' } })).toMatchObject({ code: 0, stderr: 'Edit cancelled, no changes made.\n' });
  });
});
