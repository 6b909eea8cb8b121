/**
 * The driver host process (`node dist/node/drivers/host.js`): serves one run's driver,
 * talking to the daemon over stdin/stdout (./protocol.ts) and logging to stderr. It exits after
 * writing its `exit` message; SIGTERM interrupts the driver (which checkpoints) before exiting,
 * and a vanished daemon (stdin closed) stops the driver and refuses any pending tool permission.
 */
import { createLocalTools } from '../tools/local-tools.js';
import { HostSession } from './host-session.js';
import { readLines } from './line-reader.js';
import { AGENT_UMASK_ENV, encodeMessage, parseDaemonToHost, type HostToDaemon } from './protocol.js';
import { defaultDriverRegistry } from './registry.js';

/** How long a signalled host waits for its driver to checkpoint before exiting anyway (DOMAIN: interrupt < 5 s). */
const STOP_GRACE_MS = 4500;

const log = (line: string) => process.stderr.write(`${line}\n`);

// The daemon keeps a 077 umask for its own files; the agent writes the user's, with the user's umask.
const agentUmask = process.env[AGENT_UMASK_ENV];
delete process.env[AGENT_UMASK_ENV];
if (agentUmask && /^[0-7]{1,4}$/.test(agentUmask)) process.umask(parseInt(agentUmask, 8));

// stdout belongs to the protocol: a stray console.log from a driver or library would corrupt it.
console.log = console.info = console.debug = (...args: unknown[]) => console.error(...args);

const session = new HostSession({
  registry: defaultDriverRegistry,
  write: (message: HostToDaemon) => {
    process.stdout.write(encodeMessage(message));
  },
  log,
  createTools: createLocalTools,
});

readLines(process.stdin, {
  onLine: (line) => {
    const parsed = parseDaemonToHost(line);
    if (!parsed.ok) return log(`ignored a malformed message: ${parsed.error}`);
    session.handle(parsed.message);
  },
  onOverflow: (chars) => log(`ignored an oversized message (${chars} chars)`),
  onEnd: () => session.connectionLost(),
});
process.stdout.on('error', (err) => {
  log(`stdout: ${err.message}`);
  session.connectionLost();
});

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.on(signal, () => {
    log(`${signal}: interrupting the driver`);
    session.terminate();
    setTimeout(() => {
      log('the driver did not stop in time; exiting');
      process.exit(1);
    }, STOP_GRACE_MS).unref();
  });
}

const exit = await session.done;
process.stdout.write(encodeMessage(exit), () => process.exit(0));

