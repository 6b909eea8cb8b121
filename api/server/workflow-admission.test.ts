/**
 * WorkflowTemplate and Workflow admission against the real API server and store: every problem of
 * a template or workflow refused at create in one 422 naming its field, and the digest stamped.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { stringify as toYaml } from 'yaml';
import { canonicalJson } from '../../resources/canonical-json.js';
import { agentManifest, collection, startTestServer, type Reply, type TestServer } from '../../test/support/api-server.js';

let server: TestServer;
const TEMPLATES = collection('workflowtemplates');
const WORKFLOWS = collection('workflows');

const template = (name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'sidekicks.dev/v1alpha1',
  kind: 'WorkflowTemplate',
  metadata: { name },
  spec,
  ...extra,
});
const workflow = (name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'sidekicks.dev/v1alpha1',
  kind: 'Workflow',
  metadata: { name },
  spec: { session: 's1', ...spec },
  ...extra,
});
/** plan → impl, with a param; valid once agent "coder" exists. */
const review = {
  params: [{ name: 'issue' }, { name: 'branch', default: 'main' }],
  phases: [
    { name: 'plan', type: 'Agent', agent: 'coder', prompt: 'Plan issue {{params.issue}} on {{params.branch}}' },
    { name: 'impl', type: 'Agent', agent: 'coder', prompt: 'Do {{phases.plan.outputs.summary}}', dependsOn: ['plan'] },
  ],
};
/** The digest as a reader can compute it: sha256 of the canonical JSON of the stored (defaulted) spec. */
const digestOf = (spec: unknown) => `sha256:${createHash('sha256').update(canonicalJson(spec)).digest('hex')}`;

const post = (path: string, body: unknown, query = '') => server.request('POST', `${path}${query}`, { body });
/** The `field: message` causes of a 422, checking it is one line in kube-apiserver's shape. */
const causes = (reply: Reply, kind: string, name: string): string[] => {
  expect(reply.status).toBe(422);
  expect(reply.json.reason).toBe('Invalid');
  expect(reply.json.message).toMatch(new RegExp(`^${kind} "${name}" is invalid: `));
  expect(reply.json.message).not.toContain('\n');
  return reply.json.details.causes.map((c: { field: string; message: string }) => `${c.field}: ${c.message}`);
};

beforeAll(async () => {
  server = await startTestServer();
  const object = (kind: string, name: string, spec: Record<string, unknown>) => ({ apiVersion: 'sidekicks.dev/v1alpha1', kind, metadata: { name }, spec });
  for (const [plural, body] of [
    ['agents', agentManifest('coder')],
    ['agents', agentManifest('reviewer')],
    ['sessions', object('Session', 's1', {})],
    ['sessions', object('Session', 's2', {})],
    ['repomounts', object('RepoMount', 'repo', { session: 's1', path: '/tmp/repo' })],
    ['repomounts', object('RepoMount', 'other-repo', { session: 's2', path: '/tmp/other' })],
  ] as const) {
    expect((await post(collection(plural), body)).status).toBe(201);
  }
  expect((await post(TEMPLATES, template('review', review))).status).toBe(201);
});

afterAll(async () => {
  await server?.close();
});

