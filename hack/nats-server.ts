/**
 * A nats-server of one's own (JetStream on, its store in a given directory) that a test or bench
 * may stop and start again on the same port with the same store — an outage nobody else sees,
 * never the shared server's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort } from './free-port.js';

export interface OwnNatsServer {
  url: string;
  port: number;
  /** Stops the server (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and store. */
  restart(): Promise<void>;
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    // destroy, not end: a socket ended but never read keeps waiting for the server's FIN, and a
    // test process with one of those left never exits.
    const sock = createConnection({ host: '127.0.0.1', port }, () => (sock.destroy(), resolve(true)));
    sock.once('error', () => resolve(false));
  });
}

/** Starts `nats-server -js` (from PATH) on a free loopback port with its store under `storeDir`. */
export async function startOwnNatsServer(storeDir: string, binary = 'nats-server'): Promise<OwnNatsServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const c = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], { stdio: 'ignore' });
    child = c;
    const deadline = Date.now() + 30_000;
    while (!(await accepting(port))) {
      if (c.exitCode !== null) throw new Error(`nats-server exited with ${c.exitCode}`);
      if (Date.now() > deadline) throw new Error(`nats-server did not listen on ${port} within 30 s`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  };
  await launch();
  return { url: `nats://127.0.0.1:${port}`, port, stop, restart: launch };
}
