/** `sidekick apply -f` with workflow templates: a refused template is one line naming the field; an unchanged one is a no-op. */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { stringify as toYaml } from 'yaml';
import { startHarness, type CliHarness } from '../../test/support/cli-harness.js';
import { isReason } from '../../api/errors.js';
import type { WorkflowTemplate } from '../../resources/kinds/workflowtemplate.js';

const TEMPLATES = { group: 'sidekicks.dev', version: 'v1alpha1', plural: 'workflowtemplates', kind: 'WorkflowTemplate', namespaced: true };

let h: CliHarness;
beforeAll(async () => {
  h = await startHarness();
  await h.write('agent.yaml', toYaml({ apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Agent', metadata: { name: 'coder' }, spec: { driver: 'Claude' } }));
  expect(await h.sk(['apply', '-f', 'agent.yaml'])).toMatchObject({ code: 0, stdout: 'agent.sidekicks.dev/coder created\n' });
});
afterAll(async () => {
  await h.close();
});

const manifest = (name: string, planPrompt: string) =>
  toYaml({
    apiVersion: 'sidekicks.dev/v1alpha1',
    kind: 'WorkflowTemplate',
    metadata: { name },
    spec: {
      phases: [
        { name: 'plan', type: 'Agent', agent: 'coder', prompt: planPrompt },
        { name: 'review', type: 'Agent', agent: 'coder', prompt: 'Review {{phases.plan.outputs.summary}}', dependsOn: ['plan'] },
      ],
    },
  });

const stored = (name: string): Promise<WorkflowTemplate | undefined> =>
  h.client.get<WorkflowTemplate>(TEMPLATES, 'default', name).then(
    (t) => t,
    (err: unknown) => {
      if (isReason(err, 'NotFound')) return undefined;
      throw err;
    },
  );

describe('apply -f with a WorkflowTemplate', () => {
  test('a bad template exits 1 with one line naming the path of the problem, and is not stored', async () => {
    await h.write('bad.yaml', manifest('bad', 'Plan after {{phases.review.outputs.summary}}'));
    const r = await h.sk(['apply', '-f', 'bad.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'The WorkflowTemplate "bad" is invalid: spec.phases[0].prompt: Invalid value: "{{phases.review.outputs.summary}}": phase "review" is not an ancestor of "plan"\n',
    );
    expect(await stored('bad')).toBeUndefined();
  });

  test('a good template is created with its digest; applying it again is a no-op; a changed spec is refused', async () => {
    await h.write('good.yaml', manifest('good', 'Plan it'));
    expect(await h.sk(['apply', '-f', 'good.yaml'])).toMatchObject({ code: 0, stdout: 'workflowtemplate.sidekicks.dev/good created\n' });
    const created = await stored('good');
    expect(created?.status?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);

    // Lists are atomic in a merge patch and the server defaulted fields in spec.phases, so kubectl's
    // three-way patch resends them ("configured"); the server finds nothing to change and writes nothing.
    const again = await h.sk(['apply', '-f', 'good.yaml']);
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(again.stdout).toMatch(/^workflowtemplate\.sidekicks\.dev\/good (unchanged|configured)\n$/);
    const reapplied = await stored('good');
    expect(reapplied?.metadata.resourceVersion).toBe(created?.metadata.resourceVersion);
    expect(reapplied?.status?.digest).toBe(created?.status?.digest);

    await h.write('good.yaml', manifest('good', 'Plan it differently'));
    const changed = await h.sk(['apply', '-f', 'good.yaml']);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(/^The WorkflowTemplate "good" is invalid: spec: Invalid value: .*: field is immutable\n$/);
    expect((await stored('good'))?.status?.digest).toBe(created?.status?.digest);
  });
});