describe('WorkflowTemplate create', () => {
  it('refuses a dependency cycle, naming it', async () => {
    const spec = {
      phases: [
        { name: 'a', type: 'Automated', command: 'true', dependsOn: ['c'] },
        { name: 'b', type: 'Automated', command: 'true', dependsOn: ['a'] },
        { name: 'c', type: 'Automated', command: 'true', dependsOn: ['b'] },
      ],
    };
    const [cause, ...rest] = causes(await post(TEMPLATES, template('cyclic', spec)), 'WorkflowTemplate', 'cyclic');
    expect(rest).toEqual([]);
    expect(cause).toMatch(/^spec\.phases(\[0\]\.dependsOn)?: Invalid value: .*a -> (b -> c|c -> b) -> a/);
  });

  it('refuses an unknown dependency', async () => {
    const spec = { phases: [{ name: 'a', type: 'Automated', command: 'true' }, { name: 'b', type: 'Automated', command: 'true', dependsOn: ['nope'] }] };
    const all = causes(await post(TEMPLATES, template('dangling', spec)), 'WorkflowTemplate', 'dangling');
    expect(all).toHaveLength(1);
    expect(all[0]).toMatch(/^spec\.phases\[1\]\.dependsOn\[0\]: .*"nope"/);
  });

  it('refuses unknown agents, for phases and for checks', async () => {
    const spec = {
      phases: [
        {
          name: 'a',
          type: 'Agent',
          agent: 'ghost',
          prompt: 'go',
          gate: { type: 'QualityChecks', checks: [{ command: 'npm test' }, { agent: 'phantom', prompt: 'review it' }] },
        },
      ],
    };
    expect(causes(await post(TEMPLATES, template('ghostly', spec)), 'WorkflowTemplate', 'ghostly')).toEqual([
      'spec.phases[0].agent: Not found: agent "ghost"',
      'spec.phases[0].gate.checks[1].agent: Not found: agent "phantom"',
    ]);
  });

  it('refuses an output reference to a phase that is not an ancestor, and an undeclared param, all in one 422', async () => {
    const spec = {
      params: [{ name: 'issue' }],
      phases: [
        { name: 'plan', type: 'Agent', agent: 'coder', prompt: 'Plan {{params.ticket}} after {{phases.review.outputs.summary}}' },
        { name: 'review', type: 'Agent', agent: 'nobody', prompt: 'Review {{phases.plan.outputs.summary}} {{ nope }}', dependsOn: ['plan'] },
      ],
    };
    const reply = await post(TEMPLATES, template('mixed', spec));
    const expected = [
      'spec.phases[0].prompt: Invalid value: "{{phases.review.outputs.summary}}": phase "review" is not an ancestor of "plan"',
      'spec.phases[0].prompt: Invalid value: "{{params.ticket}}": parameter "ticket" is not declared in spec.params',
      'spec.phases[1].prompt: Invalid value: "{{ nope }}": unknown expression',
      'spec.phases[1].agent: Not found: agent "nobody"',
    ];
    expect([...causes(reply, 'WorkflowTemplate', 'mixed')].sort()).toEqual([...expected].sort());
    for (const line of expected) expect(reply.json.message).toContain(line);
    expect(reply.json.details.causes.find((c: { field: string }) => c.field === 'spec.phases[1].agent').reason).toBe('FieldValueNotFound');
  });

  it('refuses a GoBackTo that names a phase that is not an ancestor', async () => {
    const spec = {
      phases: [
        { name: 'impl', type: 'Automated', command: 'make' },
        { name: 'docs', type: 'Automated', command: 'make docs', gate: { type: 'HumanApproval', onFailure: 'GoBackTo', goBackTo: 'impl' } },
      ],
    };
    expect(causes(await post(TEMPLATES, template('goback', spec)), 'WorkflowTemplate', 'goback')).toEqual([
      'spec.phases[1].gate.goBackTo: Invalid value: "impl": must be "docs" or a phase it depends on',
    ]);
  });

  it('stores nothing on a refused dry run, and answers a valid dry run with the digest', async () => {
    const bad = await post(TEMPLATES, template('dry', { phases: [{ name: 'a', type: 'Agent', agent: 'ghost', prompt: 'p' }] }), '?dryRun=All');
    expect(causes(bad, 'WorkflowTemplate', 'dry')).toEqual(['spec.phases[0].agent: Not found: agent "ghost"']);
    const good = await post(TEMPLATES, template('dry', review), '?dryRun=All');
    expect(good.status).toBe(201);
    expect(good.json.status.digest).toBe(digestOf(good.json.spec));
    expect((await server.request('GET', `${TEMPLATES}/dry`)).status).toBe(404);
  });

  it('stamps status.digest at create, whatever digest the body claims', async () => {
    const forged = `sha256:${'0'.repeat(64)}`;
    const created = await post(TEMPLATES, template('stamped', review, { status: { digest: forged } }));
    expect(created.status).toBe(201);
    expect(created.json.status.digest).not.toBe(forged);
    expect(created.json.status.digest).toBe(digestOf(created.json.spec));
    // The same spec under another name is the same version.
    expect((await server.request('GET', `${TEMPLATES}/review`)).json.status.digest).toBe(created.json.status.digest);
  });

  it('keeps the stamped digest through a status write that claims another', async () => {
    const forged = `sha256:${'1'.repeat(64)}`;
    const before = (await server.request('GET', `${TEMPLATES}/stamped`)).json.status.digest;
    const patched = await server.request('PATCH', `${TEMPLATES}/stamped/status`, {
      body: { status: { digest: forged, conditions: [{ type: 'Ready', status: 'True' }] } },
      contentType: 'application/merge-patch+json',
    });
    expect(patched.status).toBe(200);
    expect(patched.json.status).toMatchObject({ digest: before, conditions: [{ type: 'Ready', status: 'True' }] });
  });

  it('keeps the digest across a re-apply of the same spec, and refuses a changed spec as immutable', async () => {
    const apply = (spec: Record<string, unknown>) =>
      server.request('PATCH', `${TEMPLATES}/versioned?fieldManager=ci`, { raw: toYaml(template('versioned', spec)), contentType: 'application/apply-patch+yaml' });
    const first = await apply(review);
    expect(first.status).toBe(200);
    const digest = first.json.status.digest;
    expect(digest).toBe(digestOf(first.json.spec));

    const again = await apply(review);
    expect(again.status).toBe(200);
    expect(again.json.status.digest).toBe(digest);
    expect(again.json.metadata.generation).toBe(1);
    const put = await server.request('PUT', `${TEMPLATES}/versioned`, { body: again.json });
    expect(put.status).toBe(200);
    expect(put.json.status.digest).toBe(digest);

    const changed = structuredClone(review);
    changed.phases[0]!.prompt = 'Plan it differently';
    const refused = await apply(changed);
    expect(causes(refused, 'WorkflowTemplate', 'versioned')).toEqual([expect.stringMatching(/^spec: Invalid value: .*: field is immutable$/)]);
    const live = (await server.request('GET', `${TEMPLATES}/versioned`)).json;
    expect(live.spec.phases[0].prompt).toBe(review.phases[0]!.prompt);
    expect(live.status.digest).toBe(digest);
  });
});

