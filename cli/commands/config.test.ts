/**
 * `sidekick config` contexts, run in-process against real daemons: each verb on a real file, the
 * file read by the real kubectl, and `use-context` moving `sidekick get` from one daemon to another.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { KubeObject } from '../../resources/index.js';
import { runCli, type CliResult } from '../../test/support/cli.js';
import { tempDaemon, type TempDaemon } from '../../test/support/daemon.js';
import { runKubectl } from '../../test/kubectl/kubectl.js';

/** Two daemons on two homes, both listening on TCP (https on loopback). */
let a: TempDaemon;
let b: TempDaemon;

beforeAll(async () => {
  a = await tempDaemon({ prefix: 'sidekick-ctx-a-', listen: '127.0.0.1:0', controllers: false });
  b = await tempDaemon({ prefix: 'sidekick-ctx-b-', listen: '127.0.0.1:0', controllers: false });
  const session = (name: string, namespace: string) =>
    ({ apiVersion: 'sidekicks.dev/v1alpha1', kind: 'Session', metadata: { name, namespace }, spec: { archived: false } }) as unknown as KubeObject;
  await a.daemon.store.create('sessions', session('only-on-a', 'default'));
  await b.daemon.store.create('sessions', session('only-on-b', 'default'));
  await b.daemon.store.create('sessions', session('team-work', 'team-a'));
});
afterAll(async () => {
  await a?.stop();
  await b?.stop();
});

let files = 0;
/** A fresh kubeconfig path in a's temp dir, and the CLI run with it (home: a's). */
function kubeconfigFile(): { path: string; sk: (argv: string[], env?: NodeJS.ProcessEnv) => Promise<CliResult> } {
  const path = join(a.dir, `kubeconfig-${++files}`);
  return { path, sk: (argv, env) => runCli(a.home, argv, { env: { SIDEKICK_KUBECONFIG: path, ...env } }) };
}

function kubectl(kubeconfig: string, args: string[]): Promise<CliResult> {
  return runKubectl(['--kubeconfig', kubeconfig, ...args], { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: a.dir, KUBECACHEDIR: join(a.dir, 'kube-cache') });
}

const sessionNames = (r: CliResult) => r.stdout.trim().split('\n').filter(Boolean);

