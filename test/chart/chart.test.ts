/**
 * charts/sidekicks through the real helm: `helm lint` (plain and --strict) and `helm template`
 * over a matrix of values, the rendered objects checked field by field, and every one of them
 * validated against the Kubernetes schemas (kubernetes-models).
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { CHART, FULLNAME, NAMESPACE, REQUIRED_VALUES, ROOT, helm, only, render, validateObject, type K8sObject } from './helm-chart.js';
import { containerNamed, podSpecOf } from './local-pod.js';

const HELM_TIMEOUT = 120_000; // the first helm call in a clone downloads it (hack/helm.ts)

interface Case {
  name: string;
  values: Record<string, unknown>;
  kinds: string[];
  replicas: number;
  /** Where the container's env and volumes must take each secret from: [secret, key]. */
  database: [string, string];
  nats: [string, string];
  tlsSecret: string;
  signingKey: [string, string];
}

/** Where the pod reads its secrets from when the chart makes them. */
const chartMade = (): Pick<Case, 'database' | 'nats' | 'tlsSecret' | 'signingKey'> => ({
  database: [`${FULLNAME}-connections`, 'database-url'],
  nats: [`${FULLNAME}-connections`, 'nats-url'],
  tlsSecret: `${FULLNAME}-tls`,
  signingKey: [`${FULLNAME}-signing-key`, 'signing-key.pem'],
});
const ALWAYS = ['ConfigMap', 'Deployment', 'Service', 'ServiceAccount'];

const CASES: Case[] = [
  { name: 'defaults (the two required URLs only)', values: REQUIRED_VALUES, kinds: [...ALWAYS, 'PodDisruptionBudget', 'Secret', 'Secret', 'Secret'], replicas: 2, ...chartMade() },
  {
    name: 'ingress with TLS',
    values: {
      ...REQUIRED_VALUES,
      ingress: {
        enabled: true,
        className: 'nginx',
        annotations: { 'nginx.ingress.kubernetes.io/backend-protocol': 'HTTPS' },
        hosts: [{ host: 'sidekicks.example.org', paths: [{ path: '/', pathType: 'Prefix' }] }],
        tls: [{ secretName: 'sidekicks-example-org', hosts: ['sidekicks.example.org'] }],
      },
    },
    kinds: [...ALWAYS, 'Ingress', 'PodDisruptionBudget', 'Secret', 'Secret', 'Secret'],
    replicas: 2,
    ...chartMade(),
  },
  {
    name: 'external secrets for Postgres, NATS, TLS and the signing key',
    values: {
      database: { existingSecret: 'pg-credentials', existingSecretKey: 'uri' },
      nats: { existingSecret: 'nats-credentials', existingSecretKey: 'url' },
      tls: { existingSecret: 'sidekicks-cert' },
      signingKey: { existingSecret: 'token-keys', existingSecretKey: 'ed25519.pem' },
    },
    kinds: [...ALWAYS, 'PodDisruptionBudget'],
    replicas: 2,
    database: ['pg-credentials', 'uri'],
    nats: ['nats-credentials', 'url'],
    tlsSecret: 'sidekicks-cert',
    signingKey: ['token-keys', 'ed25519.pem'],
  },
  { name: '3 replicas', values: { ...REQUIRED_VALUES, replicas: 3 }, kinds: [...ALWAYS, 'PodDisruptionBudget', 'Secret', 'Secret', 'Secret'], replicas: 3, ...chartMade() },
  { name: '1 replica (no disruption budget)', values: { ...REQUIRED_VALUES, replicas: 1 }, kinds: [...ALWAYS, 'Secret', 'Secret', 'Secret'], replicas: 1, ...chartMade() },
];

function controlplane(objects: K8sObject[]): IContainer {
  return containerNamed(podSpecOf(only(objects, 'Deployment')), 'controlplane');
}

function secretRefOf(container: IContainer, name: string): [string | undefined, string | undefined] {
  const ref = container.env?.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
  return [ref?.name, ref?.key];
}