describe('Workflow create', () => {
  let reviewDigest: string;
  beforeAll(async () => {
    reviewDigest = (await server.request('GET', `${TEMPLATES}/review`)).json.status.digest;
  });

  it('runs a referenced template pinned to its digest, and stamps status.templateDigest', async () => {
    const forged = `sha256:${'f'.repeat(64)}`;
    const created = await post(
      WORKFLOWS,
      workflow('ok-ref', { templateRef: { name: 'review', digest: reviewDigest }, params: { issue: '142' }, repoMount: 'repo' }, { status: { templateDigest: forged } }),
    );
    expect(created.status).toBe(201);
    expect(created.json.status.templateDigest).toBe(reviewDigest);
    const unpinned = await post(WORKFLOWS, workflow('ok-unpinned', { templateRef: { name: 'review' }, params: { issue: '7', branch: 'dev' } }));
    expect(unpinned.status).toBe(201);
    expect(unpinned.json.status.templateDigest).toBe(reviewDigest);
  });

  it('refuses a digest the template is not at', async () => {
    const stale = `sha256:${'a'.repeat(64)}`;
    const reply = await post(WORKFLOWS, workflow('stale', { templateRef: { name: 'review', digest: stale }, params: { issue: '1' } }));
    expect(causes(reply, 'Workflow', 'stale')).toEqual([`spec.templateRef.digest: Invalid value: "${stale}": template "review" is at ${reviewDigest}`]);
  });

  it('refuses missing and unknown params', async () => {
    const reply = await post(WORKFLOWS, workflow('params', { templateRef: { name: 'review' }, params: { ticket: '9' } }));
    expect(causes(reply, 'Workflow', 'params')).toEqual([
      'spec.params.issue: Required value',
      'spec.params.ticket: Invalid value: "ticket": not a parameter of the template (declared: "issue", "branch")',
    ]);
  });

  it('refuses a missing session, repo mount and template', async () => {
    const reply = await post(WORKFLOWS, workflow('dangling', { session: 'nope', repoMount: 'no-repo', templateRef: { name: 'no-template' } }));
    expect(causes(reply, 'Workflow', 'dangling')).toEqual([
      'spec.session: Not found: session "nope"',
      'spec.repoMount: Not found: repomount "no-repo"',
      'spec.templateRef.name: Not found: workflowtemplate "no-template"',
    ]);
    expect(reply.json.details.causes[0].reason).toBe('FieldValueNotFound');
  });

  it('refuses a repo mount of another session', async () => {
    const reply = await post(WORKFLOWS, workflow('elsewhere', { repoMount: 'other-repo', templateRef: { name: 'review' }, params: { issue: '1' } }));
    expect(causes(reply, 'Workflow', 'elsewhere')).toEqual(['spec.repoMount: Invalid value: "other-repo": belongs to session "s2", not "s1"']);
  });

  it('checks an inline template like a WorkflowTemplate, under spec.template, and stamps its digest', async () => {
    const bad = {
      params: [{ name: 'issue' }],
      phases: [
        { name: 'plan', type: 'Agent', agent: 'ghost', prompt: '{{phases.impl.outputs.x}}' },
        { name: 'impl', type: 'Automated', command: 'make {{params.target}}', dependsOn: ['plan'] },
      ],
    };
    expect(causes(await post(WORKFLOWS, workflow('inline-bad', { template: bad, params: { issue: '1' } })), 'Workflow', 'inline-bad')).toEqual([
      'spec.template.phases[0].prompt: Invalid value: "{{phases.impl.outputs.x}}": phase "impl" is not an ancestor of "plan"',
      'spec.template.phases[1].command: Invalid value: "{{params.target}}": parameter "target" is not declared in spec.template.params',
      'spec.template.phases[0].agent: Not found: agent "ghost"',
    ]);
    const good = await post(WORKFLOWS, workflow('inline-ok', { template: review, params: { issue: '1' } }));
    expect(good.status).toBe(201);
    expect(good.json.status.templateDigest).toBe(digestOf(good.json.spec.template));
    // The same spec inline and as a template is the same version.
    expect(good.json.status.templateDigest).toBe(reviewDigest);
  });

  it('refuses a referenced template whose agent is gone since it was created', async () => {
    const spec = { phases: [{ name: 'solo', type: 'Agent', agent: 'temp', prompt: 'go' }] };
    expect((await post(collection('agents'), agentManifest('temp'))).status).toBe(201);
    expect((await post(TEMPLATES, template('uses-temp', spec))).status).toBe(201);
    expect((await server.request('DELETE', `${collection('agents')}/temp`)).status).toBe(200);
    const reply = await post(WORKFLOWS, workflow('orphan', { templateRef: { name: 'uses-temp' } }));
    expect(causes(reply, 'Workflow', 'orphan')).toEqual(['spec.templateRef.name: Invalid value: "uses-temp": spec.phases[0].agent: Not found: agent "temp"']);
  });

  it('refuses neither or both of templateRef and template', async () => {
    const neither = causes(await post(WORKFLOWS, workflow('neither', {})), 'Workflow', 'neither');
    expect(neither).toEqual([expect.stringMatching(/^spec\.templateRef: Required value/)]);
    const both = causes(await post(WORKFLOWS, workflow('both', { templateRef: { name: 'review' }, template: review, params: { issue: '1' } })), 'Workflow', 'both');
    expect(both).toEqual([expect.stringMatching(/^spec\.template: Forbidden: may not be set together with spec\.templateRef/)]);
  });
});

