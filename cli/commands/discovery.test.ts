import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parseTable, startHarness, type CliHarness } from '../../test/support/cli-harness.js';

let h: CliHarness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

describe('explain', () => {
  test('a kind: GROUP/KIND/VERSION, DESCRIPTION, FIELDS with types and -required-', async () => {
    const r = await h.sk(['explain', 'runs']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^GROUP: {6}sidekicks\.dev\nKIND: {7}Run\nVERSION: {4}v1alpha1\n\nDESCRIPTION:\n {4}One unit of agent work/);
    expect(r.stdout).toMatch(/\nFIELDS:\n/);
    expect(r.stdout).toMatch(/\n {2}spec\t<Object> -required-\n/);
    expect(r.stdout).toMatch(/\n {2}metadata\t<ObjectMeta>\n/);
    expect(r.stdout).toMatch(/\n {2}apiVersion\t<string>\n/);
  });

  test('a field path and --recursive', async () => {
    const field = await h.sk(['explain', 'run.spec.mode']);
    expect(field.stdout).toMatch(/\nFIELD: mode <string>\nENUM:\n {4}ReadOnly\n(?: {4}\w+\n)+\nDESCRIPTION:\n {4}Overrides the RepoMount execution mode/);
    // Wrapped at 80 columns like kubectl.
    for (const line of field.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    const spec = await h.sk(['explain', 'run.spec']);
    expect(spec.stdout).toMatch(/\n {2}prompt\t<string> -required-\n {4}What the agent is asked to do\./);
    const recursive = await h.sk(['explain', 'run.spec', '--recursive']);
    expect(recursive.stdout).toMatch(/\n {2}budget\t<Object>\n {4}tokens\t<integer>\n/);
    expect(await h.sk(['explain', 'run.spec.nope'])).toMatchObject({ code: 1, stderr: 'error: field "nope" does not exist\n' });
    expect(await h.sk(['explain', 'widgets'])).toMatchObject({ code: 1, stderr: 'error: the server doesn\'t have a resource type "widgets"\n' });
  });
});

describe('api-resources', () => {
  test('NAME SHORTNAMES APIVERSION NAMESPACED KIND from discovery', async () => {
    const r = await h.sk(['api-resources']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^NAME +SHORTNAMES +APIVERSION +NAMESPACED +KIND$/);
    const rows = parseTable(r.stdout);
    expect(rows).toContainEqual({ NAME: 'runs', SHORTNAMES: 'run', APIVERSION: 'sidekicks.dev/v1alpha1', NAMESPACED: 'true', KIND: 'Run' });
    expect(rows).toContainEqual({ NAME: 'repomounts', SHORTNAMES: 'rm', APIVERSION: 'sidekicks.dev/v1alpha1', NAMESPACED: 'true', KIND: 'RepoMount' });
    expect(rows).toContainEqual({ NAME: 'notificationsinks', SHORTNAMES: 'nsink', APIVERSION: 'sidekicks.dev/v1alpha1', NAMESPACED: 'true', KIND: 'NotificationSink' });
    const cluster = parseTable((await h.sk(['api-resources', '--namespaced=false'])).stdout);
    expect(cluster.length).toBeGreaterThan(0);
    expect(cluster.every((x) => x.NAMESPACED === 'false')).toBe(true);
    expect((await h.sk(['api-resources', '-o', 'name', '--api-group', 'sidekicks.dev'])).stdout).toContain('runs.sidekicks.dev\n');
  });

  test('short names resolve everywhere', async () => {
    expect(await h.sk(['get', 'rm'])).toMatchObject({ code: 0, stderr: 'No resources found in default namespace.\n' });
  });
});

describe('version, completion', () => {
  test('version prints client and server', async () => {
    const r = await h.sk(['version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Client Version: v\d+\.\d+\.\d+\nServer Version: \S+\n$/);
    const json = JSON.parse((await h.sk(['version', '-o', 'json', '--client'])).stdout);
    expect(json.clientVersion.gitVersion).toMatch(/^v/);
    expect(json.serverVersion).toBeUndefined();
  });

  test('completion scripts list verbs and resource types', async () => {
    const bash = await h.sk(['completion', 'bash']);
    expect(bash.code).toBe(0);
    expect(bash.stdout).toContain('complete -o default -F _sidekick sidekick');
    expect(bash.stdout).toMatch(/compgen -W "[^"]*\bapply\b[^"]*\bget\b/);
    expect(bash.stdout).toMatch(/compgen -W "[^"]*\brepomounts\b[^"]*\bruns\b/);
    expect((await h.sk(['completion', 'zsh'])).stdout).toMatch(/^#compdef sidekick\n/);
    expect(await h.sk(['completion', 'fish'])).toMatchObject({ code: 1, stderr: 'error: Unsupported shell type "fish".\n' });
  });
});

describe('flags to a TCP daemon', () => {
  test('--server and --token reach the TCP listener; its CA is trusted through daemon.json, else needs a flag', async () => {
    const { startDaemon } = await import('../daemon/compose.js');
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const home = await mkdtemp(join(tmpdir(), 'sidekick-cfg-'));
    const daemon = await startDaemon({ home, listen: '127.0.0.1:0' });
    try {
      const tcp = await h.sk(['get', 'runs', '--home', home, '--server', daemon.tcp!.url, '--token', daemon.token]);
      expect(tcp).toMatchObject({ code: 0, stderr: 'No resources found in default namespace.\n' });
      const untrusted = await h.sk(['get', 'runs', '--server', daemon.tcp!.url, '--token', daemon.token]);
      expect(untrusted).toMatchObject({ code: 1, stderr: expect.stringMatching(/^error: cannot verify the certificate of https:/) });
      const insecure = await h.sk(['get', 'runs', '--server', daemon.tcp!.url, '--token', daemon.token, '--insecure-skip-tls-verify']);
      expect(insecure.code).toBe(0);
      const denied = await h.sk(['get', 'runs', '--server', daemon.tcp!.url, '--token', 'wrong', '--certificate-authority', daemon.tcp!.caFile]);
      expect(denied.code).toBe(1);
      expect(denied.stderr).toMatch(/^Error from server \(Unauthorized\)/);
    } finally {
      await daemon.stop();
      await rm(home, { recursive: true, force: true });
    }
  });
});