describe.each(CASES)('the chart with $name', (c) => {
  let objects: K8sObject[];
  const rendered = () => (objects ??= render(c.values));

  it('passes helm lint and helm lint --strict', () => {
    for (const strict of [[], ['--strict']]) {
      const r = helm(['lint', CHART, ...strict], c.values);
      expect({ code: r.code, errors: r.stdout.split('\n').filter((l) => /\[(ERROR|WARNING)\]/.test(l)) }).toEqual({ code: 0, errors: [] });
    }
  }, HELM_TIMEOUT);

  it('renders the expected kinds, every one valid against the Kubernetes schemas', () => {
    expect(rendered().map((o) => o.kind).sort()).toEqual([...c.kinds].sort());
    for (const obj of rendered()) {
      expect(() => validateObject(obj)).not.toThrow();
      expect(obj.metadata.namespace).toBe(NAMESPACE);
    }
  }, HELM_TIMEOUT);

  it('runs the replicas with probes, a restricted security context and a writable /tmp only', () => {
    const deployment = only(rendered(), 'Deployment', FULLNAME);
    expect((deployment.spec as { replicas: number }).replicas).toBe(c.replicas);
    const pod = podSpecOf(deployment);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    const container = controlplane(rendered());
    expect(container.command).toBeUndefined(); // the image's ENTRYPOINT runs (see dockerfile.test.ts)
    expect(container.ports).toEqual([{ name: 'https', containerPort: 8443, protocol: 'TCP' }]);
    expect(container.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'https', scheme: 'HTTPS' });
    expect(container.livenessProbe?.httpGet).toEqual({ path: '/livez', port: 'https', scheme: 'HTTPS' });
    for (const each of [...(pod.initContainers ?? []), container]) {
      expect(each.securityContext).toEqual({
        runAsNonRoot: true,
        runAsUser: 10001,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      const tmp = each.volumeMounts?.find((m) => m.mountPath === '/tmp');
      expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toEqual({});
    }
    expect(container.resources?.requests).toEqual({ cpu: '100m', memory: '256Mi' });
  }, HELM_TIMEOUT);

  it('takes the URLs, the certificate and the signing key from the right Secrets', () => {
    const pod = podSpecOf(only(rendered(), 'Deployment'));
    const container = controlplane(rendered());
    expect(secretRefOf(container, 'SIDEKICK_DATABASE_URL')).toEqual(c.database);
    expect(secretRefOf(container, 'SIDEKICK_NATS_URL')).toEqual(c.nats);
    expect(container.env?.find((e) => e.name === 'POD_NAME')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
    expect(container.args).toEqual([
      'controlplane',
      '--listen=0.0.0.0:8443',
      '--tls-cert=/etc/sidekick/tls/tls.crt',
      '--tls-key=/etc/sidekick/tls/tls.key',
      '--signing-key=/etc/sidekick/signing-key/signing-key.pem',
      '--replica-id=$(POD_NAME)',
    ]);
    const volume = (mountPath: string) => pod.volumes?.find((v) => v.name === container.volumeMounts?.find((m) => m.mountPath === mountPath)?.name);
    expect(volume('/etc/sidekick/tls')?.secret).toMatchObject({ secretName: c.tlsSecret, items: [{ key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }] });
    expect(volume('/etc/sidekick/signing-key')?.secret).toMatchObject({ secretName: c.signingKey[0], items: [{ key: c.signingKey[1], path: 'signing-key.pem' }] });
    // The Secrets the chart makes hold exactly the keys the pod reads.
    for (const [name, key] of [c.database, c.nats, c.signingKey, [c.tlsSecret, 'tls.crt'], [c.tlsSecret, 'tls.key']]) {
      const made = rendered().find((o) => o.kind === 'Secret' && o.metadata.name === name);
      if (made) expect(Object.keys(made.data as object)).toContain(key);
    }
  }, HELM_TIMEOUT);

  it('passes the settings from the ConfigMap and keeps a disruption budget only with more than one replica', () => {
    const config = only(rendered(), 'ConfigMap', FULLNAME);
    expect(config.data).toEqual({ SIDEKICK_HISTORY_SIZE: '4096', SIDEKICK_LEASE_DURATION: '15s' });
    expect(controlplane(rendered()).envFrom).toEqual([{ configMapRef: { name: FULLNAME } }]);
    const pdbs = rendered().filter((o) => o.kind === 'PodDisruptionBudget');
    if (c.replicas > 1) expect(pdbs.map((p) => p.spec)).toEqual([{ minAvailable: 1, selector: (only(rendered(), 'Deployment').spec as { selector: unknown }).selector }]);
    else expect(pdbs).toEqual([]);
    const sa = only(rendered(), 'ServiceAccount');
    expect(sa.automountServiceAccountToken).toBe(false);
    expect(podSpecOf(only(rendered(), 'Deployment')).serviceAccountName).toBe(sa.metadata.name);
    expect(only(rendered(), 'Service').spec).toMatchObject({ type: 'ClusterIP', ports: [{ name: 'https', port: 443, targetPort: 'https', protocol: 'TCP' }] });
  }, HELM_TIMEOUT);
});

describe('the chart', () => {
  it('names Sidekicks’ version (package.json) as its appVersion and default image tag', () => {
    const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { apiVersion: string; name: string; appVersion: string };
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'sidekicks', appVersion: pkg.version });
    expect(controlplane(render(REQUIRED_VALUES)).image).toBe(`sidekicks/sidekick:${pkg.version}`);
    expect(controlplane(render({ ...REQUIRED_VALUES, image: { repository: 'registry.example/sk', tag: 'dev', pullPolicy: 'Always' } }))).toMatchObject({ image: 'registry.example/sk:dev', imagePullPolicy: 'Always' });
  }, HELM_TIMEOUT);

  it('routes the Ingress to the Service’s https port with the given class, annotations and TLS', () => {
    const ingress = only(render(CASES[1].values), 'Ingress', FULLNAME);
    expect(ingress.metadata.annotations).toEqual({ 'nginx.ingress.kubernetes.io/backend-protocol': 'HTTPS' });
    expect(ingress.spec).toEqual({
      ingressClassName: 'nginx',
      tls: [{ hosts: ['sidekicks.example.org'], secretName: 'sidekicks-example-org' }],
      rules: [{ host: 'sidekicks.example.org', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: FULLNAME, port: { name: 'https' } } } }] } }],
    });
  }, HELM_TIMEOUT);

  it('rolls the pods when a setting changes: the pod template carries the ConfigMap’s checksum', () => {
    const checksum = (values: Record<string, unknown>) => (only(render(values), 'Deployment').spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations['checksum/config'];
    const base = checksum(REQUIRED_VALUES);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum({ ...REQUIRED_VALUES, replicas: 5 })).toBe(base);
    expect(checksum({ ...REQUIRED_VALUES, controlplane: { allowInsecureDatabase: false, historySize: 100, leaseDuration: '15s', port: 8443 } })).not.toBe(base);
  }, HELM_TIMEOUT);

  it('runs migrations in an init container unless turned off', () => {
    const init = (values: Record<string, unknown>) => podSpecOf(only(render(values), 'Deployment')).initContainers ?? [];
    const [migrate] = init(REQUIRED_VALUES);
    expect(migrate).toMatchObject({ name: 'migrate', args: ['controlplane', 'migrate', '--database=$(SIDEKICK_DATABASE_URL)'] });
    expect(migrate.env?.map((e) => e.name)).toContain('SIDEKICK_DATABASE_URL');
    expect(init({ ...REQUIRED_VALUES, migrations: { enabled: false } })).toEqual([]);
  }, HELM_TIMEOUT);

  it('passes --allow-insecure-database to both containers only when asked to', () => {
    const args = (values: Record<string, unknown>) => {
      const pod = podSpecOf(only(render(values), 'Deployment'));
      return [...(pod.initContainers ?? []), ...pod.containers].map((c) => c.args ?? []);
    };
    for (const a of args(REQUIRED_VALUES)) expect(a).not.toContain('--allow-insecure-database');
    const insecure = args({ ...REQUIRED_VALUES, controlplane: { allowInsecureDatabase: true } });
    expect(insecure).toHaveLength(2);
    for (const a of insecure) expect(a).toContain('--allow-insecure-database');
  }, HELM_TIMEOUT);
});
