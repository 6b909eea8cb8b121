/**
 * A nats-server of a test's own (JetStream, a data directory that outlives a stop), for the
 * outage tests: they stop and start THIS server — never the machine's shared one — on the same
 * port, so clients reconnect to it and the stream's messages are still there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../eventually.js';
import { freePort } from '../services.js';

export interface OwnNats {
  url: string;
  port: number;
  /** Stops the server (SIGTERM, waits). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  dispose(): Promise<void>;
}

function listening(port: number, child: ChildProcess): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    if (child.exitCode !== null) return reject(new Error(`nats-server exited with ${child.exitCode}`));
    const sock = createConnection({ host: '127.0.0.1', port }, () => (sock.end(), resolve(true)));
    sock.once('error', () => resolve(false));
  });
}

/** Starts a nats-server with JetStream on a free port. */
export async function startOwnNats(binary = 'nats-server'): Promise<OwnNats> {
  const dir = mkdtempSync(join(tmpdir(), 'sk-own-nats-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const proc = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: 'ignore' });
    child = proc;
    await eventually(() => listening(port, proc).then((up) => (up ? true : undefined)), { timeoutMs: 30_000, intervalMs: 50 });
  };
  const stop = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    await gone;
  };
  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    stop,
    start,
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
