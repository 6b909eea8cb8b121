/**
 * The real kubectl meets a mistake and prints its normal message: a kind the server does not
 * have (on get, apply, create, delete — kubectl asks /openapi/v2 while validating one from a
 * file), a misspelled field (refused with --validate=strict, its default; a warning with warn),
 * a field selector the kind cannot be selected by, and an empty manifest.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { kubectlEnv, type KubectlEnv } from './kubectl.js';

let env: KubectlEnv;

beforeAll(async () => {
  env = await kubectlEnv();
});

afterAll(async () => {
  await env?.close();
});

const WIDGET = 'apiVersion: nosuch.dev/v1\nkind: Widget\nmetadata:\n  name: w\n';
const typoPolicy = (name: string): string =>
  `apiVersion: sidekicks.dev/v1alpha1\nkind: ApprovalPolicy\nmetadata:\n  name: ${name}\nspec:\n  session: s\n  rules:\n  - category: ToolExecution\n    mtach: {tool: RunCommand, command: "sh test.sh"}\n    action: Allow\n`;

describe('kubectl and unknown kinds', () => {
  it.each([['get'], ['describe'], ['delete']])('%s nosuchkind says the server has no such resource type', async (verb) => {
    const r = await env.run([verb, 'nosuchkind', ...(verb === 'delete' ? ['x'] : [])]);
    expect(r).toEqual({ code: 1, stdout: '', stderr: 'error: the server doesn\'t have a resource type "nosuchkind"\n' });
  });

  it.each([['apply'], ['create'], ['apply', '--server-side']])('%s -f of an unknown kind says no mapping was found', async (...verb) => {
    const file = await env.file('widget.yaml', WIDGET);
    const r = await env.run([...verb, '-f', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error: resource mapping not found for name: "w" namespace: "" from "${file}": no matches for kind "Widget" in version "nosuch.dev/v1"\nensure CRDs are installed first\n`,
    );
  });
});

describe('kubectl and unknown fields', () => {
  it.each([['apply'], ['create'], ['apply', '--server-side']])('%s refuses a misspelled field, naming it, and stores nothing', async (...verb) => {
    const r = await env.run([...verb, '-f', '-'], typoPolicy('typo'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('strict decoding error: unknown field "spec.rules[0].mtach"');
    expect((await env.run(['get', 'approvalpolicies', 'typo'])).code).toBe(1);
  });

  it('--validate=warn creates without the field and prints kubectl’s warning', async () => {
    const r = await env.run(['apply', '--validate=warn', '-f', '-'], typoPolicy('warned'));
    expect(r).toEqual({ code: 0, stdout: 'approvalpolicy.sidekicks.dev/warned created\n', stderr: 'Warning: unknown field "spec.rules[0].mtach"\n' });
    const stored = JSON.parse((await env.run(['get', 'approvalpolicy', 'warned', '-o', 'json'])).stdout);
    expect(stored.spec.rules[0]).not.toHaveProperty('mtach');
  });
});

describe('kubectl and field selectors', () => {
  it('refuses a field the kind cannot be selected by, on get and on delete, and deletes nothing', async () => {
    const run = JSON.stringify({ apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name: 'kept' }, spec: { session: 's', agent: 'a', prompt: 'p' } });
    expect((await env.run(['create', '-f', '-'], run)).code).toBe(0);
    for (const verb of ['get', 'delete']) {
      const r = await env.run([verb, 'runs', '--field-selector', 'spec.sesion!=x']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        'field label not supported: "spec.sesion" is not a known field selector for runs; supported: metadata.name, metadata.namespace, spec.session, status.phase, spec.nodeName',
      );
    }
    expect((await env.run(['get', 'runs', '--field-selector', 'spec.session=s', '-o', 'name'])).stdout).toBe('run.sidekicks.dev/kept\n');
  });
});
