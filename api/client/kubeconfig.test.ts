/**
 * Where requests go: flags > variables > the kubeconfig's context > the home socket, resolved
 * from a real kubeconfig file without touching the network; and what a broken file says.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'yaml';
import { resolveConnection } from './connection.js';
import { KubeconfigError, parseKubeconfig } from './kubeconfig.js';

let dir: string;
let home: string;
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function kubeconfig(current?: string): string {
  return yaml.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'team', cluster: { server: 'https://cp.example.com:8443', 'certificate-authority-data': Buffer.from(PEM).toString('base64') } },
      { name: 'local', cluster: { server: `unix://${join(dir, 'other-home', 'sidekick.sock')}` } },
      { name: 'plain', cluster: { server: 'http://10.0.0.9:8080' } },
    ],
    users: [
      { name: 'team', user: { token: 'team-token' } },
      { name: 'filed', user: { tokenFile: 'team.token' } },
    ],
    contexts: [
      { name: 'team', context: { cluster: 'team', user: 'team', namespace: 'team-a' } },
      { name: 'local', context: { cluster: 'local' } },
      { name: 'filed', context: { cluster: 'team', user: 'filed' } },
      { name: 'plain', context: { cluster: 'plain', user: 'team' } },
      { name: 'dangling', context: { cluster: 'nowhere', user: 'team' } },
    ],
    ...(current ? { 'current-context': current } : {}),
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sidekick-kubeconfig-'));
  home = join(dir, 'home');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(home);
  await mkdir(join(dir, 'other-home'));
  await writeFile(join(home, 'token'), 'owner-token\n');
  await writeFile(join(dir, 'other-home', 'token'), 'other-owner\n');
  await writeFile(join(home, 'kubeconfig'), kubeconfig('team'));
  await writeFile(join(home, 'team.token'), 'from-file\n');
  await writeFile(join(dir, 'none-current'), kubeconfig());
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({ SIDEKICK_HOME: home, ...extra });

describe('resolveConnection precedence', () => {
  it('uses the current-context of the home kubeconfig: server, embedded CA, token, namespace', () => {
    expect(resolveConnection({}, env())).toEqual({
      baseUrl: 'https://cp.example.com:8443',
      token: 'team-token',
      ca: PEM,
      insecureSkipTlsVerify: false,
      context: { name: 'team', namespace: 'team-a' },
    });
  });

  it('--server beats $SIDEKICK_SERVER, which beats the context', () => {
    expect(resolveConnection({ server: 'https://flag.example.com', token: 'f' }, env({ SIDEKICK_SERVER: 'https://env.example.com', SIDEKICK_TOKEN: 'e' }))).toMatchObject({ baseUrl: 'https://flag.example.com', token: 'f' });
    const fromEnv = resolveConnection({}, env({ SIDEKICK_SERVER: 'https://env.example.com', SIDEKICK_TOKEN: 'e' }));
    expect(fromEnv).toMatchObject({ baseUrl: 'https://env.example.com', token: 'e' });
    expect(fromEnv.context).toBeUndefined();
  });

  it('--token and $SIDEKICK_TOKEN override the context user token, the context keeps its server', () => {
    expect(resolveConnection({ token: 'flag' }, env({ SIDEKICK_TOKEN: 'env' }))).toMatchObject({ baseUrl: 'https://cp.example.com:8443', token: 'flag' });
    expect(resolveConnection({}, env({ SIDEKICK_TOKEN: 'env' }))).toMatchObject({ baseUrl: 'https://cp.example.com:8443', token: 'env' });
  });

  it('an explicit --context beats $SIDEKICK_SERVER and $SIDEKICK_CONTEXT; $SIDEKICK_CONTEXT beats current-context', () => {
    const vars = env({ SIDEKICK_SERVER: 'https://env.example.com', SIDEKICK_TOKEN: 'e', SIDEKICK_CONTEXT: 'plain' });
    expect(resolveConnection({ context: 'team' }, vars)).toMatchObject({ baseUrl: 'https://cp.example.com:8443', token: 'team-token' });
    expect(resolveConnection({}, env({ SIDEKICK_CONTEXT: 'plain' }))).toMatchObject({ baseUrl: 'http://10.0.0.9:8080', context: { name: 'plain' } });
    const tlsVars = env({ SIDEKICK_CA_FILE: join(home, 'team.token'), SIDEKICK_INSECURE_SKIP_TLS_VERIFY: 'true' });
    expect(resolveConnection({ context: 'team' }, tlsVars)).toMatchObject({ ca: PEM, insecureSkipTlsVerify: false });
    expect(resolveConnection({}, tlsVars)).toMatchObject({ ca: 'from-file\n', insecureSkipTlsVerify: true });
  });

  it('a unix:// context uses that socket, with the owner token beside it', () => {
    expect(resolveConnection({ context: 'local' }, env())).toEqual({ socketPath: join(dir, 'other-home', 'sidekick.sock'), token: 'other-owner', context: { name: 'local' } });
  });

  it('a tokenFile is read relative to the kubeconfig', () => {
    expect(resolveConnection({ context: 'filed' }, env())).toMatchObject({ token: 'from-file' });
  });

  it('without a current-context (or a kubeconfig) the home socket is used, as the owner', () => {
    expect(resolveConnection({ kubeconfig: join(dir, 'none-current') }, env())).toEqual({ socketPath: join(home, 'sidekick.sock'), token: 'owner-token' });
    expect(resolveConnection({}, { SIDEKICK_HOME: join(dir, 'other-home') })).toEqual({ socketPath: join(dir, 'other-home', 'sidekick.sock'), token: 'other-owner' });
  });

  it('$SIDEKICK_KUBECONFIG names the file; --kubeconfig beats it', () => {
    expect(resolveConnection({}, env({ SIDEKICK_KUBECONFIG: join(dir, 'none-current') })).socketPath).toBe(join(home, 'sidekick.sock'));
    expect(resolveConnection({ kubeconfig: join(home, 'kubeconfig') }, env({ SIDEKICK_KUBECONFIG: join(dir, 'none-current') })).baseUrl).toBe('https://cp.example.com:8443');
  });

  it("an unknown context is kubectl's error; a context whose cluster is missing names it", () => {
    expect(() => resolveConnection({ context: 'nope' }, env())).toThrow(new KubeconfigError('context "nope" does not exist'));
    expect(() => resolveConnection({ context: 'nope' }, { SIDEKICK_HOME: join(dir, 'other-home') })).toThrow('context "nope" does not exist');
    expect(() => resolveConnection({ context: 'dangling' }, env())).toThrow(`context "dangling": cluster "nowhere" does not exist in ${join(home, 'kubeconfig')}`);
    expect(() => resolveConnection({ kubeconfig: join(dir, 'missing') }, env())).toThrow(`error loading config file "${join(dir, 'missing')}": no such file`);
  });
});

describe('parseKubeconfig', () => {
  it.each([
    ['apiVersion: v1\nkind: [Config\n', /^error loading config file "f": line 3: Flow sequence in block collection must be sufficiently indented and end with a \]$/],
    ['a: 1\na: 2\n', /^error loading config file "f": line 2: Map keys must be unique$/],
    ['apiVersion: v1\nclusters: 3\n', /^error loading config file "f": line 2: clusters: must be a list$/],
    ['contexts:\n- context: {}\n', /^error loading config file "f": line 2: contexts\[0\]\.name: required$/],
    ['users:\n- name: u\n  user: [1]\n', /^error loading config file "f": line 3: users\[0\]\.user: must be a mapping$/],
    ['- 1\n', /^error loading config file "f": the document must be a mapping$/],
  ])('%j → one line naming the file, line and field', (text, message) => {
    let thrown: unknown;
    try {
      parseKubeconfig(text, 'f', yaml);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(KubeconfigError);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).not.toContain('\n');
  });

  it('an empty file is an empty config; unknown fields are kept', () => {
    expect(parseKubeconfig('', 'f', yaml)).toEqual({ clusters: [], users: [], contexts: [] });
    const config = parseKubeconfig('preferences: {colors: true}\nusers:\n- name: u\n  user: {exec: {command: x}}\n', 'f', yaml);
    expect(config.users[0].user).toEqual({ exec: { command: 'x' } });
    expect(config.preferences).toEqual({ colors: true });
  });
});
