/**
 * Starts the chart's control plane on this machine as its rendered Deployment says, one process
 * per "pod": the image's ENTRYPOINT (the Dockerfile's, mapped to the repository's bin/sidekick)
 * with the container's args, the environment the kubelet would build from the rendered Secrets
 * and ConfigMap, and the Secret volumes written under a temp dir standing for the pod's root.
 *
 * Exactly two things differ from a pod, both because many pods share one machine here:
 *  - mount paths (/etc/sidekick/…, /tmp) move under the pod's temp root, in args and image ENV;
 *  - the listen port: every replica binds its own free port instead of the container port (the
 *    host part of --listen, 0.0.0.0, is kept), and probes aimed at the named port go there too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IHTTPGetAction } from 'kubernetes-models/v1/HTTPGetAction';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { ROOT, type K8sObject } from '../chart/helm-chart.js';
import { dockerStages, envOf, imageEntrypoint } from '../chart/dockerfile.js';
import { expandVars, materializeMounts, resolveEnv, rewriteMountPaths, type LocalMount } from '../chart/local-pod.js';
import { freePort } from '../services.js';

const stages = dockerStages();
const image = imageEntrypoint(stages);
/** The image's ENTRYPOINT on this machine: <WORKDIR>/bin/sidekick → <repository>/bin/sidekick. */
export const LAUNCHER = join(ROOT, relative(image.workdir, image.entrypoint[0]));

/** A process started from a container spec; its stdout and stderr accumulate in `log()`. */
export interface LocalProcess {
  child: ChildProcess;
  log(): string;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  exited: Promise<number | string>;
}

function startProcess(file: string, args: string[], env: NodeJS.ProcessEnv): LocalProcess {
  const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, log: () => log, exited };
}

/** The image's ENV as this pod sees it: $PATH from this machine, image paths and mount paths mapped here. */
function imageEnv(mounts: LocalMount[]): Record<string, string> {
  const mapPath = (p: string): string => {
    if (p === '$PATH') return process.env.PATH ?? '/usr/bin:/bin';
    const mount = mounts.find((m) => p === m.mountPath || p.startsWith(`${m.mountPath}/`));
    if (mount) return mount.hostPath + p.slice(mount.mountPath.length);
    return p === image.workdir || p.startsWith(`${image.workdir}/`) ? join(ROOT, relative(image.workdir, p)) : p;
  };
  const env = envOf(stages[stages.length - 1]);
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, value.split(':').map(mapPath).join(':')]));
}

/** One "pod" of the Deployment on this machine. */
export class LocalReplica {
  readonly root: string;
  readonly port: number;
  readonly mounts: LocalMount[];
  server?: LocalProcess;

  private constructor(
    readonly name: string,
    private readonly spec: IPodSpec,
    private readonly objects: K8sObject[],
    port: number,
  ) {
    this.root = mkdtempSync(join(tmpdir(), `sidekick-pod-${name}-`));
    this.port = port;
    // Every container of the pod sees the same volumes; the controlplane container mounts all of them.
    this.mounts = materializeMounts(spec, this.container('controlplane'), objects, this.root);
  }

  static async create(name: string, spec: IPodSpec, objects: K8sObject[]): Promise<LocalReplica> {
    return new LocalReplica(name, spec, objects, await freePort());
  }

  container(name: string): IContainer {
    const found = [...(this.spec.initContainers ?? []), ...this.spec.containers].find((c) => c.name === name);
    if (!found) throw new Error(`no container ${name} in the pod spec`);
    return found;
  }

  /** The container port of the https listener (the one --listen binds in the pod). */
  private containerPort(): number {
    const port = this.container('controlplane').ports?.find((p) => p.name === 'https')?.containerPort;
    if (!port) throw new Error('the controlplane container has no port named https');
    return port;
  }

  /** Where a probe's httpGet lands here: its scheme, and its port (a name or number) mapped to this replica's port. */
  probeTarget(probe: IHTTPGetAction): { scheme: string; port: number; path: string } {
    const ports = this.container('controlplane').ports ?? [];
    const containerPort = typeof probe.port === 'number' ? probe.port : ports.find((p) => p.name === probe.port)?.containerPort;
    if (containerPort !== this.containerPort()) throw new Error(`probe port ${probe.port} is not the listener's port ${this.containerPort()}`);
    return { scheme: (probe.scheme ?? 'HTTP').toLowerCase(), port: this.port, path: probe.path ?? '/' };
  }

  /** The container's command line and environment, as this machine runs them. */
  commandLine(containerName: string): { file: string; args: string[]; env: NodeJS.ProcessEnv } {
    const container = this.container(containerName);
    if (container.command) throw new Error(`${containerName}: a command replaces the image's ENTRYPOINT; this runner expects args only`);
    const podEnv = resolveEnv(container, this.name, this.objects);
    const listenInPod = `:${this.containerPort()}`;
    const args = rewriteMountPaths(container.args ?? [], this.mounts)
      .map((arg) => (arg.startsWith('--listen=') && arg.endsWith(listenInPod) ? `${arg.slice(0, -listenInPod.length)}:${this.port}` : arg))
      .map((arg) => expandVars(arg, podEnv));
    return { file: LAUNCHER, args, env: { ...imageEnv(this.mounts), ...podEnv } };
  }

  /** Runs a container to completion (an init container); resolves with its exit code and output. */
  async run(containerName: string): Promise<{ code: number | string; log: string }> {
    const { file, args, env } = this.commandLine(containerName);
    const p = startProcess(file, args, env);
    const code = await p.exited;
    return { code, log: p.log() };
  }

  /** Starts the controlplane container. */
  start(): LocalProcess {
    const { file, args, env } = this.commandLine('controlplane');
    this.server = startProcess(file, args, env);
    return this.server;
  }

  /** The path on this machine of a file the pod reads at `podPath` (under one of its mounts). */
  hostPath(podPath: string): string {
    const mount = this.mounts.find((m) => podPath.startsWith(`${m.mountPath}/`));
    if (!mount) throw new Error(`${podPath} is under no mount of the pod`);
    return mount.hostPath + podPath.slice(mount.mountPath.length);
  }

  /** Stops the server (SIGTERM, then SIGKILL after 10 s) and removes the pod's temp root. */
  async stop(): Promise<void> {
    const server = this.server;
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGTERM');
      const timer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
      await server.exited;
      clearTimeout(timer);
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** A kubeconfig with one context per replica, trusting the chart's CA and checking the Service's DNS name. */
export function writeKubeconfig(dir: string, replicas: LocalReplica[], caPem: string, serverName: string, token: string): string {
  const ca = join(dir, 'ca.crt');
  writeFileSync(ca, caPem);
  const lines = ['apiVersion: v1', 'kind: Config', 'clusters:'];
  for (const r of replicas) {
    lines.push(`- name: ${r.name}`, '  cluster:', `    server: https://127.0.0.1:${r.port}`, `    certificate-authority: ${ca}`, `    tls-server-name: ${serverName}`);
  }
  lines.push('users:', '- name: admin', '  user:', `    token: ${token}`, 'contexts:');
  for (const r of replicas) lines.push(`- name: ${r.name}`, `  context: {cluster: ${r.name}, user: admin, namespace: default}`);
  lines.push(`current-context: ${replicas[0].name}`, '');
  const path = join(dir, 'kubeconfig');
  writeFileSync(path, lines.join('\n'), { mode: 0o600 });
  return path;
}
