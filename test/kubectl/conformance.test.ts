/**
 * kubectl conformance: the real /usr/bin/kubectl against a daemon started in-process on a temp
 * dir. Each case is a habit a Kubernetes user has on day one (KUBECTL.md).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { eventually } from '../eventually.js';
import { kubectlEnv, kubectlOk, type KubectlEnv } from './kubectl.js';

let env: KubectlEnv;

beforeAll(async () => {
  env = await kubectlEnv();
});

afterAll(async () => {
  await env?.close();
});

function agent(name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Agent', metadata: { name, ...extra }, spec });
}

const ok = (args: string[], input?: string): Promise<string> => kubectlOk(env, args, input);

async function getJson(kindName: string): Promise<Record<string, any>> {
  return JSON.parse(await ok(['get', kindName, '-o', 'json']));
}

describe('kubectl conformance', () => {
  it('api-resources lists every kind with its short names', async () => {
    const out = await ok(['api-resources', '--api-group=sidekicks.dev']);
    expect(out).toMatch(/^runs\s+run\s+sidekicks\.dev\/v1alpha1\s+true\s+Run$/m);
    expect(out).toMatch(/^repomounts\s+rm\s+sidekicks\.dev\/v1alpha1\s+true\s+RepoMount$/m);
    expect(out).toMatch(/^runtimenodes\s+node,nodes,no\s+sidekicks\.dev\/v1alpha1\s+false\s+RuntimeNode$/m);
  });

  it('explain shows field descriptions from the OpenAPI schema', async () => {
    const out = await ok(['explain', 'runs.spec']);
    expect(out).toContain('KIND:       Run');
    expect(out).toMatch(/prompt\s+<string> -required-\n\s+What the agent is asked to do\./);
  });

  it('client-side apply creates, leaves unchanged, configures and removes dropped fields', async () => {
    const path = await env.file('csa.yaml', agent('csa', { driver: 'Claude', model: 'm1', instructions: 'be brief' }));
    expect((await ok(['apply', '-f', path])).trim()).toBe('agent.sidekicks.dev/csa created');
    expect((await ok(['apply', '-f', path])).trim()).toBe('agent.sidekicks.dev/csa unchanged');
    await env.file('csa.yaml', agent('csa', { driver: 'Claude', model: 'm2' }));
    expect((await ok(['apply', '-f', path])).trim()).toBe('agent.sidekicks.dev/csa configured');
    const live = await getJson('agent/csa');
    expect(live.spec.model).toBe('m2');
    expect(live.spec.instructions).toBeUndefined();
    expect(live.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain('"m2"');
  });

  it('apply from stdin with several documents, and --dry-run=server stores nothing', async () => {
    const docs = [agent('multi-a', { driver: 'Claude' }), agent('multi-b', { driver: 'Codex' })].map((d) => stringifyYaml(JSON.parse(d))).join('---\n');
    const out = await ok(['apply', '-f', '-'], docs);
    expect(out).toContain('agent.sidekicks.dev/multi-a created');
    expect(out).toContain('agent.sidekicks.dev/multi-b created');
    const dry = await ok(['apply', '--dry-run=server', '-f', '-'], agent('dry', { driver: 'Claude' }));
    expect(dry.trim()).toBe('agent.sidekicks.dev/dry created (server dry run)');
    const missing = await env.run(['get', 'agent', 'dry']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('Error from server (NotFound): agents.sidekicks.dev "dry" not found');
  });

  it('rejects an invalid object with the field named, and unknown fields strictly', async () => {
    const bad = await env.run(['apply', '-f', '-'], agent('bad', { driver: 'Nope' }));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('spec.driver');
    const unknown = await env.run(['apply', '-f', '-'], agent('unknown', { driver: 'Claude', colour: 'red' }));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown field "spec.colour"');
  });

  it('server-side apply records managedFields, reports conflicts and forces', async () => {
    const doc = agent('ssa', { driver: 'Claude', model: 'm1' });
    expect((await ok(['apply', '--server-side', '-f', '-'], doc)).trim()).toBe('agent.sidekicks.dev/ssa serverside-applied');
    const live = JSON.parse(await ok(['get', 'agent/ssa', '-o', 'json', '--show-managed-fields']));
    const mine = live.metadata.managedFields.find((m: { manager: string }) => m.manager === 'kubectl');
    expect(mine.operation).toBe('Apply');
    expect(mine.fieldsV1['f:spec']).toEqual({ 'f:driver': {}, 'f:model': {} });

    const other = agent('ssa', { driver: 'Claude', model: 'm2' });
    const clash = await env.run(['apply', '--server-side', '--field-manager=other', '-f', '-'], other);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl": .spec.model');
    await ok(['apply', '--server-side', '--field-manager=other', '--force-conflicts', '-f', '-'], other);
    expect((await getJson('agent/ssa')).spec.model).toBe('m2');
  });

  it('get prints table, wide, yaml, json, name, jsonpath and custom-columns', async () => {
    await ok(['apply', '-f', '-'], agent('shown', { driver: 'Claude', model: 'gpt' }, { labels: { team: 'auth' } }));
    const table = await ok(['get', 'agents', 'shown']);
    const [header, row] = table.trim().split('\n');
    expect(header!.split(/\s{2,}/)[0]).toBe('NAME');
    expect(header).toContain('AGE');
    expect(row).toMatch(/^shown\s+.*\s\d+s$/);
    const wide = await ok(['get', 'agents', 'shown', '-o', 'wide']);
    expect(wide.split('\n')[0]!.split(/\s{2,}/).length).toBeGreaterThanOrEqual(header!.split(/\s{2,}/).length);
    expect(parseYaml(await ok(['get', 'agent', 'shown', '-o', 'yaml'])).spec.model).toBe('gpt');
    expect((await getJson('agent/shown')).metadata.labels).toEqual({ team: 'auth' });
    expect((await ok(['get', 'agents', '-l', 'team=auth', '-o', 'name'])).trim()).toBe('agent.sidekicks.dev/shown');
    expect(await ok(['get', 'agent', 'shown', '-o', 'jsonpath={.spec.model}'])).toBe('gpt');
    const cols = await ok(['get', 'agents', '-l', 'team in (auth)', '-o', 'custom-columns=N:.metadata.name,M:.spec.model']);
    expect(cols.trim().split('\n')[1]!.split(/\s+/)).toEqual(['shown', 'gpt']);
    expect((await ok(['get', 'agents', '-l', 'team=nobody'])).trim()).toBe('');
    const none = await env.run(['get', 'agents', '-l', 'team=nobody']);
    expect(none.stderr.trim()).toBe('No resources found in default namespace.');
  });

  it('get -w sees a change made by another client', async () => {
    await ok(['apply', '-f', '-'], agent('watched', { driver: 'Claude', model: 'before' }));
    const watch = env.spawn(['get', 'agent', 'watched', '-w', '-o', 'custom-columns=NAME:.metadata.name,MODEL:.spec.model', '--no-headers']);
    try {
      await eventually(() => watch.output().includes('before'));
      await ok(['patch', 'agent', 'watched', '--type', 'merge', '-p', '{"spec":{"model":"after"}}']);
      await eventually(() => /watched\s+after/.test(watch.output()));
    } finally {
      await watch.stop();
    }
  });

  it('patch --type merge and --type json, label and annotate', async () => {
    await ok(['apply', '-f', '-'], agent('patched', { driver: 'Claude', model: 'a' }));
    expect((await ok(['patch', 'agent', 'patched', '--type', 'merge', '-p', '{"spec":{"model":"b"}}'])).trim()).toBe('agent.sidekicks.dev/patched patched');
    await ok(['patch', 'agent', 'patched', '--type', 'json', '-p', '[{"op":"replace","path":"/spec/model","value":"c"}]']);
    expect((await getJson('agent/patched')).spec.model).toBe('c');
    const failing = await env.run(['patch', 'agent', 'patched', '--type', 'json', '-p', '[{"op":"test","path":"/spec/model","value":"x"}]']);
    expect(failing.code).toBe(1);
    expect((await ok(['label', 'agent', 'patched', 'tier=gold'])).trim()).toBe('agent.sidekicks.dev/patched labeled');
    expect((await ok(['annotate', 'agent', 'patched', 'note=hello'])).trim()).toBe('agent.sidekicks.dev/patched annotated');
    const live = await getJson('agent/patched');
    expect(live.metadata.labels.tier).toBe('gold');
    expect(live.metadata.annotations.note).toBe('hello');
    expect((await ok(['label', 'agent', 'patched', 'tier-'])).trim()).toBe('agent.sidekicks.dev/patched unlabeled');
  });

  it('describe shows the object and its Events', async () => {
    await ok(['apply', '-f', '-'], agent('described', { driver: 'Claude', model: 'x' }));
    const out = await eventually(async () => {
      const text = await ok(['describe', 'agent', 'described']);
      return text.includes('Created') ? text : undefined;
    });
    expect(out).toMatch(/^Name:\s+described$/m);
    expect(out).toMatch(/^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message/m);
    expect(out).toMatch(/Normal\s+Created\s+\S+\s+sidekick-apiserver\s+Created Agent described/);
  });

  it('delete of an object with a finalizer waits for the finalizer to go', async () => {
    await ok(['apply', '-f', '-'], agent('final', { driver: 'Claude' }, { finalizers: ['sidekicks.dev/test'] }));
    expect((await ok(['delete', 'agent', 'final', '--wait=false'])).trim()).toBe('agent.sidekicks.dev "final" deleted');
    const live = await getJson('agent/final');
    expect(live.metadata.deletionTimestamp).toEqual(expect.any(String));
    await ok(['patch', 'agent', 'final', '--type', 'merge', '-p', '{"metadata":{"finalizers":null}}']);
    await ok(['wait', '--for=delete', 'agent/final', '--timeout=10s']);
    expect((await env.run(['get', 'agent', 'final'])).code).toBe(1);
  });

  it('diff exits 0 when the same and 1 when different', async () => {
    const path = await env.file('diff.yaml', agent('diffed', { driver: 'Claude', model: 'one' }));
    await ok(['apply', '-f', path]);
    expect((await env.run(['diff', '-f', path])).code).toBe(0);
    await env.file('diff.yaml', agent('diffed', { driver: 'Claude', model: 'two' }));
    const changed = await env.run(['diff', '-f', path]);
    expect(changed.stderr).toBe('');
    expect(changed.code).toBe(1);
    expect(changed.stdout).toMatch(/^\+\s+model: two$/m);
  });

  it('wait --for=jsonpath sees a status change', async () => {
    await ok(['apply', '-f', '-'], agent('waited', { driver: 'Claude' }));
    const waiting = env.run(['wait', 'agent/waited', '--for=jsonpath={.status.phase}=Ready', '--timeout=20s']);
    await ok(['patch', 'agent', 'waited', '--subresource=status', '--type', 'merge', '-p', '{"status":{"phase":"Ready"}}']);
    const r = await waiting;
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('agent.sidekicks.dev/waited condition met');
  });

  it("get runs shows why a run waits or ended (REASON), and steering an ended run is refused", async () => {
    const run = (name: string) => JSON.stringify({ apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Run', metadata: { name }, spec: { session: 'k', agent: 'a', prompt: 'go' } });
    await ok(['apply', '-f', '-'], run('k-waiting'));
    await ok(['apply', '-f', '-'], run('k-done'));
    await ok(['patch', 'run', 'k-waiting', '--subresource=status', '--type', 'merge', '-p', '{"status":{"phase":"Queued","reason":"RepoMountNotReady"}}']);
    await ok(['patch', 'run', 'k-done', '--subresource=status', '--type', 'merge', '-p', '{"status":{"phase":"Completed"}}']);
    const table = await ok(['get', 'runs', 'k-waiting', 'k-done']);
    expect(table.split('\n')[0]).toMatch(/^NAME\s+SESSION\s+AGENT\s+PHASE\s+REASON\s/);
    expect(table).toMatch(/^k-waiting\s+k\s+a\s+Queued\s+RepoMountNotReady\s/m);

    const steer = JSON.stringify({ apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Intervention', metadata: { name: 'k-done-steer' }, spec: { run: 'k-done', type: 'Steer', content: 'more' } });
    const created = await env.run(['create', '-f', '-'], steer);
    expect([created.code, created.stderr.trim()]).toEqual([1, 'The Intervention "k-done-steer" is invalid: spec.run: run "k-done" is Completed: nothing to steer']);
    const paused = await env.run(['patch', 'run', 'k-done', '--type', 'merge', '-p', '{"spec":{"suspend":true}}']);
    expect([paused.code, paused.stderr.trim()]).toEqual([1, 'The Run "k-done" is invalid: spec.suspend: run "k-done" is Completed: nothing to pause']);
  });

  it('get all lists the kinds in the all category', async () => {
    await ok(['apply', '-f', '-'], agent('in-all', { driver: 'Claude' }));
    const out = await ok(['get', 'all']);
    expect(out).toMatch(/^agent\.sidekicks\.dev\/in-all\s/m);
  });
  it('get approvals --field-selector status.phase=Pending is answered by the server', async () => {
    const approval = (name: string): string =>
      JSON.stringify({ apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Approval', metadata: { name }, spec: { session: 's1', run: 'r1', category: 'ToolExecution', request: { command: 'make' } } });
    for (const [name, phase] of [['fs-waiting', 'Pending'], ['fs-done', 'Approved']] as const) {
      await ok(['apply', '-f', '-'], approval(name));
      await ok(['patch', 'approval', name, '--subresource=status', '--type', 'merge', '-p', JSON.stringify({ status: { phase } })]);
    }
    const pending = await ok(['get', 'approvals', '--field-selector', 'status.phase=Pending', '-o', 'name']);
    expect(pending.trim().split('\n')).toEqual(['approval.sidekicks.dev/fs-waiting']);
    const settled = await ok(['get', 'approvals', '--field-selector', 'status.phase!=Pending,spec.run=r1', '-o', 'name']);
    expect(settled.trim().split('\n')).toEqual(['approval.sidekicks.dev/fs-done']);
    const bad = await env.run(['get', 'approvals', '--field-selector', 'spec.category=ToolExecution']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('"spec.category" is not a known field selector for approvals');
  });
});
