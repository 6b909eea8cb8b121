/** The API server as a Runnable: it serves until its signal aborts, then ends watches and closes its listeners. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestListener } from 'node:http';
import { ServingApi } from './serving.js';

/** A stand-in for ApiServer: answers every request `ok`, counts stop() calls. */
function fakeApi(): { listener: () => RequestListener; stop: () => void; stops: () => number } {
  let stops = 0;
  return {
    listener: () => (_req, res) => res.end('ok'),
    stop: () => void stops++,
    stops: () => stops,
  };
}

function get(socketPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/healthz', agent: false }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end();
  });
}

const anyAuth = { authenticate: () => undefined };
/** How a request to a closed socket fails. */
const refused = { code: expect.stringMatching(/^(ECONNREFUSED|ENOENT)$/) };

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'sidekick-serving-'))));
afterEach(() => rm(dir, { recursive: true, force: true }));

/** A ServingApi over a fake API, bound to a Unix socket in the test's directory. */
async function bound(): Promise<{ api: ReturnType<typeof fakeApi>; serving: ServingApi; socket: string }> {
  const api = fakeApi();
  const serving = new ServingApi(api);
  const socket = join(dir, 'api.sock');
  await serving.listenUnix(socket, anyAuth);
  return { api, serving, socket };
}

describe('ServingApi', () => {
  it('serves on what it bound until the signal aborts, then stops the API and closes the listener', async () => {
    const { api, serving, socket } = await bound();
    const ctl = new AbortController();
    const running = serving.start(ctl.signal);
    expect(await get(socket)).toBe('ok');
    expect(api.stops()).toBe(0);

    ctl.abort();
    await running;
    expect(api.stops()).toBe(1);
    await expect(get(socket)).rejects.toMatchObject(refused);
    // Closing again (a failed start's cleanup after the manager stopped) changes nothing.
    await serving.close();
    expect(api.stops()).toBe(1);
  });

  it('closes what it bound when it is never started (a start that failed before the Manager ran)', async () => {
    const { api, serving, socket } = await bound();
    expect(await get(socket)).toBe('ok');
    await serving.close();
    expect(api.stops()).toBe(1);
    await expect(get(socket)).rejects.toMatchObject(refused);
  });
});
