/**
 * CI runs what the chart would run. The chart is rendered with its default values (plus the two
 * URLs it requires: this machine's Postgres, in a fresh database for this suite, and NATS), and
 * its Deployment's pod is played by local processes — the migrate init container, then two
 * controlplane replicas named replica-a and replica-b — with the command line, environment and
 * files the kubelet would give them (test/e2e/chart-replicas.ts says what differs and why).
 * Then, through the real kubectl with a kubeconfig trusting the chart's generated CA and a token
 * from `sidekick controlplane token create` with the chart's signing key:
 *  - the probes the Deployment declares (paths and ports read from it) answer on each replica;
 *  - a Session created on replica A reaches a `kubectl get sessions -w` on replica B;
 *  - killing the leader's process (the holder of Lease sidekick-controlplane) hands the lease
 *    to the other replica.
 * NATS is shared with other suites (one server per machine); Postgres is not (own database).
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { FULLNAME, NAMESPACE, only, render, type K8sObject } from '../chart/helm-chart.js';
import { containerNamed, podSpecOf } from '../chart/local-pod.js';
import { eventually } from '../eventually.js';
import { describeWithNats, describeWithPostgres } from '../services.js';
import { LAUNCHER, LocalReplica, writeKubeconfig } from './chart-replicas.js';

import { KUBECTL, runKubectl } from '../kubectl/kubectl.js';
const LEASE = 'sidekick-controlplane';

describeWithPostgres('the chart’s Deployment run as two local replicas (Postgres)', (pgUrl) => {
  describeWithNats('the chart’s Deployment run as two local replicas', (natsUrl) => {
    let objects: K8sObject[];
    let controlplane: IContainer;
    let replicas: LocalReplica[] = [];
    let kubeDir: string;
    let kubeEnv: NodeJS.ProcessEnv;
    const watches: Array<() => Promise<void>> = [];

    /** Runs kubectl to completion against a replica's context. */
    const kubectl = (context: string, args: string[]) => runKubectl(['--context', context, '--request-timeout=20s', ...args], kubeEnv);

    /** What the replicas said, for a failure message. */
    const logs = () => replicas.map((r) => `--- ${r.name} ---\n${r.server?.log().slice(-4000) ?? '(not started)'}`).join('\n');
    const explained = async <T>(what: string, wait: () => Promise<T>): Promise<T> => {
      try {
        return await wait();
      } catch (err) {
        throw new Error(`${what}: ${(err as Error).message}\n${logs()}`);
      }
    };

    beforeAll(async () => {
      objects = render({ database: { url: pgUrl() }, nats: { url: natsUrl() } });
      const pod = podSpecOf(only(objects, 'Deployment'));
      controlplane = containerNamed(pod, 'controlplane');
      replicas = await Promise.all(['replica-a', 'replica-b'].map((name) => LocalReplica.create(name, pod, objects)));

      // Init containers first, in both pods at once, as two pods scheduled together would run them.
      for (const init of pod.initContainers ?? []) {
        const results = await Promise.all(replicas.map((r) => r.run(init.name)));
        results.forEach((result, i) => {
          if (result.code !== 0) throw new Error(`init container ${init.name} of ${replicas[i].name} exited ${result.code}:\n${result.log}`);
        });
      }

      // An Owner token, made the way NOTES.txt tells an admin to, with the key the pods mount.
      const signingKeyArg = controlplane.args?.find((a) => a.startsWith('--signing-key='))?.slice('--signing-key='.length);
      if (!signingKeyArg) throw new Error('the controlplane container has no --signing-key argument');
      const token = spawnSync(LAUNCHER, ['controlplane', 'token', 'create', 'chart-e2e', '--signing-key', replicas[0].hostPath(signingKeyArg), '--role', 'Owner'], { encoding: 'utf8' });
      if (token.status !== 0) throw new Error(`sidekick controlplane token create exited ${token.status}: ${token.stderr}`);

      for (const r of replicas) r.start();

      kubeDir = mkdtempSync(join(tmpdir(), 'sidekick-chart-kube-'));
      const tls = only(objects, 'Secret', `${FULLNAME}-tls`).data as Record<string, string>;
      // kubectl checks the certificate against the Service's name: the SANs the chart generated are what a client in the cluster sees.
      const kubeconfig = writeKubeconfig(kubeDir, replicas, Buffer.from(tls['ca.crt'], 'base64').toString('utf8'), `${FULLNAME}.${NAMESPACE}.svc`, token.stdout.trim());
      kubeEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: kubeDir, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(kubeDir, 'cache') };

      // Ready as Kubernetes would see it: the readiness probe (read from the Deployment) answers on both replicas.
      for (const replica of replicas) {
        const { path } = replica.probeTarget(controlplane.readinessProbe!.httpGet!);
        await explained(`${replica.name} becomes ready`, () =>
          eventually(
            async () => {
              if (replica.server!.child.exitCode !== null) throw new Error(`${replica.name} exited ${replica.server!.child.exitCode}`);
              const r = await kubectl(replica.name, ['get', '--raw', path]);
              if (r.code !== 0) throw new Error(r.stderr);
              return r.stdout.trim() === 'ok';
            },
            { timeoutMs: 60_000, intervalMs: 250 },
          ),
        );
      }
    }, 180_000);

    afterAll(async () => {
      for (const stop of watches) await stop();
      await Promise.all(replicas.map((r) => r.stop()));
      if (kubeDir) rmSync(kubeDir, { recursive: true, force: true });
    }, 60_000);

    it('answers the probes the Deployment declares, on each replica', async () => {
      const probes = [controlplane.readinessProbe?.httpGet, controlplane.livenessProbe?.httpGet];
      expect(probes.map((p) => p?.path)).toEqual(['/readyz', '/livez']); // the chart's; read from it below, never assumed
      for (const replica of replicas) {
        for (const probe of probes) {
          const target = replica.probeTarget(probe!);
          expect(target).toMatchObject({ scheme: 'https', port: replica.port }); // the kubeconfig's server for this replica
          const r = await kubectl(replica.name, ['get', '--raw', target.path]);
          expect({ code: r.code, stdout: r.stdout.trim(), stderr: r.stderr }).toEqual({ code: 0, stdout: 'ok', stderr: '' });
        }
      }
    }, 60_000);

    it('a Session applied on replica A reaches a watch on replica B', async () => {
      const manifest = (name: string) => {
        const path = join(kubeDir, `${name}.yaml`);
        writeFileSync(path, `apiVersion: sidekicks.dev/v1alpha1\nkind: Session\nmetadata:\n  name: ${name}\nspec: {}\n`);
        return path;
      };
      const apply = async (name: string) => {
        const r = await kubectl('replica-a', ['apply', '-f', manifest(name)]);
        if (r.code !== 0) throw new Error(`kubectl apply on replica-a exited ${r.code}: ${r.stderr}`);
        expect(r.stdout.trim()).toBe(`session.sidekicks.dev/${name} created`);
      };
      await apply('before-the-watch');
      const watch = spawn(KUBECTL, ['--context', 'replica-b', 'get', 'sessions', '-w', '-o', 'name'], { env: kubeEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      let seen = '';
      watch.stdout.on('data', (d: Buffer) => (seen += d.toString()));
      watch.stderr.on('data', (d: Buffer) => (seen += d.toString()));
      const closed = new Promise<void>((resolve) => watch.on('close', () => resolve()));
      watches.push(async () => {
        if (watch.exitCode === null && watch.signalCode === null) watch.kill('SIGTERM');
        await closed;
      });
      // The list part of list-then-watch: once it is printed, the watch resumes from its resourceVersion,
      // so the next create is delivered by the watch whether or not its connection is already open.
      const printed = (name: string) => () => {
        if (!seen.split('\n').includes(`session.sidekicks.dev/${name}`)) throw new Error(`kubectl get sessions -w on replica-b has printed: ${JSON.stringify(seen)}`);
        return true;
      };
      await explained('the watch on replica B lists', () => eventually(printed('before-the-watch'), { timeoutMs: 30_000 }));
      await apply('made-on-replica-a');
      await explained('the watch on replica B sees the create on replica A', () => eventually(printed('made-on-replica-a'), { timeoutMs: 30_000 }));
      expect(watch.exitCode).toBeNull(); // still watching: it was the watch, not a relisting exit
    }, 90_000);

    it('hands the leader lease to the other replica when the leader’s process is killed', async () => {
      const holder = async (context: string) => {
        const r = await kubectl(context, ['get', 'lease', LEASE, '-n', 'default', '-o', 'jsonpath={.spec.holderIdentity}']);
        if (r.code !== 0) throw new Error(r.stderr);
        return r.stdout.trim();
      };
      const leaderName = await explained('a replica holds the lease', () =>
        eventually(
          async () => {
            const name = await holder('replica-a');
            return replicas.some((r) => r.name === name) && name;
          },
          { timeoutMs: 60_000, intervalMs: 250 },
        ),
      );
      expect(await holder('replica-b')).toBe(leaderName); // one store, one answer
      const leader = replicas.find((r) => r.name === leaderName)!;
      const survivor = replicas.find((r) => r !== leader)!;

      leader.server!.child.kill('SIGKILL'); // no chance to release the lease: the survivor must wait it out
      expect(await leader.server!.exited).toBe('SIGKILL');

      // The lease runs out after its duration (the chart's SIDEKICK_LEASE_DURATION); then the survivor takes it.
      const duration = (only(objects, 'ConfigMap', FULLNAME).data as Record<string, string>).SIDEKICK_LEASE_DURATION;
      const seconds = Number(/^(\d+)s$/.exec(duration)?.[1]);
      expect(seconds).toBeGreaterThan(0);
      await explained(`the lease moves to ${survivor.name}`, () => eventually(async () => (await holder(survivor.name)) === survivor.name, { timeoutMs: (3 * seconds + 15) * 1000, intervalMs: 500 }));
      expect((await kubectl(survivor.name, ['get', '--raw', controlplane.readinessProbe!.httpGet!.path!])).stdout.trim()).toBe('ok');
    }, 150_000);
  });
});
