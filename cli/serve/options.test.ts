/** `sidekick serve` options: seed 000's flags and variables, a flag beating its variable, and one-line refusals. */
import { describe, expect, it } from '@jest/globals';
import { resolveServeOptions, ServeOptionsError, type ServeFlags } from './options.js';

const ctx = { cwd: '/work', write: () => undefined, hostname: () => 'My-Laptop', homedir: () => '/home/ann' };
const resolve = (flags: ServeFlags, env: NodeJS.ProcessEnv = {}) => resolveServeOptions(flags, env, ctx);

describe('sidekick serve options', () => {
  it('takes the seed defaults when nothing is given', () => {
    const o = resolve({});
    expect(o).toMatchObject({
      url: 'http://localhost:8000',
      name: 'my-laptop',
      workspace: '/home/ann/.sidekick/my-laptop/workspace',
      logLevel: 'INFO',
      allowInsecure: false,
      allowEnvPassthrough: false,
      labels: {},
      maxRuns: 5,
      repin: false,
      home: '/home/ann/.sidekick',
      credentialsFile: '/home/ann/.sidekick/credentials.json',
      stateDir: '/home/ann/.sidekick/my-laptop',
    });
    expect(o.token).toBeUndefined();
  });

  it('reads the variables, and a flag beats its variable', () => {
    const env = { SIDEKICK_URL: 'https://cp.example.com', RUNNER_TOKEN: 'SKN1env', RUNNER_NAME: 'env-node', RUNNER_WORKSPACE: 'ws', LOG_LEVEL: 'debug', SIDEKICK_ALLOW_INSECURE: 'true', SIDEKICK_ALLOW_ENV_PASSTHROUGH: '1' };
    expect(resolve({}, env)).toMatchObject({ url: 'https://cp.example.com', token: 'SKN1env', name: 'env-node', workspace: '/work/ws', logLevel: 'DEBUG', allowInsecure: true, allowEnvPassthrough: true });
    const flags = resolve({ url: 'https://flag.example.com', token: 'SKN1flag', name: 'flag-node', workspace: '/abs/ws', logLevel: 'ERROR' }, env);
    expect(flags).toMatchObject({ url: 'https://flag.example.com', token: 'SKN1flag', name: 'flag-node', workspace: '/abs/ws', logLevel: 'ERROR' });
    expect(resolve({ labels: ['gpu=yes', 'zone=lab', 'gpu=no'], maxRuns: '0', repin: true, certificateAuthority: 'ca.pem', nats: 'nats://a:4222,tls://b:4222' })).toMatchObject({
      labels: { gpu: 'no', zone: 'lab' },
      maxRuns: 0,
      repin: true,
      caFile: '/work/ca.pem',
      nats: ['nats://a:4222', 'tls://b:4222'],
    });
  });

  it.each([
    [{ url: 'ftp://x' }, {}, '--url (SIDEKICK_URL): expected http:// or https://, got "ftp://x"'],
    [{}, { SIDEKICK_URL: 'not a url' }, '--url (SIDEKICK_URL): not a URL: "not a url" (expected https://HOST[:PORT])'],
    [{ name: 'Bad_Name' }, {}, '--name (RUNNER_NAME): "Bad_Name" is not a node name (lower-case letters, digits, - and ., as a DNS name)'],
    [{}, { LOG_LEVEL: 'LOUD' }, '--log-level (LOG_LEVEL): expected one of DEBUG, INFO, WARNING, ERROR, got "LOUD"'],
    [{ maxRuns: '-1' }, {}, '--max-runs: expected a whole number ≥ 0, got "-1"'],
    [{ labels: ['novalue'] }, {}, '--label: expected key=value with a Kubernetes label key and value, got "novalue"'],
    [{ nats: 'http://x' }, {}, '--nats: expected nats://HOST:PORT, got "http://x"'],
    [{}, { SIDEKICK_ALLOW_INSECURE: 'maybe' }, 'SIDEKICK_ALLOW_INSECURE: expected true or false, got "maybe"'],
  ] as [ServeFlags, NodeJS.ProcessEnv, string][])('refuses %j %j with one line', (flags, env, message) => {
    let thrown: unknown;
    try {
      resolve(flags, env);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ServeOptionsError);
    expect((thrown as Error).message).toBe(message);
  });

  it('logs at the level asked and above', () => {
    const lines: string[] = [];
    const o = resolveServeOptions({ logLevel: 'WARNING' }, {}, { ...ctx, write: (t) => lines.push(t) });
    o.log.info('quiet');
    o.log.warning('loud');
    o.log.error('louder');
    expect(lines.map((l) => l.replace(/^\S+ /, ''))).toEqual(['WARNING loud\n', 'ERROR louder\n']);
  });
});
