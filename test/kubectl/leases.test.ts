/**
 * Leases (coordination.k8s.io/v1, the control plane's leader lock) with the real kubectl and the
 * sidekick CLI: served in Kubernetes' own group beside sidekicks.dev, so kubectl treats them as
 * the built-in kind it knows.
 */
import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { runCli } from '../support/cli.js';
import { parseTable } from '../support/cli-harness.js';
import { kubectlPerFile } from './kubectl.js';

const kubectl = kubectlPerFile();
const ok = kubectl.ok;

const SPEC = {
  holderIdentity: 'replica-1',
  leaseDurationSeconds: 15,
  acquireTime: '2026-01-02T03:04:05.000000Z',
  renewTime: '2026-01-02T03:04:07.123456Z',
  leaseTransitions: 3,
};

function lease(name: string, spec: Record<string, unknown> = SPEC): string {
  return stringifyYaml({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name }, spec });
}

describe('leases with kubectl', () => {
  it('api-resources lists leases in coordination.k8s.io beside our group', async () => {
    const out = await ok(['api-resources']);
    expect(out).toMatch(/^leases\s+coordination\.k8s\.io\/v1\s+true\s+Lease$/m);
    expect(out).toMatch(/^runs\s+run\s+sidekicks\.dev\/v1alpha1\s+true\s+Run$/m);
    const only = await ok(['api-resources', '--api-group=coordination.k8s.io', '-o', 'name']);
    expect(only.trim()).toBe('leases.coordination.k8s.io');
  });

  it('applies a Lease, lists it with HOLDER and round-trips it through -o yaml', async () => {
    expect((await ok(['apply', '-f', '-'], lease('demo'))).trim()).toBe('lease.coordination.k8s.io/demo created');
    expect((await ok(['apply', '-f', '-'], lease('demo'))).trim()).toBe('lease.coordination.k8s.io/demo unchanged');

    const table = await ok(['get', 'leases']);
    expect(table.split('\n')[0]).toMatch(/^NAME\s+HOLDER\s+AGE$/);
    expect(parseTable(table)).toEqual([{ NAME: 'demo', HOLDER: 'replica-1', AGE: expect.stringMatching(/^\d+s$/) }]);

    const yaml = parseYaml(await ok(['get', 'lease', 'demo', '-o', 'yaml']));
    expect(yaml).toMatchObject({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'demo', namespace: 'default' }, spec: SPEC });
    // What kubectl printed goes back unchanged: replace it as is, and read the same spec again.
    expect((await ok(['replace', '-f', '-'], stringifyYaml(yaml))).trim()).toBe('lease.coordination.k8s.io/demo replaced');
    expect(parseYaml(await ok(['get', 'lease', 'demo', '-o', 'yaml'])).spec).toEqual(SPEC);
  });

  it('applies a changed Lease (kubectl patches its built-in kinds strategically) and patches it', async () => {
    await ok(['apply', '-f', '-'], lease('change'));
    const moved = { ...SPEC, holderIdentity: 'replica-2', leaseTransitions: 4 };
    const configured = await kubectl.env.run(['apply', '-f', '-'], lease('change', moved));
    expect(configured).toMatchObject({ code: 0, stdout: 'lease.coordination.k8s.io/change configured\n', stderr: '' });
    expect(JSON.parse(await ok(['get', 'lease', 'change', '-o', 'json'])).spec).toEqual(moved);
    expect((await ok(['patch', 'lease', 'change', '-p', '{"spec":{"holderIdentity":"replica-3"}}'])).trim()).toBe('lease.coordination.k8s.io/change patched');
    expect(JSON.parse(await ok(['get', 'lease', 'change', '-o', 'json'])).spec.holderIdentity).toBe('replica-3');
  });

  it('explain reads the Lease schema from the served OpenAPI', async () => {
    const out = await ok(['explain', 'leases.spec']);
    expect(out).toContain('GROUP:      coordination.k8s.io');
    expect(out).toMatch(/holderIdentity\s+<string>\n\s+The identity of the holder of the lease/);
  });

  it('refuses an invalid Lease with the field named', async () => {
    const bad = await kubectl.env.run(['apply', '-f', '-'], lease('bad', { leaseDurationSeconds: 0 }));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('spec.leaseDurationSeconds');
  });

  it('sidekick applies a Lease and get leases shows the same table', async () => {
    const home = join(kubectl.env.dir, 'home');
    const path = await kubectl.env.file('cli-lease.yaml', lease('from-cli', { ...SPEC, holderIdentity: 'replica-9' }));
    const applied = await runCli(home, ['apply', '-f', path]);
    expect(applied).toMatchObject({ code: 0, stderr: '' });
    expect(applied.stdout).toContain('lease.coordination.k8s.io/from-cli created');
    expect(JSON.parse(await ok(['get', 'lease', 'from-cli', '-o', 'json'])).spec.holderIdentity).toBe('replica-9');
    const r = await runCli(home, ['get', 'leases']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = parseTable(r.stdout);
    expect(rows.find((row) => row.NAME === 'demo')).toEqual({ NAME: 'demo', HOLDER: 'replica-1', AGE: expect.stringMatching(/^\d+s$/) });
  });
});
