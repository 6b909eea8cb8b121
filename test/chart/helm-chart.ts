/**
 * Runs the real helm (hack/helm.ts) against charts/sidekicks and reads what it renders: `helm
 * lint` and `helm template` with values written to a temp file, the output parsed into plain
 * objects, and every object validated against the Kubernetes 1.27 OpenAPI schemas that
 * kubernetes-models ships (kubeconform and `kubectl --dry-run=server` need a network or a
 * cluster; this needs neither).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { helmBinary, helmEnv } from '../../hack/helm.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHART = join(ROOT, 'charts', 'sidekicks');

/** A rendered Kubernetes object, as parsed from helm's output. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs helm with the given arguments, values (written to a temp file, passed with -f) appended. */
export function helm(args: string[], values?: Record<string, unknown>): HelmResult {
  const dir = mkdtempSync(join(tmpdir(), 'sidekick-chart-'));
  try {
    const extra: string[] = [];
    if (values) {
      const file = join(dir, 'values.json'); // JSON is YAML: no second serializer to trust
      writeFileSync(file, JSON.stringify(values));
      extra.push('-f', file);
    }
    const r = spawnSync(helmBinary(), [...args, ...extra], { env: helmEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.error) throw r.error;
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The release every test renders: its name makes the objects' names (`<release>-sidekicks`). */
export const RELEASE = 'sk';
export const NAMESPACE = 'agents';
export const FULLNAME = `${RELEASE}-sidekicks`;

/** The values a render needs at the least: the two connection URLs (the chart has no default for them). */
export const REQUIRED_VALUES = {
  database: { url: 'postgres://sidekick:secret@postgres.db:5432/sidekick' },
  nats: { url: 'nats://nats.messaging:4222' },
};

/** `helm template` of the chart; throws with helm's stderr when it fails. */
export function render(values: Record<string, unknown>, extraArgs: string[] = []): K8sObject[] {
  const r = helm(['template', RELEASE, CHART, '--namespace', NAMESPACE, ...extraArgs], values);
  if (r.code !== 0) throw new Error(`helm template failed (${r.code}): ${r.stderr}`);
  return parseManifests(r.stdout);
}

/** Parses a multi-document YAML stream into objects, skipping empty documents; a YAML error throws. */
export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length) throw doc.errors[0];
    const value = doc.toJS() as K8sObject | null;
    return value ? [value] : [];
  });
}

/** The one object of a kind (and name, when given); throws when there is not exactly one. */
export function only(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found[0];
}

type Model = new (data: never) => { validate(): void };

/** The models for every kind the chart may render; a kind missing here fails `validateObject`. */
const MODELS: Record<string, Model> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'apps/v1/Deployment': Deployment,
  'networking.k8s.io/v1/Ingress': Ingress,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
};

/** Validates one object against its kind's schema; throws naming the object and the failing field. */
export function validateObject(obj: K8sObject): void {
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!Model) throw new Error(`no kubernetes-models model for ${obj.apiVersion} ${obj.kind}: add it to MODELS`);
  try {
    new Model(obj as never).validate();
  } catch (err) {
    throw new Error(`${obj.kind}/${obj.metadata.name}: ${(err as Error).message}`);
  }
}
