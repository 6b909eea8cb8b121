/**
 * Turns a container of a rendered Deployment into a process on this machine, doing what the
 * kubelet would do with the objects the chart rendered next to it: the environment (literal
 * values, the downward API's pod name, secretKeyRef/configMapKeyRef, envFrom), `$(VAR)` expansion
 * in arguments, and Secret/ConfigMap volumes written out as files. A pod's filesystem root is a
 * temp dir here, so mount paths move under it; nothing else about the container is changed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { K8sObject } from './helm-chart.js';

/** The pod template's spec of a rendered Deployment. */
export function podSpecOf(deployment: K8sObject): IPodSpec {
  const spec = (deployment.spec as { template?: { spec?: IPodSpec } } | undefined)?.template?.spec;
  if (!spec) throw new Error(`${deployment.kind}/${deployment.metadata.name} has no spec.template.spec`);
  return spec;
}

/** The named container (or init container) of a pod spec. */
export function containerNamed(spec: IPodSpec, name: string): IContainer {
  const found = [...(spec.initContainers ?? []), ...spec.containers].find((c) => c.name === name);
  if (!found) throw new Error(`no container ${name} in the pod spec`);
  return found;
}

/** The decoded data of a rendered Secret or ConfigMap, by name. */
function dataOf(objects: K8sObject[], kind: 'Secret' | 'ConfigMap', name: string): Record<string, string> {
  const obj = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!obj) throw new Error(`the chart rendered no ${kind} ${name}, which the pod refers to`);
  const data = (obj.data ?? {}) as Record<string, string>;
  const decoded = kind === 'Secret' ? Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])) : { ...data };
  return { ...decoded, ...((obj.stringData ?? {}) as Record<string, string>) };
}

function keyOf(objects: K8sObject[], kind: 'Secret' | 'ConfigMap', ref: { name?: string; key: string }): string {
  const value = dataOf(objects, kind, ref.name ?? '')[ref.key];
  if (value === undefined) throw new Error(`${kind} ${ref.name} has no key ${ref.key}`);
  return value;
}

/**
 * Expands `$(VAR)` as Kubernetes does in env values, command and args: a defined variable is
 * replaced, `$$` is a literal `$`, and a reference to an undefined variable stays as written.
 */
export function expandVars(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && Object.prototype.hasOwnProperty.call(env, name) ? env[name] : match;
  });
}

/**
 * The container's environment as the kubelet builds it: envFrom first, then env in order (a later
 * entry wins; `$(VAR)` in a value sees the entries before it). `podName` answers the downward
 * API's metadata.name; Secrets and ConfigMaps come from the rendered objects.
 */
export function resolveEnv(container: IContainer, podName: string, objects: K8sObject[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) Object.assign(env, prefixed(dataOf(objects, 'ConfigMap', source.configMapRef.name ?? ''), source.prefix));
    if (source.secretRef) Object.assign(env, prefixed(dataOf(objects, 'Secret', source.secretRef.name ?? ''), source.prefix));
  }
  for (const entry of container.env ?? []) {
    const from = entry.valueFrom;
    if (!from) env[entry.name] = expandVars(entry.value ?? '', env);
    else if (from.fieldRef?.fieldPath === 'metadata.name') env[entry.name] = podName;
    else if (from.secretKeyRef) env[entry.name] = keyOf(objects, 'Secret', from.secretKeyRef);
    else if (from.configMapKeyRef) env[entry.name] = keyOf(objects, 'ConfigMap', from.configMapKeyRef);
    else throw new Error(`env ${entry.name}: this runner knows only metadata.name, secretKeyRef and configMapKeyRef (got ${JSON.stringify(from)})`);
  }
  return env;
}

function prefixed(data: Record<string, string>, prefix: string | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [`${prefix ?? ''}${k}`, v]));
}

/** A volume mount of the container, and where it lives on this machine. */
export interface LocalMount {
  mountPath: string;
  hostPath: string;
}

/**
 * Writes the container's Secret and ConfigMap volumes under `root` at their mount paths (only the
 * listed items, or every key), and makes an empty dir for each emptyDir mount. Returns every mount.
 */
export function materializeMounts(spec: IPodSpec, container: IContainer, objects: K8sObject[], root: string): LocalMount[] {
  return (container.volumeMounts ?? []).map((mount) => {
    const volume = (spec.volumes ?? []).find((v) => v.name === mount.name);
    if (!volume) throw new Error(`volume mount ${mount.name}: no such volume in the pod spec`);
    const hostPath = join(root, mount.mountPath);
    mkdirSync(hostPath, { recursive: true });
    const source = volume.secret
      ? { data: dataOf(objects, 'Secret', volume.secret.secretName ?? ''), items: volume.secret.items }
      : volume.configMap
        ? { data: dataOf(objects, 'ConfigMap', volume.configMap.name ?? ''), items: volume.configMap.items }
        : undefined;
    if (!source && !volume.emptyDir) throw new Error(`volume ${volume.name}: this runner knows Secret, ConfigMap and emptyDir volumes`);
    if (source) {
      const items = source.items ?? Object.keys(source.data).map((key) => ({ key, path: key }));
      for (const item of items) {
        const value = source.data[item.key];
        if (value === undefined) throw new Error(`volume ${volume.name}: no key ${item.key}`);
        writeFileSync(join(hostPath, item.path), value, { mode: 0o600 });
      }
    }
    return { mountPath: mount.mountPath, hostPath };
  });
}

/** Rewrites every mount path at the start of an argument's value (`--flag=/mount/x` or `/mount/x`) to its host path. */
export function rewriteMountPaths(args: string[], mounts: LocalMount[]): string[] {
  const byLength = [...mounts].sort((a, b) => b.mountPath.length - a.mountPath.length);
  return args.map((arg) => {
    const eq = arg.startsWith('-') ? arg.indexOf('=') + 1 : 0;
    const value = arg.slice(eq);
    const mount = byLength.find((m) => value === m.mountPath || value.startsWith(`${m.mountPath}/`));
    return mount ? `${arg.slice(0, eq)}${mount.hostPath}${value.slice(mount.mountPath.length)}` : arg;
  });
}
