/**
 * What the chart refuses: values of the wrong type fail `helm lint` (values.schema.json) with a
 * message naming the field, and a render without a Postgres or NATS fails saying which value is
 * missing. Also proves the schema validation used elsewhere is not a no-op.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CHART, REQUIRED_VALUES, helm, only, render, validateObject } from './helm-chart.js';

const HELM_TIMEOUT = 120_000;

describe('wrong values', () => {
  it.each([
    ['replicas: "two"', { replicas: 'two' }, "at '/replicas': got string, want integer"],
    ['replicas: 0', { replicas: 0 }, "at '/replicas': minimum: got 0, want 1"],
    ['ingress.enabled: "yes"', { ingress: { enabled: 'yes' } }, "at '/ingress/enabled': got string, want boolean"],
    ['image.pullPolicy: Sometimes', { image: { repository: 'r', tag: '', pullPolicy: 'Sometimes' } }, "at '/image/pullPolicy'"],
    ['signingKey.algorithm: dsa', { signingKey: { existingSecret: '', existingSecretKey: 'k', algorithm: 'dsa' } }, "at '/signingKey/algorithm'"],
    ['a misspelt key (replica)', { replica: 3 }, "additional properties 'replica' not allowed"],
    ['database.url: 5432', { database: { url: 5432, existingSecret: '', existingSecretKey: 'database-url' } }, "at '/database/url': got number, want string"],
  ])('%s fails helm lint naming the field', (_name, values, message) => {
    const r = helm(['lint', CHART], { ...REQUIRED_VALUES, ...values });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toContain('[ERROR] values.yaml');
    expect(r.stdout).toContain(message);
  }, HELM_TIMEOUT);

  it('a render without Postgres or NATS fails naming the missing value', () => {
    const noDatabase = helm(['template', 'sk', CHART], { nats: REQUIRED_VALUES.nats });
    expect(noDatabase.code).not.toBe(0);
    expect(noDatabase.stderr).toContain('database.url or database.existingSecret is required');
    const noNats = helm(['template', 'sk', CHART], { database: REQUIRED_VALUES.database });
    expect(noNats.code).not.toBe(0);
    expect(noNats.stderr).toContain('nats.url or nats.existingSecret is required');
  }, HELM_TIMEOUT);

  it('a URL and an existingSecret for the same service are refused as ambiguous', () => {
    const r = helm(['template', 'sk', CHART], { ...REQUIRED_VALUES, database: { url: 'postgres://x/y', existingSecret: 'pg' } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('database.url and database.existingSecret are both set: give one');
  }, HELM_TIMEOUT);

  it('the Kubernetes schema check catches a wrong field in a rendered object (it is not a no-op)', () => {
    const deployment = only(render(REQUIRED_VALUES), 'Deployment');
    expect(() => validateObject(deployment)).not.toThrow();
    const broken = { ...deployment, spec: { ...(deployment.spec as object), replicas: 'two' } };
    expect(() => validateObject(broken)).toThrow(/Deployment\/sk-sidekicks: .*replicas/);
    expect(() => validateObject({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'x' } })).toThrow('no kubernetes-models model for batch/v1 CronJob');
  }, HELM_TIMEOUT);
});

describe('the chart’s README', () => {
  it('has a row in its values table for every value the schema declares', () => {
    const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as SchemaNode & { definitions: Record<string, SchemaNode> };
    const leaves = (node: SchemaNode, prefix: string): string[] => {
      const resolved = node.$ref ? schema.definitions[node.$ref.replace('#/definitions/', '')] : node;
      if (!resolved.properties) return [prefix];
      return Object.entries(resolved.properties).flatMap(([key, child]) => leaves(child, prefix ? `${prefix}.${key}` : key));
    };
    const documented = [...readFileSync(join(CHART, 'README.md'), 'utf8').matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
    const declared = leaves(schema, '').filter((v) => v !== 'global');
    expect([...documented].sort()).toEqual([...declared].sort());
    // And values.yaml gives each a default (helm lint already refuses keys the schema lacks).
    const values = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;
    const missing = declared.filter((path) => path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], values) === undefined);
    expect(missing).toEqual([]);
  });
});

interface SchemaNode {
  $ref?: string;
  properties?: Record<string, SchemaNode>;
}