describe('the group', () => {
  test('bare `sidekick config` lists its verbs and writes nothing', async () => {
    const r = await runCli(a.home, ['config']);
    expect(r.code).toBe(0);
    for (const verb of ['current-context', 'delete-context', 'get-contexts', 'set-context', 'use-context', 'view']) expect(r.stdout).toMatch(new RegExp(`\\n {2}${verb} {2,}\\S`));
    await expect(stat(join(a.home, 'kubeconfig'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('set-context, get-contexts, use-context, current-context, delete-context', () => {
  test('create, modify, list, switch and delete, with kubectl messages and exit codes', async () => {
    const { path, sk } = kubeconfigFile();
    expect(await sk(['config', 'get-contexts'])).toEqual({ code: 0, stdout: 'CURRENT   NAME   CLUSTER   AUTHINFO   NAMESPACE\n', stderr: '' });
    expect(await sk(['config', 'current-context'])).toMatchObject({ code: 1, stderr: 'error: current-context is not set\n' });
    expect(await sk(['config', 'set-context', 'team', '--server', 'https://cp.example.com:8443', '--token', 'tok', '--namespace', 'team-a'])).toEqual({ code: 0, stdout: 'Context "team" created.\n', stderr: '' });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await sk(['config', 'set-context', 'team', '--namespace', 'team-b'])).toMatchObject({ code: 0, stdout: 'Context "team" modified.\n' });
    expect(await sk(['config', 'set-context', 'other', '--server', 'https://127.0.0.1:1', '--insecure-skip-tls-verify'])).toMatchObject({ code: 0, stdout: 'Context "other" created.\n' });
    const file = parse(await readFile(path, 'utf8'));
    expect(file.contexts).toContainEqual({ name: 'team', context: { cluster: 'team', user: 'team', namespace: 'team-b' } });
    expect(file.clusters).toContainEqual({ name: 'team', cluster: { server: 'https://cp.example.com:8443' } });
    expect(file.users).toContainEqual({ name: 'team', user: { token: 'tok' } });
    expect(file.clusters).toContainEqual({ name: 'other', cluster: { server: 'https://127.0.0.1:1', 'insecure-skip-tls-verify': true } });

    expect(await sk(['config', 'use-context', 'team'])).toEqual({ code: 0, stdout: 'Switched to context "team".\n', stderr: '' });
    expect(await sk(['config', 'current-context'])).toEqual({ code: 0, stdout: 'team\n', stderr: '' });
    expect(await sk(['config', 'use-context', 'nope'])).toMatchObject({ code: 1, stderr: 'error: no context exists with the name: "nope"\n' });
    // The same table kubectl prints for the same file.
    const ours = await sk(['config', 'get-contexts']);
    expect(ours.code).toBe(0);
    expect(ours.stdout).toBe((await kubectl(path, ['config', 'get-contexts'])).stdout);
    expect(ours.stdout).toMatch(/\n\*\s+team\s+team\s+team\s+team-b\n/);
    expect((await sk(['config', 'get-contexts', '-o', 'name'])).stdout).toBe('other\nteam\n');
    const one = await sk(['config', 'get-contexts', 'other', 'nope']);
    const theirs = await kubectl(path, ['config', 'get-contexts', 'other', 'nope']);
    expect(one).toEqual({ code: 1, stdout: theirs.stdout, stderr: 'error: context nope not found\n' });
    expect(theirs).toMatchObject({ code: 1, stderr: 'error: context nope not found\n' });

    expect(await sk(['config', 'set-context', '--current', '--namespace', 'team-c'])).toMatchObject({ code: 0, stdout: 'Context "team" modified.\n' });
    expect(await sk(['config', 'set-context', 'x', '--current'])).toMatchObject({ code: 1, stderr: 'error: you cannot specify both a context name and --current\n' });
    expect(await sk(['config', 'set-context', 'bad', '--server', 'ftp://x'])).toMatchObject({ code: 1, stderr: 'error: --server ftp://x: the scheme must be https, http or unix\n' });

    expect(await sk(['config', 'delete-context', 'nope'])).toMatchObject({ code: 1, stderr: `error: cannot delete context nope, not in ${path}\n` });
    expect(await sk(['config', 'delete-context', 'team'])).toEqual({
      code: 0,
      stdout: `deleted context team from ${path}\n`,
      stderr: 'warning: this removed your active context, use "sidekick config use-context" to select a different one\n',
    });
    const after = parse(await readFile(path, 'utf8'));
    expect(after['current-context']).toBeUndefined();
    // Its cluster and user (and so its token) went with it; the other context's stayed.
    expect(after.users).toEqual([{ name: 'other', user: {} }]);
    expect(after.clusters.map((c: { name: string }) => c.name)).toEqual(['other']);
  });

  test('--certificate-authority is embedded as data; view hides tokens and data unless --raw; --minify; -o json', async () => {
    const { path, sk } = kubeconfigFile();
    const ca = await readFile(a.daemon.tcp!.caFile, 'utf8');
    await sk(['config', 'set-context', 'a', '--server', a.daemon.tcp!.url, '--token', a.daemon.token, '--certificate-authority', a.daemon.tcp!.caFile]);
    await sk(['config', 'set-context', 'b', '--server', b.daemon.tcp!.url, '--token', b.daemon.token]);
    await sk(['config', 'use-context', 'a']);
    const raw = parse(await readFile(path, 'utf8'));
    expect(Buffer.from(raw.clusters.find((c: { name: string }) => c.name === 'a').cluster['certificate-authority-data'], 'base64').toString()).toBe(ca);

    const view = await sk(['config', 'view']);
    expect(view.code).toBe(0);
    const shown = parse(view.stdout);
    expect(shown.users.map((u: { user: { token: string } }) => u.user.token)).toEqual(['REDACTED', 'REDACTED']);
    expect(shown.clusters.find((c: { name: string }) => c.name === 'a').cluster['certificate-authority-data']).toBe('DATA+OMITTED');
    // kubectl shows the same document.
    expect(shown).toEqual(parse((await kubectl(path, ['config', 'view'])).stdout));
    expect(parse((await sk(['config', 'view', '--raw'])).stdout)).toEqual(raw);

    const minified = JSON.parse((await sk(['config', 'view', '--minify', '--raw', '-o', 'json'])).stdout);
    expect(minified.contexts.map((c: { name: string }) => c.name)).toEqual(['a']);
    expect(minified.users).toEqual([{ name: 'a', user: { token: a.daemon.token } }]);
    expect(minified).toEqual(JSON.parse((await kubectl(path, ['config', 'view', '--minify', '--raw', '-o', 'json'])).stdout));
    await sk(['config', 'delete-context', 'a']);
    expect(await sk(['config', 'view', '--minify'])).toMatchObject({ code: 1, stderr: 'error: current-context must exist in order to minify\n' });
  });
});

describe('talking to the selected context', () => {
  test('use-context moves `sidekick get sessions` between two daemons; --context picks one for one command', async () => {
    const { path, sk } = kubeconfigFile();
    await sk(['config', 'set-context', 'a', '--server', a.daemon.tcp!.url, '--token', a.daemon.token, '--certificate-authority', a.daemon.tcp!.caFile]);
    await sk(['config', 'set-context', 'b', '--server', b.daemon.tcp!.url, '--token', b.daemon.token, '--certificate-authority', b.daemon.tcp!.caFile]);
    const names = ['get', 'sessions', '-o', 'name'];
    await sk(['config', 'use-context', 'b']);
    expect(sessionNames(await sk(names))).toEqual(['session.sidekicks.dev/only-on-b']);
    await sk(['config', 'use-context', 'a']);
    expect(sessionNames(await sk(names))).toEqual(['session.sidekicks.dev/only-on-a']);
    expect(sessionNames(await sk([...names, '--context', 'b']))).toEqual(['session.sidekicks.dev/only-on-b']);
    expect(sessionNames(await sk(names, { SIDEKICK_CONTEXT: 'b' }))).toEqual(['session.sidekicks.dev/only-on-b']);
    // --server beats the context.
    expect(sessionNames(await sk([...names, '--server', `unix://${b.daemon.socketPath}`, '--token', b.daemon.token]))).toEqual(['session.sidekicks.dev/only-on-b']);
    // kubectl reads the same contexts.
    const k = await kubectl(path, ['--context', 'b', 'get', 'sessions', '-o', 'name']);
    expect(k).toMatchObject({ code: 0, stdout: 'session.sidekicks.dev/only-on-b\n' });
  });

  test('a context kubectl wrote is used as is, and its unknown fields survive our edits', async () => {
    const { path, sk } = kubeconfigFile();
    for (const args of [
      ['config', 'set-cluster', 'kb', `--server=${b.daemon.tcp!.url}`, `--certificate-authority=${b.daemon.tcp!.caFile}`, '--embed-certs', '--tls-server-name=127.0.0.1'],
      ['config', 'set-credentials', 'kb', `--token=${b.daemon.token}`],
      ['config', 'set-context', 'kb', '--cluster=kb', '--user=kb'],
      ['config', 'use-context', 'kb'],
    ]) {
      expect((await kubectl(path, args)).code).toBe(0);
    }
    expect(sessionNames(await sk(['get', 'sessions', '-o', 'name']))).toEqual(['session.sidekicks.dev/only-on-b']);
    await sk(['config', 'set-context', 'kb', '--namespace', 'team-a']);
    const file = parse(await readFile(path, 'utf8'));
    expect(file.clusters[0].cluster['tls-server-name']).toBe('127.0.0.1');
    expect(sessionNames(await sk(['get', 'sessions', '-o', 'name']))).toEqual(['session.sidekicks.dev/team-work']);
  });

  test("the context's namespace is the default namespace; -n still wins", async () => {
    const { sk } = kubeconfigFile();
    await sk(['config', 'set-context', 'b', '--server', b.daemon.tcp!.url, '--token', b.daemon.token, '--certificate-authority', b.daemon.tcp!.caFile, '--namespace', 'team-a']);
    await sk(['config', 'use-context', 'b']);
    expect(sessionNames(await sk(['get', 'sessions', '-o', 'name']))).toEqual(['session.sidekicks.dev/team-work']);
    expect(sessionNames(await sk(['get', 'sessions', '-o', 'name', '-n', 'default']))).toEqual(['session.sidekicks.dev/only-on-b']);
  });

  test('--from-daemon records the TCP daemon (kubectl uses it) or, without TCP, its socket', async () => {
    const { path, sk } = kubeconfigFile();
    expect(await runCli(b.home, ['config', 'set-context', 'daemon-b', '--from-daemon'], { env: { SIDEKICK_KUBECONFIG: path } })).toMatchObject({ code: 0, stdout: 'Context "daemon-b" created.\n' });
    const file = parse(await readFile(path, 'utf8'));
    expect(file.clusters[0].cluster.server).toBe(b.daemon.tcp!.url);
    expect(file.users[0].user.token).toBe(b.daemon.token);
    expect(await kubectl(path, ['--context', 'daemon-b', 'get', 'sessions', '-o', 'name', '-A'])).toMatchObject({ code: 0, stdout: 'session.sidekicks.dev/only-on-b\nsession.sidekicks.dev/team-work\n' });
    expect(await sk(['config', 'set-context', 'x', '--from-daemon', '--token', 't'])).toMatchObject({ code: 1, stderr: 'error: --from-daemon takes the server and token from the daemon: drop --server and --token\n' });

    const socketOnly = await tempDaemon({ prefix: 'sidekick-ctx-sock-', controllers: false });
    try {
      expect((await runCli(socketOnly.home, ['config', 'set-context', 'local', '--from-daemon'], { env: { SIDEKICK_KUBECONFIG: path } })).code).toBe(0);
      const local = parse(await readFile(path, 'utf8')).clusters.find((c: { name: string }) => c.name === 'local');
      expect(local.cluster).toEqual({ server: `unix://${socketOnly.daemon.socketPath}` });
      // From a's home, the unix:// context reaches the other daemon.
      expect(await sk(['get', 'sessions', '--context', 'local'])).toMatchObject({ code: 0, stderr: 'No resources found in default namespace.\n' });
      await sk(['config', 'use-context', 'daemon-b']);
      expect(sessionNames(await sk(['get', 'sessions', '-o', 'name']))).toEqual(['session.sidekicks.dev/only-on-b']);
    } finally {
      await socketOnly.stop();
    }
  });

  test('an unknown --context, or a kubeconfig that does not parse, is one line and exit 1', async () => {
    const { path, sk } = kubeconfigFile();
    expect(await sk(['get', 'sessions', '--context', 'nope'])).toEqual({ code: 1, stdout: '', stderr: 'error: context "nope" does not exist\n' });
    await sk(['config', 'set-context', 'dead', '--server', 'https://127.0.0.1:1', '--insecure-skip-tls-verify']);
    expect(await sk(['get', 'sessions', '--context', 'dead'])).toMatchObject({
      code: 1,
      stderr: 'error: cannot reach the sidekick server at https://127.0.0.1:1 (kubeconfig context "dead"; switch with: sidekick config use-context NAME)\n',
    });
    // A token never goes over plain http to another machine, from a context either.
    await sk(['config', 'set-context', 'clear', '--server', 'http://192.0.2.7:6443', '--token', 'secret']);
    expect(await sk(['get', 'sessions', '--context', 'clear'])).toMatchObject({ code: 1, stderr: 'error: refusing to send a token over plain http to http://192.0.2.7:6443: use https, or a loopback address for a local daemon\n' });
    await writeFile(path, 'apiVersion: v1\ncontexts:\n- name: a\n  context: [\n');
    const broken = await sk(['get', 'sessions']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(new RegExp(`^error: error loading config file "${path}": line \\d+: [^\\n]+\\n$`));
    expect((await sk(['config', 'get-contexts'])).stderr).toBe(broken.stderr);
  });
});
