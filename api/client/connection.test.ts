/**
 * A token never crosses the network in the clear: a plain http server that is not loopback is
 * refused before anything is sent, by the client itself and by the CLI as a one-line usage error.
 */
import { describe, expect, it } from '@jest/globals';
import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../../cli/run.js';
import { ApiClient } from './client.js';
import { InsecureTokenError, isLoopbackHost } from './connection.js';

describe('isLoopbackHost', () => {
  it.each([
    ['localhost', true],
    ['api.localhost', true],
    ['127.0.0.1', true],
    ['127.9.8.7', true],
    ['[::1]', true],
    ['::1', true],
    ['10.0.0.5', false],
    ['127.0.0.1.example.com', false],
    ['localhost.example.com', false],
    ['example.com', false],
    ['[::ffff:10.0.0.1]', false],
  ])('%s → %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});

describe('a token over plain http', () => {
  it('is refused by the client for a non-loopback server, allowed over https, loopback or without a token', () => {
    expect(() => new ApiClient({ baseUrl: 'http://10.0.0.5:8080', token: 't' })).toThrow(InsecureTokenError);
    expect(() => new ApiClient({ baseUrl: 'http://10.0.0.5:8080', token: 't' })).toThrow('refusing to send a token over plain http to http://10.0.0.5:8080');
    for (const conn of [{ baseUrl: 'https://10.0.0.5:8443', token: 't' }, { baseUrl: 'http://127.0.0.1:8080', token: 't' }, { baseUrl: 'http://10.0.0.5:8080' }]) {
      new ApiClient(conn).close();
    }
  });

  async function cli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await runCli(argv, { stdout, stderr, stdin: Readable.from([]), env: { PATH: process.env.PATH, HOME: '/nonexistent', ...env }, cwd: process.cwd() });
    return { code, stdout: out, stderr: err };
  }

  it('is a one-line usage error naming the server in the CLI, from flags or the environment', async () => {
    const line = 'error: refusing to send a token over plain http to http://192.0.2.7:6443: use https, or a loopback address for a local daemon\n';
    expect(await cli(['get', 'runs', '--server', 'http://192.0.2.7:6443', '--token', 'secret'])).toEqual({ code: 1, stdout: '', stderr: line });
    expect(await cli(['get', 'runs'], { SIDEKICK_SERVER: 'http://192.0.2.7:6443', SIDEKICK_TOKEN: 'secret' })).toEqual({ code: 1, stdout: '', stderr: line });
  });
});
