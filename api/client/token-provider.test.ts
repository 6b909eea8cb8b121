/**
 * A connection's tokenProvider: asked before every request (buffered or streaming), so a node's
 * short-lived access token is refreshed without rebuilding the client; a plain-http non-loopback
 * URL is refused with a provider as with a fixed token, unless allowInsecureHttp says otherwise.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiClient } from './client.js';
import { InsecureTokenError } from './connection.js';
import { Transport } from './transport.js';
import { rejection } from '../../test/rejection.js';

let server: Server;
let baseUrl: string;
const seen: (string | undefined)[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers.authorization);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ major: '1', minor: '0', gitVersion: 'v1.0.0' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('Connection.tokenProvider', () => {
  it('is asked for the token before every request', async () => {
    let n = 0;
    const client = new ApiClient({ baseUrl, tokenProvider: async () => `token-${++n}` });
    try {
      seen.length = 0;
      await client.version();
      await client.version();
      const text = await client.text('/healthz');
      expect(text).toContain('gitVersion');
      expect(seen).toEqual(['Bearer token-1', 'Bearer token-2', 'Bearer token-3']);
    } finally {
      client.close();
    }
  });

  it('fails the request with the provider failure, sending nothing', async () => {
    const client = new ApiClient({ baseUrl, tokenProvider: async () => Promise.reject(new Error('node revoked')) });
    try {
      seen.length = 0;
      expect(await rejection(client.version())).toMatchObject({ message: 'node revoked' });
      expect(seen).toEqual([]);
    } finally {
      client.close();
    }
  });

  it('is refused over plain http to a non-loopback host unless allowInsecureHttp', () => {
    const provider = async () => 't';
    expect(() => new Transport({ baseUrl: 'http://cp.example.com:8000', tokenProvider: provider })).toThrow(InsecureTokenError);
    const allowed = new Transport({ baseUrl: 'http://cp.example.com:8000', tokenProvider: provider, allowInsecureHttp: true });
    allowed.close();
    expect(allowed.connection.allowInsecureHttp).toBe(true);
  });
});