describe('Workflow repo mount', () => {
  const object = (kind: string, name: string, spec: Record<string, unknown>) => ({ apiVersion: 'sidekicks.dev/v1alpha1', kind, metadata: { name }, spec });
  /** plan (Agent) → implement (Agent, checked) → ship (Automated) → ok (Human). */
  const checked = {
    phases: [
      { name: 'plan', type: 'Agent', agent: 'coder', prompt: 'plan' },
      { name: 'implement', type: 'Agent', agent: 'coder', prompt: 'do', dependsOn: ['plan'], gate: { type: 'QualityChecks', checks: [{ command: 'make test' }] } },
      { name: 'ship', type: 'Automated', command: 'make dist', dependsOn: ['implement'] },
      { name: 'ok', type: 'Human', human: { prompt: 'Ship it?' }, dependsOn: ['ship'] },
    ],
  };
  beforeAll(async () => {
    for (const [plural, body] of [
      ['sessions', object('Session', 'bare', {})],
      ['sessions', object('Session', 'two', {})],
      ['sessions', object('Session', 'chosen', { defaults: { repoMount: 'chosen-b' } })],
      ['repomounts', object('RepoMount', 'two-a', { session: 'two', path: '/tmp/a' })],
      ['repomounts', object('RepoMount', 'two-b', { session: 'two', path: '/tmp/b' })],
      ['repomounts', object('RepoMount', 'chosen-a', { session: 'chosen', path: '/tmp/a' })],
      ['repomounts', object('RepoMount', 'chosen-b', { session: 'chosen', path: '/tmp/b' })],
      ['workflowtemplates', template('checked', checked)],
    ] as const) {
      expect((await post(collection(plural), body)).status).toBe(201);
    }
  });

  it("defaults to the session's only RepoMount, as for YAML applied without spec.repoMount", async () => {
    const created = await post(WORKFLOWS, workflow('only-mount', { templateRef: { name: 'checked' } }));
    expect(created.status).toBe(201);
    expect(created.json.spec.repoMount).toBe('repo');
  });

  it("defaults to the session's spec.defaults.repoMount among several", async () => {
    const created = await post(WORKFLOWS, workflow('default-mount', { session: 'chosen', templateRef: { name: 'checked' } }));
    expect(created.status).toBe(201);
    expect(created.json.spec.repoMount).toBe('chosen-b');
  });

  it('keeps a repo mount the workflow names', async () => {
    const created = await post(WORKFLOWS, workflow('named-mount', { session: 'two', repoMount: 'two-a', templateRef: { name: 'checked' } }));
    expect(created.status).toBe(201);
    expect(created.json.spec.repoMount).toBe('two-a');
  });

  it('refuses a template with phases that work in a repository when the session has none, naming them', async () => {
    const reply = await post(WORKFLOWS, workflow('no-mount', { session: 'bare', templateRef: { name: 'checked' } }));
    expect(causes(reply, 'Workflow', 'no-mount')).toEqual([
      'spec.repoMount: Required value: workflowtemplate/checked has phases that work in a repository (implement, ship); session bare has no RepoMount',
    ]);
    expect(reply.json.details.causes[0].reason).toBe('FieldValueRequired');
    expect((await server.request('GET', `${WORKFLOWS}/no-mount`)).status).toBe(404);
  });

  it('refuses to guess between several RepoMounts without a session default', async () => {
    const reply = await post(WORKFLOWS, workflow('guess', { session: 'two', templateRef: { name: 'review' }, params: { issue: '1' } }));
    expect(causes(reply, 'Workflow', 'guess')).toEqual([
      'spec.repoMount: Required value: workflowtemplate/review has phases that do work (plan, impl); session two has 2 RepoMounts (two-a, two-b) and no spec.defaults.repoMount: name one',
    ]);
  });

  it('runs agent phases in scratch when the session has no RepoMount, and a Human-only template anywhere', async () => {
    const scratch = await post(WORKFLOWS, workflow('scratch', { session: 'bare', templateRef: { name: 'review' }, params: { issue: '1' } }));
    expect(scratch.status).toBe(201);
    expect(scratch.json.spec.repoMount).toBeUndefined();
    const human = { phases: [{ name: 'ask', type: 'Human', human: { prompt: 'Which?' } }] };
    expect((await post(WORKFLOWS, workflow('human-only', { session: 'two', template: human }))).status).toBe(201);
  });
});
