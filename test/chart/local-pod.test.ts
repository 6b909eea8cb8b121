/**
 * The kubelet's part that test/e2e/chart-runtime.test.ts plays, checked on its own: `$(VAR)`
 * expansion, the environment from the rendered Secrets and ConfigMap, and Secret volumes written
 * where the arguments will look for them.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FULLNAME, REQUIRED_VALUES, only, render } from './helm-chart.js';
import { containerNamed, expandVars, materializeMounts, podSpecOf, resolveEnv, rewriteMountPaths } from './local-pod.js';

const root = mkdtempSync(join(tmpdir(), 'sidekick-local-pod-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('expandVars (Kubernetes $(VAR) rules)', () => {
  it.each([
    ['--replica-id=$(POD_NAME)', '--replica-id=pod-1'],
    ['$(POD_NAME)-$(POD_NAME)', 'pod-1-pod-1'],
    ['$(UNSET) stays', '$(UNSET) stays'],
    ['$$(POD_NAME) is escaped', '$(POD_NAME) is escaped'],
    ['a $ alone', 'a $ alone'],
  ])('%s → %s', (input, output) => {
    expect(expandVars(input, { POD_NAME: 'pod-1' })).toBe(output);
  });
});

describe('a rendered controlplane container, made local', () => {
  const objects = render(REQUIRED_VALUES);
  const pod = podSpecOf(only(objects, 'Deployment'));
  const container = containerNamed(pod, 'controlplane');

  it('gets the environment the kubelet would give it', () => {
    expect(resolveEnv(container, 'replica-a', objects)).toEqual({
      POD_NAME: 'replica-a',
      SIDEKICK_DATABASE_URL: REQUIRED_VALUES.database.url,
      SIDEKICK_NATS_URL: REQUIRED_VALUES.nats.url,
      SIDEKICK_HISTORY_SIZE: '4096',
      SIDEKICK_LEASE_DURATION: '15s',
    });
  }, 120_000);

  it('finds its certificate and signing key at the paths its arguments name, under the local root', () => {
    const mounts = materializeMounts(pod, container, objects, root);
    expect(mounts.map((m) => m.mountPath).sort()).toEqual(['/etc/sidekick/signing-key', '/etc/sidekick/tls', '/tmp']);
    const args = rewriteMountPaths(container.args ?? [], mounts).map((a) => expandVars(a, { POD_NAME: 'replica-a' }));
    const flag = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? '';
    const tls = only(objects, 'Secret', `${FULLNAME}-tls`).data as Record<string, string>;
    const key = only(objects, 'Secret', `${FULLNAME}-signing-key`).data as Record<string, string>;
    expect(flag('tls-cert')).toBe(join(root, 'etc/sidekick/tls/tls.crt'));
    expect(readFileSync(flag('tls-cert'), 'utf8')).toBe(Buffer.from(tls['tls.crt'], 'base64').toString('utf8'));
    expect(readFileSync(flag('tls-key'), 'utf8')).toBe(Buffer.from(tls['tls.key'], 'base64').toString('utf8'));
    expect(readFileSync(flag('signing-key'), 'utf8')).toBe(Buffer.from(key['signing-key.pem'], 'base64').toString('utf8'));
    expect(flag('replica-id')).toBe('replica-a');
    expect(flag('listen')).toBe('0.0.0.0:8443'); // not a mount: left alone
  }, 120_000);

  it('says which rendered object is missing instead of starting without it', () => {
    const withoutConfig = objects.filter((o) => o.kind !== 'ConfigMap');
    expect(() => resolveEnv(container, 'replica-a', withoutConfig)).toThrow(`the chart rendered no ConfigMap ${FULLNAME}, which the pod refers to`);
  }, 120_000);
});
